package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
)

// testMeetingSetPasscode: the new passcode reads back, nothing else
// changes, and an unknown meeting is ErrNotFound.
func testMeetingSetPasscode(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreateUser(t, s, user("u_1", "a@example.org", store.RoleMember, base))
	m := meeting("k3m9-x2qa-7hvt-p4dz", "u_1", base)
	mustCreateMeeting(t, s, m)
	if err := s.SetMeetingPasscode(ctx, m.ID, "newpasscode1"); err != nil {
		t.Fatal(err)
	}
	got, err := s.MeetingByID(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	m.Passcode = "newpasscode1"
	sameMeeting(t, got, m)
	if err := s.SetMeetingPasscode(ctx, "0000-0000-0000-0000", "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown meeting: %v", err)
	}
}
