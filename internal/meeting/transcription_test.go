package meeting

import (
	"context"
	"errors"
	"testing"
)

// TestTranscriptionOption: a meeting is transcribable only when asked and
// only where the organisation allows transcription, never with media
// encrypted end to end; it is an option of its own, apart from
// recording. Asking otherwise is refused and creates nothing.
func TestTranscriptionOption(t *testing.T) {
	s, host := newService(t)
	ctx := context.Background()
	var oe *OptionError
	s.Policy.Recording = true
	if _, err := s.Create(ctx, host.ID, Options{Transcription: true}); !errors.As(err, &oe) || oe.Field != "transcription" {
		t.Fatalf("transcribable without the organisation's permission (recording allowed): %v", err)
	}
	s.Policy.Transcription = true
	plain, err := s.Create(ctx, host.ID, Options{Recording: true})
	if err != nil || plain.Transcription || !plain.Recording {
		t.Fatalf("recordable only: %+v, %v", plain, err)
	}
	tr, err := s.Create(ctx, host.ID, Options{Transcription: true})
	if err != nil || !tr.Transcription || tr.Recording {
		t.Fatalf("asked for: %+v, %v", tr, err)
	}
	if got, err := s.Authorize(ctx, tr.ID, tr.Passcode); err != nil || !got.Transcription {
		t.Fatalf("stored: %+v, %v", got, err)
	}
	on := true
	if _, err := s.Create(ctx, host.ID, Options{E2EE: &on, Transcription: true}); !errors.As(err, &oe) || oe.Field != "transcription" ||
		oe.Message != "an end-to-end encrypted meeting cannot be transcribed by the server: it has no audio to transcribe" {
		t.Fatalf("encrypted and transcribable: %v", err)
	}
	if _, err := s.Create(ctx, host.ID, Options{Sensitive: true, Transcription: true}); !errors.As(err, &oe) || oe.Field != "transcription" {
		t.Fatalf("sensitive (encrypted by default) and transcribable: %v", err)
	}
	s.Policy.RequireE2EE = true
	if _, err := s.Create(ctx, host.ID, Options{Transcription: true}); !errors.As(err, &oe) || oe.Field != "transcription" {
		t.Fatalf("transcribable under the organisation's E2EE requirement: %v", err)
	}
}
