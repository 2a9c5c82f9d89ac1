package storetest

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

var retentionTests = map[string]func(*testing.T, store.Store){
	"MeetingRetentionRoundTrip": testMeetingRetentionRoundTrip,
	"MeetingRetentionUnknown":   testMeetingRetentionUnknown,
}

func testMeetingRetentionRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreateUser(t, s, user("u_a", "a@example.org", store.RoleAdmin, base))
	mustCreateMeeting(t, s, meeting("m-one", "u_a", base))
	mustCreateMeeting(t, s, meeting("m-two", "u_a", base))
	one := map[string]time.Duration{"recording": 48 * time.Hour, "chat": 2 * time.Hour}
	if err := s.SetMeetingRetention(ctx, "m-one", one); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMeetingRetention(ctx, "m-two", map[string]time.Duration{"chat": 5 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	got, err := s.MeetingRetention(ctx, "m-one")
	if err != nil || !maps.Equal(got, one) {
		t.Fatalf("MeetingRetention = %v, %v", got, err)
	}
	chat, err := s.MeetingRetentions(ctx, "chat")
	if err != nil || !maps.Equal(chat, map[string]time.Duration{"m-one": 2 * time.Hour, "m-two": 5 * time.Hour}) {
		t.Fatalf("MeetingRetentions(chat) = %v, %v", chat, err)
	}
	// Setting again replaces: chat follows the organisation again.
	if err := s.SetMeetingRetention(ctx, "m-one", map[string]time.Duration{"file": time.Hour}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.MeetingRetention(ctx, "m-one")
	if !maps.Equal(got, map[string]time.Duration{"file": time.Hour}) {
		t.Fatalf("after replace %v", got)
	}
	if err := s.SetMeetingRetention(ctx, "m-two", nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.MeetingRetention(ctx, "m-two"); len(got) != 0 {
		t.Fatalf("after clear %v", got)
	}
}

func testMeetingRetentionUnknown(t *testing.T, s store.Store) {
	ctx := context.Background()
	err := s.SetMeetingRetention(ctx, "nope", map[string]time.Duration{"chat": time.Hour})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown meeting: %v", err)
	}
	if got, err := s.MeetingRetention(ctx, "nope"); err != nil || len(got) != 0 {
		t.Fatalf("MeetingRetention(nope) = %v, %v", got, err)
	}
}
