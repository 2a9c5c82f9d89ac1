package records

import (
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/config"
)

// TestTranscriptionSaysWhereAudioGoes: with transcription allowed, the
// transparency page and the measures say the audio goes to the local
// engine on this server and nowhere else; without, they say it is off and
// the page does not mention it.
func TestTranscriptionSaysWhereAudioGoes(t *testing.T) {
	on := serverInputs(t, func(c *config.Config) { c.Transcription.Transcription = true })
	info := markdown(t, Info(on))
	for _, want := range []string{"goes to a speech engine (PocketSphinx) that runs on this server", "it never leaves this server",
		"of the participants who consent, and of nobody else", "kept as the meeting's transcript, encrypted"} {
		if !strings.Contains(info, want) {
			t.Errorf("info lacks %q:\n%s", want, info)
		}
	}
	if m := strings.Join(Measures(on), "\n"); !strings.Contains(m, "only to a local speech engine (PocketSphinx) on this server") ||
		!strings.Contains(m, "meetings created transcribable") {
		t.Errorf("measures:\n%s", m)
	}
	off := serverInputs(t, nil)
	if info := markdown(t, Info(off)); strings.Contains(info, "speech engine") {
		t.Errorf("info mentions a speech engine with transcription off:\n%s", info)
	}
	if m := strings.Join(Measures(off), "\n"); !strings.Contains(m, "Transcription is off") {
		t.Errorf("measures:\n%s", m)
	}
}

// TestTranscriptionNamesEachEngine: for every engine, the transparency
// page, the measures and the consent prompt name it, and name the host
// the audio goes to whenever it leaves this server; none of them claims
// the audio stays here when it does not.
func TestTranscriptionNamesEachEngine(t *testing.T) {
	cases := map[string]struct {
		set                   func(*config.Config)
		info, measure, prompt string
		leaves                bool
	}{
		"pocketsphinx": {func(*config.Config) {},
			"goes to a speech engine (PocketSphinx) that runs on this server as a separate program: it never leaves this server.",
			"only to a local speech engine (PocketSphinx) on this server.",
			"PocketSphinx, a speech engine on this server: the audio never leaves it", false},
		"whisper on loopback": {func(c *config.Config) { c.TranscriptionEngine, c.WhisperURL = "whisper", "http://127.0.0.1:8081" },
			"goes to a speech engine (whisper.cpp) that runs on this server, at 127.0.0.1:8081: it never leaves this server.",
			"only to a local speech engine (whisper.cpp) on this server (127.0.0.1:8081).",
			"whisper.cpp, a speech engine on this server: the audio never leaves it", false},
		"whisper on a GPU host": {func(c *config.Config) {
			c.TranscriptionEngine, c.WhisperURL, c.WhisperTokenFile = "whisper", "https://gpu.example.org:8443", "/etc/conclave/whisper.token"
		},
			"goes to the organisation's own speech engine (whisper.cpp) at gpu.example.org:8443, over an encrypted connection (TLS): it goes there and nowhere else",
			"the organisation's own speech engine (whisper.cpp) at gpu.example.org:8443, encrypted in transit (TLS) and authenticated by a token.",
			"whisper.cpp, the organisation's own speech engine at gpu.example.org:8443: the audio goes there encrypted, and nowhere else", true},
		"whisper without a token": {func(c *config.Config) { c.TranscriptionEngine, c.WhisperURL = "whisper", "https://gpu.example.org" },
			"(whisper.cpp) at gpu.example.org, over an encrypted connection (TLS)",
			"(whisper.cpp) at gpu.example.org, encrypted in transit (TLS).",
			"whisper.cpp, the organisation's own speech engine at gpu.example.org:", true},
		"worker": {func(c *config.Config) {
			c.TranscriptionEngine, c.TranscriptionWorkerURL, c.TranscriptionWorkerTokenFile = "remote", "wss://stt.example.org:8765", "/tok"
		},
			"goes to the organisation's own transcription worker (a machine running a speech engine for this server) at stt.example.org:8765, over an encrypted connection (TLS)",
			"the organisation's own transcription worker (a machine running a speech engine for this server) at stt.example.org:8765, encrypted in transit (TLS) and authenticated by a token.",
			"the organisation's own transcription worker at stt.example.org:8765: the audio goes there encrypted, and nowhere else", true},
		"worker on loopback": {func(c *config.Config) {
			c.TranscriptionEngine, c.TranscriptionWorkerURL, c.TranscriptionWorkerTokenFile = "remote", "ws://127.0.0.1:8765", "/tok"
		},
			"that runs on this server, at 127.0.0.1:8765: it never leaves this server.",
			"(a machine running a speech engine for this server) on this server (127.0.0.1:8765).",
			"a transcription worker on this server: the audio never leaves it", false},
	}
	for name, tc := range cases {
		in := serverInputs(t, func(c *config.Config) { c.Transcription.Transcription = true; tc.set(c) })
		info := strings.Join(strings.Fields(markdown(t, Info(in))), " ")
		measures := strings.Join(Measures(in), "\n")
		prompt := TranscriptionEngineText(in.Config)
		if !strings.Contains(info, tc.info) {
			t.Errorf("%s: the transparency page lacks %q:\n%s", name, tc.info, info)
		}
		if !strings.Contains(measures, tc.measure) {
			t.Errorf("%s: the measures lack %q:\n%s", name, tc.measure, measures)
		}
		if !strings.Contains(prompt, tc.prompt) {
			t.Errorf("%s: the prompt says %q, want %q", name, prompt, tc.prompt)
		}
		if stays := strings.Contains(info, "never leaves this server") || strings.Contains(prompt, "never leaves"); stays == tc.leaves {
			t.Errorf("%s: audio leaves this server: %v, but the texts say it stays: %v\n%s\n%s", name, tc.leaves, stays, info, prompt)
		}
	}
}

// TestEngineTextFitsTheWire: however long the engine's host name, the
// consent prompt's text fits the wire format's 200 bytes and still names
// the host, or as much of it as fits.
func TestEngineTextFitsTheWire(t *testing.T) {
	for _, n := range []int{20, 60, 100, 150, 253} {
		host := strings.Repeat("a", n-len(".example.org")) + ".example.org"
		for _, c := range []config.Config{
			{Transcription: config.Transcription{TranscriptionEngine: "whisper", WhisperURL: "https://" + host + ":8443"}},
			{Transcription: config.Transcription{TranscriptionEngine: "remote", TranscriptionWorkerURL: "wss://" + host + ":8765"}},
		} {
			text := TranscriptionEngineText(c)
			if len(text) > MaxEngineText || !strings.Contains(text, host[:min(n, 40)]) || !strings.Contains(text, "organisation's own") {
				t.Errorf("host of %d bytes, %s: %d bytes: %q", n, c.TranscriptionEngine, len(text), text)
			}
		}
	}
}
