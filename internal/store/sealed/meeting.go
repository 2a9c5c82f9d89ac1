package sealed

import (
	"context"

	"github.com/conclave-meet/conclave/internal/store"
)

// Names bound into a meeting's sealed fields.
const (
	AADMeetingTitle    = "meetings.title"
	AADMeetingPasscode = "meetings.passcode"
)

// Meeting is a meeting as a backend stores it: its title and passcode
// sealed under the meeting's key (the passcode is compared after opening).
// The embedded meeting's Title and Passcode are empty; its co-hosts are
// the backend's to store.
type Meeting struct {
	store.Meeting
	TitleSealed, PasscodeSealed []byte
}

// SealMeeting seals m's title and passcode, creating the meeting's key.
func SealMeeting(ctx context.Context, k Keys, m store.Meeting) (Meeting, error) {
	title, err := k.Seal(ctx, MeetingOwner(m.ID), []byte(m.Title), []byte(AADMeetingTitle))
	if err != nil {
		return Meeting{}, err
	}
	passcode, err := SealPasscode(ctx, k, m.ID, m.Passcode)
	if err != nil {
		return Meeting{}, err
	}
	plain := m
	plain.Title, plain.Passcode = "", ""
	return Meeting{Meeting: plain, TitleSealed: title, PasscodeSealed: passcode}, nil
}

// SealPasscode seals a new passcode of meeting id. Callers check first
// that the meeting exists (sealing creates a missing meeting key).
func SealPasscode(ctx context.Context, k Keys, id, passcode string) ([]byte, error) {
	return k.Seal(ctx, MeetingOwner(id), []byte(passcode), []byte(AADMeetingPasscode))
}

// Open opens the title and passcode; store.ErrErased when the meeting's
// key was shredded or its title is gone.
func (sm Meeting) Open(ctx context.Context, k Keys) (store.Meeting, error) {
	m := sm.Meeting
	if sm.TitleSealed == nil {
		return store.Meeting{}, store.ErrErased
	}
	title, err := k.Open(ctx, MeetingOwner(m.ID), sm.TitleSealed, []byte(AADMeetingTitle))
	if IsShredded(err) {
		return store.Meeting{}, store.ErrErased
	}
	if err != nil {
		return store.Meeting{}, err
	}
	passcode, err := k.Open(ctx, MeetingOwner(m.ID), sm.PasscodeSealed, []byte(AADMeetingPasscode))
	if err != nil {
		return store.Meeting{}, err
	}
	m.Title, m.Passcode = string(title), string(passcode)
	return m, nil
}
