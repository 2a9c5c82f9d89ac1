package web

import (
	"bytes"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestPagesServeIndex(t *testing.T) {
	e := newTestEnv(t)
	c := e.client(t)
	index := string(embedded(t, "index.html"))
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

// embedded returns the content of a client file as built into the binary.
func embedded(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(staticFS, "static/"+name)
	if err != nil {
		t.Fatal(err)
	}
	return b
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
	if tag(t, a["index.html"]) == tag(t, a["img/logo.svg"]) {
		t.Fatal("ETags must depend on content")
	}
	if _, err := loadAssets(fstest.MapFS{"static/app.js": {Data: []byte("x")}}, "static"); err == nil {
		t.Fatal("missing index.html must be an error")
	}
}

func tag(t *testing.T, a *asset) string {
	t.Helper()
	etag, err := a.tag()
	if err != nil {
		t.Fatal(err)
	}
	return etag
}

// countingFS records which files were opened.
type countingFS struct {
	fs.FS
	opened map[string]int
}

func (c countingFS) Open(name string) (fs.File, error) {
	f, err := c.FS.Open(name)
	if err == nil {
		if st, serr := f.Stat(); serr == nil && !st.IsDir() {
			c.opened[name]++
		}
	}
	return f, err
}

// TestAssetsAreReadOnlyWhenServed: start-up lists the client files without
// reading one (their bytes stay out of the heap and out of resident
// memory); a request reads only the file it asks for, whole and right,
// including a range of the largest file.
func TestAssetsAreReadOnlyWhenServed(t *testing.T) {
	fsys := countingFS{FS: staticFS, opened: map[string]int{}}
	a, err := loadAssets(fsys, "static")
	if err != nil {
		t.Fatal(err)
	}
	if len(fsys.opened) != 0 {
		t.Fatalf("loading the assets opened %v", fsys.opened)
	}
	var largest string
	var size int64
	for name := range a {
		st, err := fs.Stat(staticFS, "static/"+name)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > size {
			largest, size = name, st.Size()
		}
	}
	want := embedded(t, largest)
	rec := httptest.NewRecorder()
	a.serve(rec, httptest.NewRequest("GET", "/static/"+largest, nil), largest)
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), want) {
		t.Fatalf("GET %s: status %d, %d bytes, want 200 and its %d bytes", largest, rec.Code, rec.Body.Len(), len(want))
	}
	req := httptest.NewRequest("GET", "/static/"+largest, nil)
	req.Header.Set("Range", "bytes=1000-1999")
	rec = httptest.NewRecorder()
	a.serve(rec, req, largest)
	if rec.Code != http.StatusPartialContent || !bytes.Equal(rec.Body.Bytes(), want[1000:2000]) {
		t.Fatalf("range of %s: status %d, %d bytes", largest, rec.Code, rec.Body.Len())
	}
	if len(fsys.opened) != 1 || fsys.opened["static/"+largest] == 0 {
		t.Fatalf("serving %s opened %v", largest, fsys.opened)
	}
}
