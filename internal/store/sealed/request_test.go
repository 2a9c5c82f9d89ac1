package sealed

import (
	"context"
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
)

func TestRequestRoundTrip(t *testing.T) {
	ctx := context.Background()
	k := newKeyring(t)
	const ref, notes = "the man in the blue coat, desk 12", "called twice"
	subject, sealedNotes, err := SealRequestText(ctx, k, 42, ref, notes)
	if err != nil {
		t.Fatal(err)
	}
	noPlain(t, "the subject reference", subject, ref)
	noPlain(t, "the notes", sealedNotes, notes)
	r := Request{SubjectRequest: store.SubjectRequest{ID: 42, Kind: store.RequestAccess, Status: store.RequestOpen, ReceivedAt: when},
		SubjectSealed: subject, NotesSealed: sealedNotes}
	got, err := r.Open(ctx, k)
	if err != nil || got.SubjectRef != ref || got.Notes != notes || got.Kind != store.RequestAccess || !got.ReceivedAt.Equal(when) {
		t.Fatalf("got %+v, %v", got, err)
	}
	if first, again := RequestIndex(k, ref), RequestIndex(k, ref); first != again || first == RequestIndex(k, ref+".") {
		t.Error("the subject index is not a function of the reference")
	}
	// Closing replaces the notes under the same key.
	closing, err := SealRequestNotes(ctx, k, 42, "done: exported")
	if err != nil {
		t.Fatal(err)
	}
	r.NotesSealed = closing
	if got, err := r.Open(ctx, k); err != nil || got.Notes != "done: exported" {
		t.Fatalf("after closing: %+v, %v", got, err)
	}
	// Sealed for one request, the text does not open as another's.
	if _, _, err := SealRequestText(ctx, k, 43, "someone else", ""); err != nil {
		t.Fatal(err)
	}
	other := r
	other.ID = 43
	if got, err := other.Open(ctx, k); err == nil {
		t.Errorf("one request's text opened as another's: %+v", got)
	}
}

// TestRequestUnreadableStillListed: a request not yet sealed, or whose key
// was shredded, reads with empty text (its deadline still matters).
func TestRequestUnreadableStillListed(t *testing.T) {
	ctx := context.Background()
	k := newKeyring(t)
	bare := Request{SubjectRequest: store.SubjectRequest{ID: 7, Status: store.RequestOpen}}
	if got, err := bare.Open(ctx, k); err != nil || got.ID != 7 || got.SubjectRef != "" {
		t.Fatalf("an unsealed request: %+v, %v", got, err)
	}
	subject, notes, err := SealRequestText(ctx, k, 7, "ref", "notes")
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Shred(ctx, RequestOwner(7)); err != nil {
		t.Fatal(err)
	}
	shredded := Request{SubjectRequest: bare.SubjectRequest, SubjectSealed: subject, NotesSealed: notes}
	if got, err := shredded.Open(ctx, k); err != nil || got.ID != 7 || got.SubjectRef != "" || got.Notes != "" {
		t.Fatalf("a shredded request: %+v, %v", got, err)
	}
}
