package privacy

import (
	"context"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// SubjectRequestStore is what the subject-request kind reads and expires
// (sqlite.Store implements it).
type SubjectRequestStore interface {
	// SubjectRequestsBySubject lists the requests whose subject reference
	// is exactly ref.
	SubjectRequestsBySubject(ctx context.Context, ref string) ([]store.SubjectRequest, error)
	// SubjectRequestIDsClosedBefore lists the requests closed before t.
	SubjectRequestIDsClosedBefore(ctx context.Context, t time.Time) ([]int64, error)
	// DeleteSubjectRequests deletes the requests and destroys their keys.
	DeleteSubjectRequests(ctx context.Context, ids []int64) (int, error)
}

// SubjectRequestKind is the register of data subjects' requests: who asked
// for what, when, and how it was answered.
type SubjectRequestKind struct{ Store SubjectRequestStore }

// Declare implements Kind.
func (SubjectRequestKind) Declare() Declaration {
	return Declaration{
		Name:     "subject_request",
		Category: CatRequest,
		Description: "Requests a person made under their data-protection rights: kind, who made it (an account " +
			"or participant ID, or a free-text reference that may hold a name), deadline, outcome and the " +
			"officer's notes, encrypted under the request's own key.",
		Purpose: "Answer data subjects' requests within the legal deadline and prove that they were answered.",
		LegalBasis: LegalObligation + " (accountability, Art. 5(2), and the duty to answer requests, " +
			"Art. 12)",
		Storage: "table subject_requests; key in table data_keys",
		Fields: []string{"request number, kind, status (plain)", "received, due and closed times (plain)",
			"subject reference (sealed; blind index)", "notes (sealed)"},
	}
}

type subjectRequestRecord struct {
	ID         int64     `json:"id"`
	Kind       string    `json:"kind"`
	ReceivedAt time.Time `json:"received_at"`
	DueAt      time.Time `json:"due_at"`
	Status     string    `json:"status"`
	ClosedAt   time.Time `json:"closed_at,omitzero"`
	Notes      string    `json:"notes,omitempty"`
}

// Export implements Kind: the requests recorded under the subject's ID.
// Requests recorded under a free-text reference cannot be matched to an ID;
// the officer finds those in the register.
func (k SubjectRequestKind) Export(ctx context.Context, s Subject) ([]Item, error) {
	srs, err := k.Store.SubjectRequestsBySubject(ctx, s.ID)
	if err != nil {
		return nil, fmt.Errorf("subject request: %w", err)
	}
	items := make([]Item, 0, len(srs))
	for _, sr := range srs {
		items = append(items, Item{Record: subjectRequestRecord{ID: sr.ID, Kind: sr.Kind, ReceivedAt: sr.ReceivedAt,
			DueAt: sr.DueAt, Status: sr.Status, ClosedAt: sr.ClosedAt, Notes: sr.Notes}})
	}
	return items, nil
}

// Erase implements Kind. The requests are kept: they are the controller's
// proof that it answered (the erasure request among them), which Art. 17(3)(b)
// and (e) allow it to keep. Once the account is erased they name only an
// ID that resolves to nobody, and they expire with their category.
func (k SubjectRequestKind) Erase(ctx context.Context, s Subject) (Erased, error) {
	srs, err := k.Store.SubjectRequestsBySubject(ctx, s.ID)
	if err != nil {
		return Erased{}, fmt.Errorf("subject request: %w", err)
	}
	if len(srs) == 0 {
		return Erased{}, nil
	}
	return Erased{Pseudonymous: len(srs), Note: "kept as proof that the requests were answered " +
		"(accountability, Art. 5(2) and 12); they name only the subject ID and are deleted, with their keys, " +
		"when the subject-request retention period after closing ends"}, nil
}

// Expire implements Kind: requests closed before the cut-off are deleted
// and their keys shredded. Open requests are kept until they are answered.
func (k SubjectRequestKind) Expire(ctx context.Context, before time.Time) (int, error) {
	ids, err := k.Store.SubjectRequestIDsClosedBefore(ctx, before)
	if err != nil {
		return 0, fmt.Errorf("subject request: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	n, err := k.Store.DeleteSubjectRequests(ctx, ids)
	if err != nil {
		return 0, fmt.Errorf("subject request: %w", err)
	}
	return n, nil
}
