package privacy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// guestEnv is a service that issues proofs and a register, on one store
// and one clock the test moves.
func guestEnv(t *testing.T, now *time.Time) (*Service, *Requests) {
	t.Helper()
	reqs := newRequests(t, now)
	svc := &Service{Registry: NewRegistry(), Proofs: reqs.Store.(store.GuestProofStore), Now: func() time.Time { return *now }}
	return svc, reqs
}

// TestGuestProofWorksOnce: a proof makes one request, with the
// participant ID as its subject and the meeting in the notes; the same
// proof is refused the second time.
func TestGuestProofWorksOnce(t *testing.T) {
	ctx := context.Background()
	now := day(2025, 3, 1)
	svc, reqs := guestEnv(t, &now)
	token, err := svc.IssueGuestProof(ctx, "p_guest1", "k3m9-x2qa-7hvt-p4dz")
	must(t, err)
	if len(token) != 43 {
		t.Fatalf("token %q: want 256 bits as unpadded base64url", token)
	}
	other, err := svc.IssueGuestProof(ctx, "p_guest1", "k3m9-x2qa-7hvt-p4dz")
	must(t, err)
	if other == token {
		t.Fatal("two proofs are the same")
	}
	req := GuestRequest{ParticipantID: "p_guest1", Proof: token, Kind: store.RequestErasure, Notes: "please delete"}
	sr, err := svc.SubmitGuestRequest(ctx, reqs, req)
	must(t, err)
	if sr.SubjectRef != "p_guest1" || sr.Kind != "erasure" || sr.Status != "open" || !sr.DueAt.Equal(DueDate(now)) ||
		!strings.Contains(sr.Notes, "k3m9-x2qa-7hvt-p4dz") || !strings.HasSuffix(sr.Notes, "please delete") {
		t.Fatalf("recorded %+v", sr)
	}
	if _, err := svc.SubmitGuestRequest(ctx, reqs, req); !errors.Is(err, ErrBadProof) {
		t.Fatalf("second use: %v, want ErrBadProof", err)
	}
	// The other proof is independent.
	req.Proof = other
	if _, err := svc.SubmitGuestRequest(ctx, reqs, req); err != nil {
		t.Fatalf("the second proof: %v", err)
	}
}

// TestGuestProofRefusals: a proof is refused for another participant ID,
// after its expiry, and when malformed; mistakes that can be seen without
// the proof (kind, notes, a non-participant ID) do not use it up.
func TestGuestProofRefusals(t *testing.T) {
	ctx := context.Background()
	now := day(2025, 3, 1)
	svc, reqs := guestEnv(t, &now)
	token, err := svc.IssueGuestProof(ctx, "p_guest1", "k3m9-x2qa-7hvt-p4dz")
	must(t, err)
	submit := func(participant, proof, kind, notes string) error {
		_, err := svc.SubmitGuestRequest(ctx, reqs, GuestRequest{ParticipantID: participant, Proof: proof, Kind: kind, Notes: notes})
		return err
	}
	for name, err := range map[string]error{
		"another participant": submit("p_guest2", token, "access", ""),
		"malformed proof":     submit("p_guest1", token[:40], "access", ""),
		"a made-up proof":     submit("p_guest1", strings.Repeat("A", 43), "access", ""),
		"an account ID":       submit("u_guest1", token, "access", ""),
	} {
		if !errors.Is(err, ErrBadProof) {
			t.Errorf("%s: %v, want ErrBadProof", name, err)
		}
	}
	for name, err := range map[string]error{
		"unknown kind":   submit("p_guest1", token, "gossip", ""),
		"notes too long": submit("p_guest1", token, "access", strings.Repeat("x", MaxGuestNotes+1)),
	} {
		if !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: %v, want ErrBadRequest", name, err)
		}
	}
	if all, _ := reqs.List(ctx, false); len(all) != 0 {
		t.Fatalf("refused submissions recorded %d requests", len(all))
	}
	// None of that used the proof up; time does.
	now = now.Add(GuestProofTTL)
	if err := submit("p_guest1", token, "access", ""); !errors.Is(err, ErrBadProof) {
		t.Fatalf("at its expiry: %v, want ErrBadProof", err)
	}
	now = now.Add(-time.Second)
	if err := submit("p_guest1", token, "access", ""); err != nil {
		t.Fatalf("just before its expiry: %v", err)
	}
}

// failingRequests refuses to record anything.
type failingRequests struct{ RequestStore }

func (failingRequests) CreateSubjectRequest(context.Context, store.SubjectRequest) (store.SubjectRequest, error) {
	return store.SubjectRequest{}, errors.New("disk full")
}

// TestGuestProofPutBackWhenRecordingFails: the guest keeps their proof
// when the register cannot record the request.
func TestGuestProofPutBackWhenRecordingFails(t *testing.T) {
	ctx := context.Background()
	now := day(2025, 3, 1)
	svc, reqs := guestEnv(t, &now)
	token, err := svc.IssueGuestProof(ctx, "p_guest1", "k3m9-x2qa-7hvt-p4dz")
	must(t, err)
	broken := &Requests{Store: failingRequests{reqs.Store}, Now: reqs.Now}
	req := GuestRequest{ParticipantID: "p_guest1", Proof: token, Kind: "access"}
	if _, err := svc.SubmitGuestRequest(ctx, broken, req); err == nil || errors.Is(err, ErrBadProof) {
		t.Fatalf("with a failing register: %v", err)
	}
	if _, err := svc.SubmitGuestRequest(ctx, reqs, req); err != nil {
		t.Fatalf("the proof was lost with the failed request: %v", err)
	}
}

func TestIssueGuestProofRefusals(t *testing.T) {
	ctx := context.Background()
	now := day(2025, 3, 1)
	svc, _ := guestEnv(t, &now)
	if _, err := svc.IssueGuestProof(ctx, "u_account", "k3m9"); !errors.Is(err, ErrBadSubject) {
		t.Errorf("for an account: %v, want ErrBadSubject", err)
	}
	if _, err := svc.IssueGuestProof(ctx, "p_guest", ""); err == nil {
		t.Error("issued without a meeting")
	}
	if _, err := (&Service{}).IssueGuestProof(ctx, "p_guest", "k3m9"); !errors.Is(err, ErrNoProofs) {
		t.Errorf("without a store: %v, want ErrNoProofs", err)
	}
}

// TestGuestProofKind: export shows a participant's unused proofs without
// their hashes, erasure deletes them, expiry takes expired proofs and
// those issued before the category's cut-off.
func TestGuestProofKind(t *testing.T) {
	ctx := context.Background()
	now := day(2025, 3, 1)
	svc, _ := guestEnv(t, &now)
	k := GuestProofKind{Store: svc.Proofs, Now: func() time.Time { return now }}
	if err := k.Declare().Validate(); err != nil {
		t.Fatal(err)
	}
	_, err := svc.IssueGuestProof(ctx, "p_a", "k3m9-x2qa-7hvt-p4dz")
	must(t, err)
	_, err = svc.IssueGuestProof(ctx, "p_b", "k3m9-x2qa-7hvt-p4dz")
	must(t, err)
	items, err := k.Export(ctx, Subject{ID: "p_a"})
	must(t, err)
	if len(items) != 1 {
		t.Fatalf("export: %d items", len(items))
	}
	if rec := items[0].Record.(guestProofRecord); rec.MeetingID != "k3m9-x2qa-7hvt-p4dz" || !rec.ExpiresAt.Equal(now.Add(GuestProofTTL)) {
		t.Fatalf("exported %+v", rec)
	}
	if items, _ := k.Export(ctx, Subject{ID: "u_a"}); len(items) != 0 {
		t.Fatal("an account has guest proofs")
	}
	if er, err := k.Erase(ctx, Subject{ID: "p_a"}); err != nil || er.Deleted != 1 {
		t.Fatalf("erase: %+v %v", er, err)
	}
	if n, err := k.Expire(ctx, now); err != nil || n != 0 {
		t.Fatalf("expire at issue time: %d %v", n, err)
	}
	now = now.Add(GuestProofTTL + time.Second)
	if n, err := k.Expire(ctx, now.Add(-GuestProofTTL*2)); err != nil || n != 1 {
		t.Fatalf("expire after the proof's expiry: %d %v", n, err)
	}
}

// TestRestrictionAndObjectionKinds: the register takes the Art. 18 and 21
// kinds.
func TestRestrictionAndObjectionKinds(t *testing.T) {
	ctx := context.Background()
	now := day(2025, 3, 1)
	reqs := newRequests(t, &now)
	for _, kind := range []string{store.RequestRestriction, store.RequestObjection} {
		sr, err := reqs.Create(ctx, NewRequest{Kind: kind, SubjectRef: "u_alice"})
		if err != nil || sr.Kind != kind {
			t.Fatalf("%s: %+v %v", kind, sr, err)
		}
	}
	open, found, err := reqs.OpenFor(ctx, "u_alice", store.RequestObjection)
	if err != nil || !found || open.Kind != store.RequestObjection {
		t.Fatalf("OpenFor: %+v %v %v", open, found, err)
	}
	if _, found, _ := reqs.OpenFor(ctx, "u_bob", store.RequestObjection); found {
		t.Fatal("OpenFor found another subject's request")
	}
	mine, err := reqs.Mine(ctx, "u_alice")
	if err != nil || len(mine) != 2 {
		t.Fatalf("Mine: %+v %v", mine, err)
	}
}
