package privacy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// RequestStore is the part of the store the request register needs.
type RequestStore interface {
	CreateSubjectRequest(ctx context.Context, r store.SubjectRequest) (store.SubjectRequest, error)
	SubjectRequests(ctx context.Context, openOnly bool) ([]store.SubjectRequest, error)
	CloseSubjectRequest(ctx context.Context, id int64, status string, at time.Time, notes string) (store.SubjectRequest, error)
}

// ReminderWindow is how close to its deadline an open request must be for
// the privacy officer to be reminded of it.
const ReminderWindow = 7 * 24 * time.Hour

// ErrBadRequest is returned (wrapped) for an invalid request record.
var ErrBadRequest = errors.New("privacy: invalid subject request")

// Requests is the register of data subjects' requests and their deadlines.
type Requests struct {
	Store RequestStore
	// Now is the clock (time.Now); tests set it.
	Now func() time.Time
}

func (r *Requests) now() time.Time {
	if r.Now == nil {
		return time.Now().UTC()
	}
	return r.Now().UTC()
}

// DueDate is the deadline for a request received at t: one calendar month
// later (Art. 12(3)), on the same day of the month, or on the month's last
// day when it has no such day (31 January gives 28 or 29 February), as
// Regulation 1182/71 counts periods in months. time.AddDate would instead
// overflow into March.
func DueDate(t time.Time) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+1, 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}

// DaysLeft is the number of whole days from now until due, negative when
// overdue: a request due later today has 0 days left.
func DaysLeft(due, now time.Time) int {
	dy, dm, dd := due.UTC().Date()
	ny, nm, nd := now.UTC().Date()
	a := time.Date(dy, dm, dd, 0, 0, 0, 0, time.UTC)
	b := time.Date(ny, nm, nd, 0, 0, 0, 0, time.UTC)
	return int(a.Sub(b).Hours() / 24)
}

// NewRequest is what an officer records.
type NewRequest struct {
	Kind       string
	SubjectRef string
	// ReceivedAt is when the request arrived; zero means now. The deadline
	// runs from receipt, which may be before it is recorded.
	ReceivedAt time.Time
	Notes      string
}

// RequestKinds lists the kinds of request the register takes, in the
// order of the articles (15 to 21).
var RequestKinds = []string{
	store.RequestAccess, store.RequestRectification, store.RequestErasure,
	store.RequestRestriction, store.RequestPortability, store.RequestObjection,
}

// ValidKind reports whether kind is one of RequestKinds.
func ValidKind(kind string) bool { return slices.Contains(RequestKinds, kind) }

// Create records a request with its deadline.
func (r *Requests) Create(ctx context.Context, n NewRequest) (store.SubjectRequest, error) {
	now := r.now()
	if n.ReceivedAt.IsZero() {
		n.ReceivedAt = now
	}
	if err := checkNew(n, now); err != nil {
		return store.SubjectRequest{}, err
	}
	sr, err := r.Store.CreateSubjectRequest(ctx, store.SubjectRequest{
		Kind: n.Kind, SubjectRef: strings.TrimSpace(n.SubjectRef), ReceivedAt: n.ReceivedAt.UTC(),
		DueAt: DueDate(n.ReceivedAt.UTC()), Notes: n.Notes,
	})
	if err != nil {
		return store.SubjectRequest{}, fmt.Errorf("privacy: record request: %w", err)
	}
	return sr, nil
}

func checkNew(n NewRequest, now time.Time) error {
	switch {
	case !ValidKind(n.Kind):
		return fmt.Errorf("%w: kind must be one of %s", ErrBadRequest, strings.Join(RequestKinds, ", "))
	case strings.TrimSpace(n.SubjectRef) == "" || len(n.SubjectRef) > 200:
		return fmt.Errorf("%w: subject is required (at most 200 characters)", ErrBadRequest)
	case len(n.Notes) > 2000:
		return fmt.Errorf("%w: notes are limited to 2000 characters", ErrBadRequest)
	case n.ReceivedAt.After(now.Add(time.Minute)):
		return fmt.Errorf("%w: received in the future", ErrBadRequest)
	}
	return nil
}

// List returns the requests (open ones only when openOnly), earliest
// deadline first.
func (r *Requests) List(ctx context.Context, openOnly bool) ([]store.SubjectRequest, error) {
	out, err := r.Store.SubjectRequests(ctx, openOnly)
	if err != nil {
		return nil, fmt.Errorf("privacy: list requests: %w", err)
	}
	return out, nil
}

// Check validates n as Create would, without recording it, so that a
// caller can refuse a bad request before spending anything on it (a
// guest's one-time proof).
func (r *Requests) Check(n NewRequest) error {
	now := r.now()
	if n.ReceivedAt.IsZero() {
		n.ReceivedAt = now
	}
	return checkNew(n, now)
}

// OpenFor returns the open request of kind whose subject reference is
// exactly ref, if there is one: a person asking again while their request
// is open is pointed at it rather than filing another.
func (r *Requests) OpenFor(ctx context.Context, ref, kind string) (store.SubjectRequest, bool, error) {
	open, err := r.List(ctx, true)
	if err != nil {
		return store.SubjectRequest{}, false, err
	}
	for _, sr := range open {
		if sr.SubjectRef == ref && sr.Kind == kind {
			return sr, true, nil
		}
	}
	return store.SubjectRequest{}, false, nil
}

// Mine returns every request whose subject reference is exactly ref, open
// or closed, earliest deadline first: what a person sees of their own.
func (r *Requests) Mine(ctx context.Context, ref string) ([]store.SubjectRequest, error) {
	all, err := r.List(ctx, false)
	if err != nil {
		return nil, err
	}
	var out []store.SubjectRequest
	for _, sr := range all {
		if sr.SubjectRef == ref {
			out = append(out, sr)
		}
	}
	return out, nil
}

// Close marks an open request done or rejected; store.ErrNotFound when no
// open request has the ID.
func (r *Requests) Close(ctx context.Context, id int64, status, notes string) (store.SubjectRequest, error) {
	if status != store.RequestDone && status != store.RequestRejected {
		return store.SubjectRequest{}, fmt.Errorf("%w: status must be done or rejected", ErrBadRequest)
	}
	if len(notes) > 2000 {
		return store.SubjectRequest{}, fmt.Errorf("%w: notes are limited to 2000 characters", ErrBadRequest)
	}
	sr, err := r.Store.CloseSubjectRequest(ctx, id, status, r.now(), notes)
	if err != nil {
		return store.SubjectRequest{}, fmt.Errorf("privacy: close request %d: %w", id, err)
	}
	return sr, nil
}

// Reminder counts the open requests that are overdue and those due within
// ReminderWindow.
type Reminder struct {
	Overdue int `json:"overdue"`
	DueSoon int `json:"due_soon"`
}

// Remind returns the reminder for now.
func (r *Requests) Remind(ctx context.Context) (Reminder, error) {
	open, err := r.List(ctx, true)
	if err != nil {
		return Reminder{}, err
	}
	now := r.now()
	var rem Reminder
	for _, sr := range open {
		switch {
		case sr.DueAt.Before(now):
			rem.Overdue++
		case sr.DueAt.Before(now.Add(ReminderWindow)):
			rem.DueSoon++
		}
	}
	return rem, nil
}
