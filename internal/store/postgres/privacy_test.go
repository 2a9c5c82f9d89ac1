package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/pgtest"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sealed"
)

// Distinctive free text a request may hold.
const (
	secretRequester = "Ottoline Brackenwhistle"
	secretNotes     = "called from Quarrendon Lane"
	secretClosing   = "answered by post Vexillum"
)

func newRequest(t *testing.T, s *Store, ref, notes string, received time.Time) store.SubjectRequest {
	t.Helper()
	sr, err := s.CreateSubjectRequest(context.Background(), store.SubjectRequest{Kind: store.RequestAccess,
		SubjectRef: ref, ReceivedAt: received, DueAt: received.Add(30 * 24 * time.Hour), Notes: notes})
	if err != nil {
		t.Fatal(err)
	}
	return sr
}

// TestSubjectRequests: the register round-trips, finds one subject's
// requests by the blind index, closes once, and expires closed requests
// with their keys; its free text is in no dump in plain text.
func TestSubjectRequests(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.New(t)
	s := openOn(t, dsn, clusterKey(t))
	a := newRequest(t, s, secretRequester, secretNotes, t0)
	b := newRequest(t, s, "u_bob", "", t0.Add(-time.Hour))
	if a.ID == b.ID || a.Status != store.RequestOpen {
		t.Fatalf("created %+v and %+v", a, b)
	}
	all, err := s.SubjectRequests(ctx, false)
	if err != nil || len(all) != 2 || all[0].ID != b.ID || all[1].SubjectRef != secretRequester || all[1].Notes != secretNotes {
		t.Fatalf("the register, earliest deadline first: %+v, %v", all, err)
	}
	if got, err := s.SubjectRequestsBySubject(ctx, "u_bob"); err != nil || len(got) != 1 || got[0].ID != b.ID {
		t.Fatalf("by subject: %+v, %v", got, err)
	}
	closed, err := s.CloseSubjectRequest(ctx, a.ID, store.RequestDone, t0.Add(time.Hour), secretClosing)
	if err != nil || closed.Notes != secretClosing || closed.Status != store.RequestDone || !closed.ClosedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("closed: %+v, %v", closed, err)
	}
	if _, err := s.CloseSubjectRequest(ctx, a.ID, store.RequestRejected, t0, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("closing twice: %v, want ErrNotFound", err)
	}
	if _, err := s.CloseSubjectRequest(ctx, 999, store.RequestDone, t0, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("closing an unknown request: %v", err)
	}
	if _, err := s.DataKey(ctx, sealed.RequestOwner(999)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("closing an unknown request made a key: %v", err)
	}
	if open, err := s.SubjectRequests(ctx, true); err != nil || len(open) != 1 || open[0].ID != b.ID {
		t.Fatalf("open requests: %+v, %v", open, err)
	}
	assertAbsent(t, "the dump", pgtest.Dump(t, dsn), secretRequester, secretNotes, secretClosing)

	ids, err := s.SubjectRequestIDsClosedBefore(ctx, t0.Add(2*time.Hour))
	if err != nil || fmt.Sprint(ids) != fmt.Sprint([]int64{a.ID}) {
		t.Fatalf("closed before: %v, %v", ids, err)
	}
	if n, err := s.DeleteSubjectRequests(ctx, ids); err != nil || n != 1 {
		t.Fatalf("DeleteSubjectRequests = %d, %v", n, err)
	}
	if _, err := s.DataKey(ctx, sealed.RequestOwner(a.ID)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a deleted request's key remains: %v", err)
	}
}

// TestEraseUser: erasure leaves a tombstone, shreds the subject key and
// removes sessions, co-host entries and credentials; again, it does
// nothing; an unknown account is ErrNotFound.
func TestEraseUser(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.New(t)
	s := openOn(t, dsn, clusterKey(t))
	for _, id := range []string{"u_host", markerID} {
		u := store.User{ID: id, Email: id + "@example.org", Name: secretName + " " + id, Role: store.RoleMember, PasswordHash: "h", CreatedAt: t0}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	m := store.Meeting{ID: "k3m9-x2qa-7hvt-p4dz", Title: "t", Passcode: "p", HostID: "u_host", CreatedAt: t0,
		ScreenShare: store.ScreenSharePresenters, Recurrence: store.RecurrenceNone, Cohosts: []string{markerID}}
	if err := s.CreateMeeting(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, store.Session{TokenHash: []byte{1}, UserID: markerID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddCredential(ctx, store.Credential{ID: "cr_1", UserID: markerID, Kind: store.CredentialTOTP, Name: "phone",
		Secret: []byte("totp secret"), CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	out, err := s.EraseUser(ctx, markerID, t0.Add(time.Hour))
	if err != nil || out != (store.UserErasure{Sessions: 1, Cohosts: 1, Credentials: 1, Shredded: true}) {
		t.Fatalf("EraseUser = %+v, %v", out, err)
	}
	if _, err := s.UserByID(ctx, markerID); !errors.Is(err, store.ErrErased) {
		t.Fatalf("an erased account reads as %v", err)
	}
	if erased, err := s.UserErased(ctx, markerID); err != nil || !erased {
		t.Fatalf("UserErased = %v, %v", erased, err)
	}
	if got, err := s.MeetingByID(ctx, m.ID); err != nil || len(got.Cohosts) != 0 {
		t.Fatalf("the meeting after its co-host's erasure: %+v, %v", got, err)
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 1 {
		t.Fatalf("CountUsers = %d, %v", n, err)
	}
	if again, err := s.EraseUser(ctx, markerID, t0.Add(2*time.Hour)); err != nil || again != (store.UserErasure{}) {
		t.Fatalf("erasing again = %+v, %v", again, err)
	}
	if _, err := s.EraseUser(ctx, "u_nobody", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("erasing an unknown account: %v", err)
	}
	dump := pgtest.Dump(t, dsn)
	if !bytes.Contains(dump, []byte(markerID)) {
		t.Fatal("the tombstone is not in the dump")
	}
	assertAbsent(t, "the dump", dump, secretName+" "+markerID, markerID+"@example.org", "totp secret")
}

// TestDeleteMeetings: deleting meetings destroys their keys with them
// and cascades to what hangs off them.
func TestDeleteMeetings(t *testing.T) {
	ctx := context.Background()
	s := nodes(t, 1)[0]
	if err := s.CreateUser(ctx, store.User{ID: "u_h", Email: "h@example.org", Role: store.RoleMember, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	for i, end := range []time.Time{t0, t0.Add(48 * time.Hour), {}} {
		m := store.Meeting{ID: fmt.Sprintf("mmmm-mmmm-mmmm-%04d", i), Title: "t", HostID: "u_h", CreatedAt: t0, EndsAt: end,
			ScreenShare: store.ScreenSharePresenters, Recurrence: store.RecurrenceNone}
		if err := s.CreateMeeting(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddMeetingBan(ctx, "mmmm-mmmm-mmmm-0000", store.BanDevice, "abc", t0); err != nil {
		t.Fatal(err)
	}
	ended, err := s.MeetingIDsEndedBefore(ctx, t0.Add(time.Hour))
	if err != nil || fmt.Sprint(ended) != "[mmmm-mmmm-mmmm-0000]" {
		t.Fatalf("ended before: %v, %v", ended, err)
	}
	if hosted, err := s.HostedMeetingIDs(ctx, "u_h"); err != nil || len(hosted) != 3 {
		t.Fatalf("hosted: %v, %v", hosted, err)
	}
	if n, err := s.DeleteMeetings(ctx, ended); err != nil || n != 1 {
		t.Fatalf("DeleteMeetings = %d, %v", n, err)
	}
	if _, err := s.DataKey(ctx, sealed.MeetingOwner("mmmm-mmmm-mmmm-0000")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a deleted meeting's key remains: %v", err)
	}
	if bans, err := s.BansBySubject(ctx, store.BanDevice, "abc"); err != nil || bans != nil {
		t.Fatalf("a deleted meeting's bans: %+v, %v", bans, err)
	}
	if _, err := s.MeetingByID(ctx, "mmmm-mmmm-mmmm-0001"); err != nil {
		t.Fatalf("another meeting went too: %v", err)
	}
}
