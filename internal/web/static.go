package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
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

type asset struct {
	body  []byte
	ctype string
	etag  string
}

// assets maps a path relative to the static directory to its file.
type assets map[string]asset

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

// loadAssets reads every file under dir once, computing its ETag, so
// serving never touches the file system and every response is consistent.
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
		body, err := fs.ReadFile(sub, p)
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		sum := sha256.Sum256(body)
		a[p] = asset{body: body, ctype: contentType(p), etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`}
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
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", staticCacheControl)
	h.Set("ETag", f.etag)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.body))
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
