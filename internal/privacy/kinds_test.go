package privacy

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
)

// world is a database with one person (u_alice) who signed in, joined a
// meeting as p_alice and was banned from it by u_admin, and a guest
// (p_guest) who joined the same meeting.
type world struct {
	st  *sqlite.Store
	log *audit.Log
}

func newWorld(t *testing.T) world {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now().UTC()
	for _, id := range []string{"u_alice", "u_admin"} {
		u := store.User{ID: id, Email: id + "@example.org", Name: id, Role: store.RoleMember, PasswordHash: "h", CreatedAt: now}
		must(t, st.CreateUser(ctx, u))
	}
	must(t, st.CreateSession(ctx, store.Session{TokenHash: []byte("t1"), UserID: "u_alice", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
	must(t, st.CreateMeeting(ctx, store.Meeting{ID: "m-1", Title: "T", Passcode: "p", HostID: "u_admin", CreatedAt: now,
		ScreenShare: store.ScreenSharePresenters, Recurrence: store.RecurrenceNone, EndsAt: now.Add(time.Hour)}))
	must(t, st.AddMeetingBan(ctx, "m-1", store.BanUser, "u_alice", now))
	must(t, st.AddMeetingBan(ctx, "m-1", store.BanDevice, "abcdef", now))
	w := world{st: st, log: audit.New(st, audit.Options{Key: []byte("privacy test key, 32 bytes......")})}
	for _, ev := range []audit.Event{
		{Action: audit.AuthLoginSuccess, Actor: "u_alice", ClientAddr: "192.0.2.1"},
		{Action: audit.MeetingJoinAllowed, Actor: "u_alice", Target: "p_alice", Meeting: "m-1", ClientAddr: "192.0.2.1"},
		{Action: audit.MeetingJoinAllowed, Actor: "p_guest", Target: "p_guest", Meeting: "m-1", ClientAddr: "198.51.100.7"},
		{Action: audit.MeetingBan, Actor: "u_admin", Target: "p_alice", Meeting: "m-1", ClientAddr: "203.0.113.9"},
		{Action: audit.MeetingLeave, Actor: "u_admin", Meeting: "m-1", ClientAddr: "203.0.113.9"},
	} {
		ev.Outcome = audit.Success
		if _, err := w.log.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func exportJSON(t *testing.T, k Kind, id string) string {
	t.Helper()
	items, err := k.Export(context.Background(), Subject{ID: id})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(items)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAuditKindExportsTheSubjectsEntries(t *testing.T) {
	w := newWorld(t)
	k := AuditKind{Store: w.st}
	items, err := k.Export(context.Background(), Subject{ID: "u_alice"})
	if err != nil {
		t.Fatal(err)
	}
	// login, join as p_alice, and the ban of p_alice; not the guest's join or the admin's leave.
	if len(items) != 3 {
		t.Fatalf("items %+v", items)
	}
	ban := items[2].Record.(auditRecord)
	if ban.Action != string(audit.MeetingBan) || ban.ClientAddr != "" {
		t.Fatalf("the admin's address must not be exported as alice's: %+v", ban)
	}
	if got := items[0].Record.(auditRecord).ClientAddr; got != "192.0.2.1" {
		t.Fatalf("alice's own address: %q", got)
	}
	guest := exportJSON(t, k, "p_guest")
	if !strings.Contains(guest, "198.51.100.7") || strings.Contains(guest, "u_alice") {
		t.Fatalf("guest export %s", guest)
	}
}

func TestAuditKindEraseKeepsTheChain(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	e, err := AuditKind{Store: w.st}.Erase(ctx, Subject{ID: "u_alice"})
	if err != nil || e.Deleted != 2 || e.Pseudonymous != 3 {
		t.Fatalf("erased %+v %v", e, err)
	}
	rep, err := w.log.Verify(ctx, nil)
	if err != nil || !rep.OK() || rep.Entries != 5 {
		t.Fatalf("chain after erasure: %+v %v", rep, err)
	}
	entries, err := w.st.AuditEntries(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	addrs := map[string]bool{}
	for _, en := range entries {
		addrs[en.ClientAddr] = true
	}
	if addrs["192.0.2.1"] || !addrs["198.51.100.7"] || !addrs["203.0.113.9"] {
		t.Fatalf("addresses left %v: alice's must go, others' stay", addrs)
	}
}

func TestSessionAndBanKinds(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	sk, bk := SessionKind{Store: w.st}, BanKind{Store: w.st}
	if got := exportJSON(t, sk, "u_alice"); strings.Count(got, "expires_at") != 1 || strings.Contains(got, "token") {
		t.Fatalf("session export %s", got)
	}
	if got := exportJSON(t, bk, "u_alice"); !strings.Contains(got, `"meeting_id":"m-1"`) {
		t.Fatalf("ban export %s", got)
	}
	if got := exportJSON(t, bk, "p_guest"); got != "null" {
		t.Fatalf("guest bans cannot be linked: %s", got)
	}
	if e, err := sk.Erase(ctx, Subject{ID: "u_alice"}); err != nil || e.Deleted != 1 {
		t.Fatalf("session erase %+v %v", e, err)
	}
	if e, err := bk.Erase(ctx, Subject{ID: "u_alice"}); err != nil || e.Deleted != 1 {
		t.Fatalf("ban erase %+v %v", e, err)
	}
	if banned, err := w.st.MeetingBanned(ctx, "m-1", store.BanDevice, "abcdef"); err != nil || !banned {
		t.Fatalf("someone else's ban must stay: %v %v", banned, err)
	}
	if got := exportJSON(t, sk, "u_alice") + exportJSON(t, bk, "u_alice"); got != "[][]" {
		t.Fatalf("after erasure: %s", got)
	}
}

func TestMeetingParticipants(t *testing.T) {
	w := newWorld(t)
	ps, err := MeetingParticipants(context.Background(), w.st, "m-1")
	if err != nil || len(ps) != 2 {
		t.Fatalf("%+v %v", ps, err)
	}
	if ps[0].ID != "p_alice" || ps[0].Account != "u_alice" || ps[1].ID != "p_guest" || ps[1].Account != "" {
		t.Fatalf("%+v", ps)
	}
}
