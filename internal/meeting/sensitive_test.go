package meeting

import (
	"context"
	"errors"
	"testing"
)

// TestSensitiveMeeting: a sensitive meeting is end-to-end encrypted unless
// its host turns encryption off explicitly, is stored as sensitive either
// way, and cannot also be recordable while encrypted; under the
// organisation's requirement turning it off is refused.
func TestSensitiveMeeting(t *testing.T) {
	s, host := newService(t)
	ctx := context.Background()
	off := false
	m, err := s.Create(ctx, host.ID, Options{Sensitive: true})
	if err != nil || !m.E2EE || !m.Sensitive {
		t.Fatalf("sensitive by default: %+v, %v", m, err)
	}
	if got, err := s.Authorize(ctx, m.ID, m.Passcode); err != nil || !got.E2EE || !got.Sensitive {
		t.Fatalf("stored: %+v, %v", got, err)
	}
	open, err := s.Create(ctx, host.ID, Options{Sensitive: true, E2EE: &off})
	if err != nil || open.E2EE || !open.Sensitive {
		t.Fatalf("sensitive, encryption turned off: %+v, %v", open, err)
	}
	if plain, err := s.Create(ctx, host.ID, Options{}); err != nil || plain.Sensitive || plain.E2EE {
		t.Fatalf("ordinary meeting: %+v, %v", plain, err)
	}
	s.Policy.Recording = true
	var oe *OptionError
	if _, err := s.Create(ctx, host.ID, Options{Sensitive: true, Recording: true}); !errors.As(err, &oe) || oe.Field != "recording" {
		t.Fatalf("sensitive (encrypted) and recordable: %v", err)
	}
	if rec, err := s.Create(ctx, host.ID, Options{Sensitive: true, E2EE: &off, Recording: true}); err != nil || !rec.Recording {
		t.Fatalf("sensitive without encryption, recordable: %+v, %v", rec, err)
	}
	s.Policy.RequireE2EE = true
	if _, err := s.Create(ctx, host.ID, Options{Sensitive: true, E2EE: &off}); !errors.As(err, &oe) || oe.Field != "e2ee" {
		t.Fatalf("turning encryption off under the requirement: %v", err)
	}
}
