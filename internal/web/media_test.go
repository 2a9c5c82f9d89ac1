package web

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/config"
)

// TestMediaDefaults: the pre-join screen learns the organisation's camera
// and microphone defaults without signing in.
func TestMediaDefaults(t *testing.T) {
	for _, m := range []config.Media{config.DefaultMedia(), {CameraDefaultOn: false, MicrophoneDefaultOn: true}, {}} {
		e := newTestEnv(t, func(o *Options) { o.Config.Media = m })
		r := do(t, e.client(t), "GET", e.srv.URL+"/api/media/defaults", "")
		expectStatus(t, r, 200)
		var got mediaDefaults
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatal(err)
		}
		if got.CameraOn != m.CameraDefaultOn || got.MicrophoneOn != m.MicrophoneDefaultOn {
			t.Errorf("%+v: got %s", m, r.body)
		}
	}
}

// TestWasmOnlyOnTheMeetingPage: the meeting page may compile WebAssembly
// (the segmentation model); no other page may, and none may eval.
func TestWasmOnlyOnTheMeetingPage(t *testing.T) {
	e := newTestEnv(t)
	c := e.client(t)
	r := do(t, c, "GET", e.srv.URL+"/m/k3m9-x2qa-7hvt-p4dz", "")
	expectStatus(t, r, 200)
	csp := r.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self' 'wasm-unsafe-eval';") || strings.Contains(csp, "'unsafe-eval'") {
		t.Fatalf("meeting page CSP %q", csp)
	}
	if strings.Replace(csp, " 'wasm-unsafe-eval'", "", 1) != contentSecurityPolicy {
		t.Fatalf("meeting page CSP differs by more than wasm: %q", csp)
	}
	for _, path := range []string{"/", "/login", "/account", "/static/app.js", "/api/me"} {
		if got := do(t, c, "GET", e.srv.URL+path, "").Header.Get("Content-Security-Policy"); strings.Contains(got, "wasm") {
			t.Errorf("%s: CSP %q allows WebAssembly", path, got)
		}
	}
}

// TestSegmentationAssetsServed: the model, its runtime and its loader are
// embedded and served with types the browser accepts.
func TestSegmentationAssetsServed(t *testing.T) {
	e := newTestEnv(t)
	c := e.client(t)
	for file, ctype := range map[string]string{
		"selfie_segmentation.js":                          "text/javascript; charset=utf-8",
		"selfie_segmentation_solution_simd_wasm_bin.js":   "text/javascript; charset=utf-8",
		"selfie_segmentation_solution_simd_wasm_bin.wasm": "application/wasm",
		"selfie_segmentation_landscape.tflite":            "application/octet-stream",
		"selfie_segmentation.binarypb":                    "application/octet-stream",
	} {
		r := do(t, c, "GET", e.srv.URL+"/static/segmentation/"+file, "")
		expectStatus(t, r, 200)
		if got := r.Header.Get("Content-Type"); got != ctype {
			t.Errorf("%s: Content-Type %q, want %q", file, got, ctype)
		}
		if len(r.body) == 0 {
			t.Errorf("%s is empty", file)
		}
	}
}
