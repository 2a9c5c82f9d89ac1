package sealed

import (
	"context"

	"github.com/conclave-meet/conclave/internal/store"
)

// Names bound into a subject request's sealed fields, and the
// blind-index field of its subject reference.
const (
	AADRequestSubject = "subject_requests.subject_ref"
	AADRequestNotes   = "subject_requests.notes"
	indexRequestRef   = "request.subject_ref"
)

// Request is a data-subject request as a backend stores it. The subject
// reference and the notes are free text that may name a person, so they
// are sealed under the request's own key (RequestOwner: expiry shreds
// exactly the requests it deletes); the reference's blind index finds one
// subject's requests. The embedded request's SubjectRef and Notes are
// empty.
type Request struct {
	store.SubjectRequest
	SubjectSealed, NotesSealed []byte // nil: not sealed yet (creation interrupted)
}

// RequestIndex is the blind index stored for a subject reference.
func RequestIndex(k Keys, ref string) string { return k.Index(indexRequestRef, ref) }

// SealRequestText seals a request's subject reference and notes under the
// key of request id, created on first use: the request's ID comes first
// (a backend assigns it), its text after.
func SealRequestText(ctx context.Context, k Keys, id int64, ref, notes string) (subject, sealedNotes []byte, err error) {
	if subject, err = k.Seal(ctx, RequestOwner(id), []byte(ref), []byte(AADRequestSubject)); err != nil {
		return nil, nil, err
	}
	if sealedNotes, err = SealRequestNotes(ctx, k, id, notes); err != nil {
		return nil, nil, err
	}
	return subject, sealedNotes, nil
}

// SealRequestNotes seals new notes of request id (closing it).
func SealRequestNotes(ctx context.Context, k Keys, id int64, notes string) ([]byte, error) {
	return k.Seal(ctx, RequestOwner(id), []byte(notes), []byte(AADRequestNotes))
}

// Open opens the row's text. A row not yet sealed, or whose key is gone,
// reads with empty text rather than failing a whole register: its
// deadline and status still matter.
func (r Request) Open(ctx context.Context, k Keys) (store.SubjectRequest, error) {
	sr := r.SubjectRequest
	if r.SubjectSealed == nil {
		return sr, nil
	}
	owner := RequestOwner(sr.ID)
	ref, err := k.Open(ctx, owner, r.SubjectSealed, []byte(AADRequestSubject))
	if IsShredded(err) {
		return sr, nil
	}
	if err != nil {
		return store.SubjectRequest{}, err
	}
	notes, err := k.Open(ctx, owner, r.NotesSealed, []byte(AADRequestNotes))
	if err != nil {
		return store.SubjectRequest{}, err
	}
	sr.SubjectRef, sr.Notes = string(ref), string(notes)
	return sr, nil
}
