package web

import (
	"bufio"
	"errors"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"
)

// Header values applied to every response.
const (
	contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
		"img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; " +
		"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	permissionsPolicy = "camera=(self), microphone=(self), display-capture=(self), geolocation=()"
	// hsts omits includeSubDomains: other hosts under the domain are not ours.
	hsts = "max-age=31536000"
)

// MaxBodyBytes caps API request bodies.
const MaxBodyBytes = 64 << 10

func (s *server) securityHeaders(next http.Handler) http.Handler {
	tls := s.Config.TLSEnabled()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Permissions-Policy", permissionsPolicy)
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if tls {
			h.Set("Strict-Transport-Security", hsts)
		}
		next.ServeHTTP(w, r)
	})
}

// crossOrigin refuses state-changing requests from other origins with the
// JSON error shape of the API.
func (s *server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusForbidden, "forbidden", "cross-origin request refused")
	}))
	return cop.Handler(next)
}

// limitBody refuses API bodies over MaxBodyBytes: at once when the
// declared length is too big, otherwise when reading crosses the limit.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxBodyBytes {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", "request body is over 64 KiB")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// requireJSON refuses API requests whose body is not declared
// application/json (415). Browsers let any page send text/plain, form and
// multipart bodies across sites without a CORS preflight, but not JSON;
// refusing the rest keeps a second barrier behind the cross-origin check.
// Requests without a body (GET, logout) need no content type.
func requireJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 && !isJSON(r.Header.Get("Content-Type")) {
			writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "request body must be application/json")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isJSON accepts application/json with or without parameters (charset).
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && strings.EqualFold(mt, "application/json")
}

// accessLog logs one line per request with the matched route pattern, not
// the path: paths can carry meeting IDs, and query strings, fragments,
// cookies, bodies and client addresses are personal data or secrets.
func (s *server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		pattern := r.Pattern
		if pattern == "" {
			pattern = "(unmatched)"
		}
		level := slogInfo
		if pattern == "GET /healthz" || pattern == "GET /readyz" {
			level = slogDebug // probes every few seconds would drown the log
		}
		s.Logger.Log(r.Context(), level, "http request",
			"method", r.Method, "route", pattern, "status", rec.code(),
			"duration_ms", time.Since(start).Milliseconds())
	})
}

// statusRecorder captures the status code. It passes Flush and Hijack
// through so that the websocket upgrade keeps working.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) code() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("web: response writer cannot hijack")
	}
	if r.status == 0 {
		r.status = http.StatusSwitchingProtocols
	}
	return hj.Hijack()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
