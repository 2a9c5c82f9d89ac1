package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// sessionTests are the conformance tests of store.SessionStore, run by Run.
var sessionTests = map[string]func(*testing.T, store.Store){
	"SessionDetailsRoundTrip": testSessionDetailsRoundTrip,
	"SessionReplace":          testSessionReplace,
	"SessionRevokeOthers":     testSessionRevokeOthers,
	"SessionMFAReset":         testSessionMFAReset,
}

func sessionWorld(t *testing.T, s store.Store) store.SessionStore {
	t.Helper()
	ss, ok := s.(store.SessionStore)
	if !ok {
		t.Skip("this store does not manage sessions")
	}
	mustCreateUser(t, s, user("u_ada", "ada@example.org", store.RoleAdmin, base))
	mustCreateUser(t, s, user("u_bob", "bob@example.org", store.RoleMember, base))
	return ss
}

func session(hash byte, userID, stage string) store.Session {
	return store.Session{TokenHash: []byte{hash}, UserID: userID, CreatedAt: base, ExpiresAt: base.Add(time.Hour),
		Stage: stage, Method: "password", Device: "Firefox on Linux"}
}

func testSessionDetailsRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	ss := sessionWorld(t, s)
	if err := s.CreateSession(ctx, session(1, "u_ada", store.SessionSecondFactor)); err != nil {
		t.Fatal(err)
	}
	got, err := s.SessionByTokenHash(ctx, []byte{1})
	if err != nil || got.Stage != store.SessionSecondFactor || got.Method != "password" || got.Device != "Firefox on Linux" ||
		!got.LastSeenAt.IsZero() {
		t.Fatalf("got %+v %v", got, err)
	}
	if err := ss.TouchSession(ctx, []byte{1}, base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, _ = s.SessionByTokenHash(ctx, []byte{1})
	sameTime(t, "LastSeenAt", got.LastSeenAt, base.Add(time.Minute))
}

func testSessionReplace(t *testing.T, s store.Store) {
	ctx := context.Background()
	ss := sessionWorld(t, s)
	if err := s.CreateSession(ctx, session(1, "u_ada", store.SessionSecondFactor)); err != nil {
		t.Fatal(err)
	}
	next := session(2, "u_ada", store.SessionSignedIn)
	if err := ss.ReplaceSession(ctx, []byte{1}, next); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByTokenHash(ctx, []byte{1}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old session survived: %v", err)
	}
	// A second replace of the same (now gone) session creates nothing.
	if err := ss.ReplaceSession(ctx, []byte{1}, session(3, "u_ada", store.SessionSignedIn)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("replacing a gone session: %v", err)
	}
	if _, err := s.SessionByTokenHash(ctx, []byte{3}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a replacement of a gone session was created: %v", err)
	}
}

func testSessionRevokeOthers(t *testing.T, s store.Store) {
	ctx := context.Background()
	ss := sessionWorld(t, s)
	for i, u := range []string{"u_ada", "u_ada", "u_ada", "u_bob"} {
		if err := s.CreateSession(ctx, session(byte(i+1), u, "")); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := ss.RevokeSessions(ctx, "u_ada", []byte{2}); err != nil || n != 2 {
		t.Fatalf("RevokeSessions = %d, %v", n, err)
	}
	left, err := ss.SessionsByUser(ctx, "u_ada")
	if err != nil || len(left) != 1 || !bytes.Equal(left[0].TokenHash, []byte{2}) {
		t.Fatalf("left %+v %v", left, err)
	}
	if n, _ := ss.RevokeSessions(ctx, "u_ada", nil); n != 1 {
		t.Errorf("revoking all: %d", n)
	}
	if bob, _ := ss.SessionsByUser(ctx, "u_bob"); len(bob) != 1 {
		t.Errorf("another account's sessions went too")
	}
}

func testSessionMFAReset(t *testing.T, s store.Store) {
	ctx := context.Background()
	ss := sessionWorld(t, s)
	if at, err := ss.MFAResetAt(ctx, "u_ada"); err != nil || !at.IsZero() {
		t.Fatalf("initially %v %v", at, err)
	}
	if err := ss.SetMFAReset(ctx, "u_ada", base); err != nil {
		t.Fatal(err)
	}
	at, err := ss.MFAResetAt(ctx, "u_ada")
	if err != nil {
		t.Fatal(err)
	}
	sameTime(t, "MFAResetAt", at, base)
	if err := ss.SetMFAReset(ctx, "u_ada", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if at, _ := ss.MFAResetAt(ctx, "u_ada"); !at.IsZero() {
		t.Errorf("cleared: %v", at)
	}
	if err := ss.SetMFAReset(ctx, "u_nobody", base); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown account: %v", err)
	}
}
