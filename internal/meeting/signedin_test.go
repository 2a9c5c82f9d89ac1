package meeting

import (
	"context"
	"errors"
	"testing"
)

// TestSignedInOnly: the option is stored as asked; under the policy a new
// meeting is signed-in only, asking otherwise is refused, and a meeting
// created before the policy is authorised as signed-in only.
func TestSignedInOnly(t *testing.T) {
	s, host := newService(t)
	ctx := context.Background()
	open, err := s.Create(ctx, host.ID, Options{})
	if err != nil || open.SignedInOnly {
		t.Fatalf("default: %+v, %v", open, err)
	}
	closed, err := s.Create(ctx, host.ID, Options{SignedInOnly: boolPtr(true)})
	if err != nil || !closed.SignedInOnly {
		t.Fatalf("asked for: %+v, %v", closed, err)
	}
	if got, err := s.Authorize(ctx, closed.ID, closed.Passcode); err != nil || !got.SignedInOnly {
		t.Fatalf("stored: %+v, %v", got, err)
	}

	s.Policy.RequireSignedIn = true
	m, err := s.Create(ctx, host.ID, Options{})
	if err != nil || !m.SignedInOnly {
		t.Fatalf("under the policy: %+v, %v", m, err)
	}
	var oe *OptionError
	if _, err := s.Create(ctx, host.ID, Options{SignedInOnly: boolPtr(false)}); !errors.As(err, &oe) || oe.Field != "signed_in_only" {
		t.Fatalf("asking for guests under the policy: %v", err)
	}
	if got, err := s.Authorize(ctx, open.ID, open.Passcode); err != nil || !got.SignedInOnly {
		t.Fatalf("older meeting under the policy: %+v, %v", got, err)
	}
}

// TestRecordingOption: a meeting is recordable only when asked and only
// where the organisation allows recording; asking otherwise is refused
// and creates nothing.
func TestRecordingOption(t *testing.T) {
	s, host := newService(t)
	ctx := context.Background()
	var oe *OptionError
	if _, err := s.Create(ctx, host.ID, Options{Recording: true}); !errors.As(err, &oe) || oe.Field != "recording" {
		t.Fatalf("recordable without the organisation's permission: %v", err)
	}
	s.Policy.Recording = true
	plain, err := s.Create(ctx, host.ID, Options{})
	if err != nil || plain.Recording {
		t.Fatalf("default: %+v, %v", plain, err)
	}
	rec, err := s.Create(ctx, host.ID, Options{Recording: true})
	if err != nil || !rec.Recording {
		t.Fatalf("asked for: %+v, %v", rec, err)
	}
	if got, err := s.Authorize(ctx, rec.ID, rec.Passcode); err != nil || !got.Recording {
		t.Fatalf("stored: %+v, %v", got, err)
	}
}

// TestE2EEOption: a meeting is end-to-end encrypted when asked; under the
// organisation's requirement every new meeting is, asking otherwise is
// refused, older meetings are treated so, and an encrypted meeting cannot
// also be recordable.
func TestE2EEOption(t *testing.T) {
	s, host := newService(t)
	ctx := context.Background()
	on, off := true, false
	plain, err := s.Create(ctx, host.ID, Options{})
	if err != nil || plain.E2EE {
		t.Fatalf("default: %+v, %v", plain, err)
	}
	enc, err := s.Create(ctx, host.ID, Options{E2EE: &on})
	if err != nil || !enc.E2EE {
		t.Fatalf("asked for: %+v, %v", enc, err)
	}
	s.Policy.Recording = true
	var oe *OptionError
	if _, err := s.Create(ctx, host.ID, Options{E2EE: &on, Recording: true}); !errors.As(err, &oe) || oe.Field != "recording" {
		t.Fatalf("encrypted and recordable: %v", err)
	}
	s.Policy.RequireE2EE = true
	m, err := s.Create(ctx, host.ID, Options{})
	if err != nil || !m.E2EE {
		t.Fatalf("under the requirement: %+v, %v", m, err)
	}
	if _, err := s.Create(ctx, host.ID, Options{E2EE: &off}); !errors.As(err, &oe) || oe.Field != "e2ee" {
		t.Fatalf("asking for clear media under the requirement: %v", err)
	}
	if got, err := s.Authorize(ctx, plain.ID, plain.Passcode); err != nil || !got.E2EE {
		t.Fatalf("older meeting under the requirement: %+v, %v", got, err)
	}
}
