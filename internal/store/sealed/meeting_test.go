package sealed

import (
	"context"
	"errors"
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
)

func TestMeetingRoundTrip(t *testing.T) {
	ctx := context.Background()
	k := newKeyring(t)
	m := store.Meeting{ID: "k3m9-x2qa-7hvt-p4dz", Title: "Merger talks Xylophagous", Passcode: "pq7vkw3mzt9r",
		HostID: "u_ada", CreatedAt: when, WaitingRoom: true, Sensitive: true}
	sm, err := SealMeeting(ctx, k, m)
	if err != nil {
		t.Fatal(err)
	}
	noPlain(t, "the title", sm.TitleSealed, m.Title)
	noPlain(t, "the passcode", sm.PasscodeSealed, m.Passcode)
	if sm.Title != "" || sm.Passcode != "" {
		t.Fatal("the row holds the plain title or passcode")
	}
	got, err := sm.Open(ctx, k)
	if err != nil || got.Title != m.Title || got.Passcode != m.Passcode || !got.WaitingRoom || !got.Sensitive || got.HostID != "u_ada" {
		t.Fatalf("got %+v, %v", got, err)
	}
	if sm.PasscodeSealed, err = SealPasscode(ctx, k, m.ID, "newpasscode1"); err != nil {
		t.Fatal(err)
	}
	if got, err := sm.Open(ctx, k); err != nil || got.Passcode != "newpasscode1" {
		t.Fatalf("a new passcode: %+v, %v", got, err)
	}
	swapped := sm
	swapped.TitleSealed, swapped.PasscodeSealed = sm.PasscodeSealed, sm.TitleSealed
	if _, err := swapped.Open(ctx, k); err == nil {
		t.Error("a passcode opened as a title")
	}
	if _, err := (Meeting{Meeting: sm.Meeting}).Open(ctx, k); !errors.Is(err, store.ErrErased) {
		t.Errorf("a meeting without a title: %v, want ErrErased", err)
	}
	if err := k.Shred(ctx, MeetingOwner(m.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := sm.Open(ctx, k); !errors.Is(err, store.ErrErased) {
		t.Errorf("a shredded meeting: %v, want ErrErased", err)
	}
}
