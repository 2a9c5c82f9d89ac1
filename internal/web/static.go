package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"sync"
	"time"
)

// staticFS holds the browser client. The client build writes app.js (see
// generate.go); index.html and the .css files are maintained by hand.
//
//go:embed static
var staticFS embed.FS

// The client files are not fingerprinted, so browsers must revalidate
// (cheap, thanks to the ETag) instead of caching blindly.
const staticCacheControl = "no-cache"

// asset is one client file. Its content stays in the binary's read-only
// data and is streamed from there per request: copying every file into
// the heap at start-up (6 MB, most of it the background-blur model few
// meetings use) made it live heap, which the collector's headroom then
// doubled in every server's resident memory. The ETag is computed on the
// first request for the file, so start-up touches none of its pages.
type asset struct {
	fsys  fs.FS
	name  string
	ctype string

	once sync.Once
	etag string
	err  error
}

// tag returns the asset's ETag, hashing its content on first use.
func (a *asset) tag() (string, error) {
	a.once.Do(func() {
		f, err := a.fsys.Open(a.name)
		if err != nil {
			a.err = fmt.Errorf("open %s: %w", a.name, err)
			return
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			a.err = fmt.Errorf("hash %s: %w", a.name, err)
			return
		}
		a.etag = `"` + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:16]) + `"`
	})
	return a.etag, a.err
}

// content opens the asset for http.ServeContent, which needs to seek
// (Range requests, and its size probe). Embedded files seek; a file
// system whose files do not is read whole.
func (a *asset) content() (io.ReadSeeker, func() error, error) {
	f, err := a.fsys.Open(a.name)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", a.name, err)
	}
	if rs, ok := f.(io.ReadSeeker); ok {
		return rs, f.Close, nil
	}
	defer f.Close()
	body, err := io.ReadAll(f)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", a.name, err)
	}
	return bytes.NewReader(body), func() error { return nil }, nil
}

// assets maps a path relative to the static directory to its file.
type assets map[string]*asset

var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".json":        "application/json",
	".map":         "application/json",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".ico":         "image/x-icon",
	".woff2":       "font/woff2",
	".webmanifest": "application/manifest+json",
	".txt":         "text/plain; charset=utf-8",
	// WebAssembly.instantiateStreaming refuses any other type.
	".wasm": "application/wasm",
}

func contentType(name string) string {
	ext := path.Ext(name)
	if ct, ok := contentTypes[ext]; ok {
		return ct
	}
	if ct := mime.TypeByExtension(ext); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

// loadAssets lists every file under dir once, so that serving never walks
// the file system; contents are read only when served.
func loadAssets(fsys fs.FS, dir string) (assets, error) {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	a := assets{}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		a[p] = &asset{fsys: sub, name: p, ctype: contentType(p)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, ok := a["index.html"]; !ok {
		return nil, fmt.Errorf("%s/index.html is missing", dir)
	}
	return a, nil
}

// serve writes the named asset; ServeContent handles HEAD, Range and
// If-None-Match against the ETag.
func (a assets) serve(w http.ResponseWriter, r *http.Request, name string) bool {
	f, ok := a[name]
	if !ok {
		return false
	}
	etag, err := f.tag()
	if err == nil {
		var body io.ReadSeeker
		var closeBody func() error
		if body, closeBody, err = f.content(); err == nil {
			defer closeBody()
			h := w.Header()
			h.Set("Content-Type", f.ctype)
			h.Set("Cache-Control", staticCacheControl)
			h.Set("ETag", etag)
			http.ServeContent(w, r, name, time.Time{}, body)
			return true
		}
	}
	// Only a broken build gets here: the files are embedded.
	slog.Error("static asset", "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
	return true
}

func (s *server) static(w http.ResponseWriter, r *http.Request) {
	if !s.assets.serve(w, r, r.PathValue("file")) {
		http.NotFound(w, r)
	}
}

// index serves the single-page client for every page route.
func (s *server) index(w http.ResponseWriter, r *http.Request) {
	s.assets.serve(w, r, "index.html")
}
