package web

import (
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
)

func TestPagesServeIndex(t *testing.T) {
	e := newTestEnv(t)
	c := e.client(t)
	index := string(e.srvAssets(t)["index.html"].body)
	for _, path := range []string{"/", "/login", "/setup", "/m/k3m9-x2qa-7hvt-p4dz", "/m/anything"} {
		r := do(t, c, "GET", e.srv.URL+path, "")
		expectStatus(t, r, 200)
		if string(r.body) != index {
			t.Errorf("%s did not serve index.html", path)
		}
		if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("%s content type %q", path, ct)
		}
	}
	for _, path := range []string{"/nope", "/m/", "/m/a/b", "/static/", "/static/nope.js", "/static/../server.go"} {
		if r := do(t, c, "GET", e.srv.URL+path, ""); r.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, r.StatusCode)
		}
	}
	expectStatus(t, do(t, c, "POST", e.srv.URL+"/login", "x=1", "Content-Type", "application/x-www-form-urlencoded"), 405)
}

func (e *testEnv) srvAssets(t *testing.T) assets {
	t.Helper()
	a, err := loadAssets(staticFS, "static")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestStaticAssets(t *testing.T) {
	e := newTestEnv(t)
	c := e.client(t)
	want := map[string]string{
		"app.js":     "text/javascript; charset=utf-8",
		"app.css":    "text/css; charset=utf-8",
		"index.html": "text/html; charset=utf-8",
	}
	for name, ct := range want {
		r := do(t, c, "GET", e.srv.URL+"/static/"+name, "")
		expectStatus(t, r, 200)
		if got := r.Header.Get("Content-Type"); got != ct {
			t.Errorf("%s: Content-Type %q, want %q", name, got, ct)
		}
		if cc := r.Header.Get("Cache-Control"); cc != staticCacheControl {
			t.Errorf("%s: Cache-Control %q", name, cc)
		}
		etag := r.Header.Get("ETag")
		if !strings.HasPrefix(etag, `"`) {
			t.Fatalf("%s: ETag %q", name, etag)
		}
		r = do(t, c, "GET", e.srv.URL+"/static/"+name, "", "If-None-Match", etag)
		expectStatus(t, r, http.StatusNotModified)
		r = do(t, c, "HEAD", e.srv.URL+"/static/"+name, "")
		if r.StatusCode != 200 || len(r.body) != 0 {
			t.Errorf("HEAD %s: %d, %d bytes", name, r.StatusCode, len(r.body))
		}
	}
}

func TestLoadAssets(t *testing.T) {
	fsys := fstest.MapFS{
		"static/index.html":      {Data: []byte("<!doctype html>")},
		"static/img/logo.svg":    {Data: []byte("<svg/>")},
		"static/font.woff2":      {Data: []byte("w")},
		"static/data.unknownext": {Data: []byte("?")},
	}
	a, err := loadAssets(fsys, "static")
	if err != nil {
		t.Fatal(err)
	}
	if a["img/logo.svg"].ctype != "image/svg+xml" || a["font.woff2"].ctype != "font/woff2" ||
		a["data.unknownext"].ctype != "application/octet-stream" {
		t.Fatalf("content types: %+v", a)
	}
	if a["index.html"].etag == a["img/logo.svg"].etag {
		t.Fatal("ETags must depend on content")
	}
	if _, err := loadAssets(fstest.MapFS{"static/app.js": {Data: []byte("x")}}, "static"); err == nil {
		t.Fatal("missing index.html must be an error")
	}
}
