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
	if m := strings.Join(Measures(on), "\n"); !strings.Contains(m, "only to a local speech engine (PocketSphinx) on this server") {
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
