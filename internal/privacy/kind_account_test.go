package privacy_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
)

func openEncrypted(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// seedHost stores u_h hosting two meetings (one ended, one running) and
// co-hosting u_o's meeting.
func seedHost(t *testing.T, s *sqlite.Store, now time.Time) {
	t.Helper()
	ctx := context.Background()
	for _, id := range []string{"u_h", "u_o"} {
		u := store.User{ID: id, Email: id + "@example.org", Name: "Name " + id, Role: store.RoleMember, PasswordHash: "h", CreatedAt: now}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []store.Meeting{
		{ID: "aaaa-aaaa-aaaa-aaaa", Title: "Ended", HostID: "u_h", EndsAt: now.Add(-time.Hour)},
		{ID: "bbbb-bbbb-bbbb-bbbb", Title: "Running", HostID: "u_h", EndsAt: now.Add(time.Hour)},
		{ID: "cccc-cccc-cccc-cccc", Title: "Other's", HostID: "u_o", Cohosts: []string{"u_h"}},
	} {
		m.CreatedAt, m.ScreenShare, m.Recurrence = now, store.ScreenSharePresenters, store.RecurrenceNone
		if err := s.CreateMeeting(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAccountAndMeetingKindsRegister(t *testing.T) {
	r := privacy.NewRegistry()
	for _, k := range []privacy.Kind{privacy.AccountKind{}, privacy.MeetingKind{}} {
		if err := r.Register(k); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAccountKindExportAndErase(t *testing.T) {
	ctx := context.Background()
	s := openEncrypted(t)
	now := time.Now()
	seedHost(t, s, now)
	k := privacy.AccountKind{Store: s}
	items, err := k.Export(ctx, privacy.Subject{ID: "u_h"})
	if err != nil || len(items) != 1 {
		t.Fatalf("export: %+v %v", items, err)
	}
	b, err := json.Marshal(items[0].Record)
	if err != nil || !strings.Contains(string(b), `"email":"u_h@example.org"`) ||
		!strings.Contains(string(b), `"name":"Name u_h"`) || strings.Contains(string(b), `"h"`) ||
		!strings.Contains(string(b), `"password_changed_at":`) {
		t.Fatalf("exported %s %v: want e-mail, name and when the password was set, no password hash", b, err)
	}
	erased, err := k.Erase(ctx, privacy.Subject{ID: "u_h"})
	if err != nil || erased.Shredded != 1 || erased.Pseudonymous != 1 || erased.Deleted != 1 { // the co-host entry
		t.Fatalf("erase: %+v %v", erased, err)
	}
	if _, err := s.UserByID(ctx, "u_h"); !errors.Is(err, store.ErrErased) {
		t.Fatalf("erased account reads as %v", err)
	}
	if items, err := k.Export(ctx, privacy.Subject{ID: "u_h"}); err != nil || len(items) != 0 {
		t.Fatalf("export after erasure: %+v %v", items, err)
	}
	if again, err := k.Erase(ctx, privacy.Subject{ID: "u_h"}); err != nil || again.Shredded != 0 {
		t.Fatalf("second erase: %+v %v", again, err)
	}
	if m, err := s.MeetingByID(ctx, "cccc-cccc-cccc-cccc"); err != nil || m.Cohosts != nil {
		t.Fatalf("other's meeting after erasure: %+v %v", m, err)
	}
}

func TestMeetingKindExportEraseExpire(t *testing.T) {
	ctx := context.Background()
	s := openEncrypted(t)
	now := time.Now()
	seedHost(t, s, now)
	k := privacy.MeetingKind{Store: s}
	items, err := k.Export(ctx, privacy.Subject{ID: "u_h"})
	if err != nil || len(items) != 2 {
		t.Fatalf("export: %d items %v", len(items), err)
	}
	if n, err := k.Expire(ctx, now); err != nil || n != 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
	if _, err := s.MeetingByID(ctx, "aaaa-aaaa-aaaa-aaaa"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired meeting: %v", err)
	}
	if _, err := s.DataKey(ctx, "meeting:aaaa-aaaa-aaaa-aaaa"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired meeting's key: %v", err)
	}
	erased, err := k.Erase(ctx, privacy.Subject{ID: "u_h"})
	if err != nil || erased.Deleted != 1 || erased.Shredded != 1 {
		t.Fatalf("erase: %+v %v", erased, err)
	}
	if ms, err := s.MeetingsByHost(ctx, "u_h"); err != nil || len(ms) != 0 {
		t.Fatalf("hosted meetings after erasure: %+v %v", ms, err)
	}
	if _, err := s.MeetingByID(ctx, "cccc-cccc-cccc-cccc"); err != nil {
		t.Fatalf("another host's meeting went too: %v", err)
	}
}

// Members who stopped signing in expire; a recent sign-in and the
// organisation's admins keep their accounts.
func TestAccountKindExpiresInactiveMembers(t *testing.T) {
	ctx := context.Background()
	s := openEncrypted(t)
	long := time.Now().Add(-3 * 365 * 24 * time.Hour)
	for _, u := range []store.User{
		{ID: "u_idle", Role: store.RoleMember},
		{ID: "u_back", Role: store.RoleMember},
		{ID: "u_admin", Role: store.RoleAdmin},
	} {
		u.Email, u.Name, u.PasswordHash, u.CreatedAt = u.ID+"@example.org", "Name "+u.ID, "h", long
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordLogin(ctx, "u_back", time.Now()); err != nil {
		t.Fatal(err)
	}
	k := privacy.AccountKind{Store: s}
	n, err := k.Expire(ctx, time.Now().Add(-2*365*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("expire: %d %v, want the one idle member", n, err)
	}
	if _, err := s.UserByID(ctx, "u_idle"); !errors.Is(err, store.ErrErased) {
		t.Fatalf("idle member: %v", err)
	}
	for _, id := range []string{"u_back", "u_admin"} {
		if _, err := s.UserByID(ctx, id); err != nil {
			t.Fatalf("%s expired: %v", id, err)
		}
	}
}
