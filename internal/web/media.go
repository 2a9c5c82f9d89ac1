package web

import (
	"net/http"
	"strings"
)

// meetingPagePolicy is the CSP of the meeting page only. Background blur
// and virtual backgrounds run a segmentation model compiled to
// WebAssembly (served from /static/segmentation/, never another origin),
// and compiling WebAssembly needs 'wasm-unsafe-eval'. That keyword allows
// WebAssembly compilation alone: eval and new Function stay refused, and
// only scripts of this origin run. Every other page keeps the policy
// without it (docs/security.md, "Content Security Policy").
var meetingPagePolicy = strings.Replace(contentSecurityPolicy, "script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", 1)

// meetingPage serves the client for /m/{id} under meetingPagePolicy.
func (s *server) meetingPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", meetingPagePolicy)
	s.index(w, r)
}

// mediaDefaults are the organisation's camera and microphone defaults
// (config.Media), which the pre-join screen applies before it starts any
// device. They are the same for everyone, so anyone may read them.
type mediaDefaults struct {
	CameraOn     bool `json:"camera_on"`
	MicrophoneOn bool `json:"microphone_on"`
}

func (s *server) mediaDefaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, mediaDefaults{CameraOn: s.Config.CameraDefaultOn, MicrophoneOn: s.Config.MicrophoneDefaultOn})
}
