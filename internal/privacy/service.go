package privacy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// ErrBadSubject is returned for a subject ID that names neither an account
// ("u_…") nor a guest participant ("p_…").
var ErrBadSubject = errors.New("privacy: subject must be an account (u_…) or participant (p_…) ID")

// Service runs a data subject's access and erasure requests over every
// registered kind, so that neither can miss one.
type Service struct {
	Registry *Registry
	// Retention is the retention period per category name (config's
	// Privacy.Retention); 0 or missing means kept until erased.
	Retention map[string]time.Duration
	// Controller and Contact name the organisation and where to write, for
	// the human-readable summary.
	Controller, Contact string
	// Scrub, when set, runs after erasure to make deleted rows unreadable
	// in the files too (store.PrivacyStore.ScrubDeleted).
	Scrub func(context.Context) error
	// Proofs keeps the one-time proofs handed to guests
	// (IssueGuestProof); nil refuses to issue or accept them.
	Proofs store.GuestProofStore
	// ProofTTL is how long a guest proof stays valid (GuestProofTTL when
	// zero).
	ProofTTL time.Duration
	// Now is the clock (time.Now).
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// CheckSubject validates a subject ID's form.
func CheckSubject(id string) error {
	if (strings.HasPrefix(id, "u_") || strings.HasPrefix(id, "p_")) && len(id) > 2 && len(id) <= 64 {
		return nil
	}
	return ErrBadSubject
}

// KindExport is what one kind holds on the subject.
type KindExport struct {
	Declaration Declaration
	Retention   time.Duration // 0: kept until erased
	Items       []Item
}

// Export is everything held on one subject, ready to be written as an
// archive (WriteArchive).
type Export struct {
	Subject     Subject
	GeneratedAt time.Time
	Controller  string
	Contact     string
	Kinds       []KindExport
}

// Export collects what every kind holds on subj. A kind that fails fails
// the whole export: a partial answer to an access request would look
// complete to the person reading it.
func (s *Service) Export(ctx context.Context, subj Subject) (Export, error) {
	if err := CheckSubject(subj.ID); err != nil {
		return Export{}, err
	}
	out := Export{Subject: subj, GeneratedAt: s.now(), Controller: s.Controller, Contact: s.Contact}
	for _, k := range s.Registry.Kinds() {
		d := k.Declare()
		items, err := k.Export(ctx, subj)
		if err != nil {
			return Export{}, fmt.Errorf("privacy: export %s: %w", d.Name, err)
		}
		out.Kinds = append(out.Kinds, KindExport{Declaration: d, Retention: s.Retention[string(d.Category)], Items: items})
	}
	return out, nil
}

// KindErasure is what erasure did to one kind; Error is set when it failed.
type KindErasure struct {
	Kind string `json:"kind"`
	Erased
	Error string `json:"error,omitempty"`
}

// ErasureReport says what erasure did, kind by kind.
type ErasureReport struct {
	Subject  string        `json:"subject"`
	ErasedAt time.Time     `json:"erased_at"`
	Kinds    []KindErasure `json:"kinds"`
	// Complete is false when a kind failed; erasing again retries it.
	Complete bool `json:"complete"`
}

// Erase runs every kind's Erase for subj. It goes on past a failing kind,
// so that one broken kind does not keep the rest of the person's data, and
// returns the report together with the joined errors.
func (s *Service) Erase(ctx context.Context, subj Subject) (ErasureReport, error) {
	if err := CheckSubject(subj.ID); err != nil {
		return ErasureReport{}, err
	}
	rep := ErasureReport{Subject: subj.ID, ErasedAt: s.now(), Complete: true}
	var errs []error
	for _, k := range eraseOrder(s.Registry.Kinds()) {
		name := k.Declare().Name
		e, err := k.Erase(ctx, subj)
		ke := KindErasure{Kind: name, Erased: e}
		if err != nil {
			ke.Error = "erasure failed; see the server log"
			errs = append(errs, fmt.Errorf("privacy: erase %s: %w", name, err))
		}
		rep.Kinds = append(rep.Kinds, ke)
	}
	if s.Scrub != nil {
		if err := s.Scrub(ctx); err != nil {
			errs = append(errs, fmt.Errorf("privacy: scrub after erasure: %w", err))
		}
	}
	rep.Complete = len(errs) == 0
	return rep, errors.Join(errs...)
}

// eraseOrder puts account kinds last: the other kinds may still need the
// account to find the subject's data (meetings they host, sessions), and
// deleting the account first could cascade past a kind that must shred.
func eraseOrder(kinds []Kind) []Kind {
	out := slices.Clone(kinds)
	slices.SortStableFunc(out, func(a, b Kind) int {
		return boolInt(a.Declare().Category == CatAccount) - boolInt(b.Declare().Category == CatAccount)
	})
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// AuditDetails are the report's totals, for the data.erase audit entry:
// numbers only, nothing that names the person.
func (r ErasureReport) AuditDetails() map[string]string {
	var del, shred, pseudo int
	for _, k := range r.Kinds {
		del, shred, pseudo = del+k.Deleted, shred+k.Shredded, pseudo+k.Pseudonymous
	}
	return map[string]string{"deleted": strconv.Itoa(del), "shredded": strconv.Itoa(shred),
		"pseudonymised": strconv.Itoa(pseudo), "kinds": strconv.Itoa(len(r.Kinds)),
		"complete": strconv.FormatBool(r.Complete)}
}
