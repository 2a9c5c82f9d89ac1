package notice

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/store"
)

// ConsentAuditor records a consent, or its withdrawal, and the audit
// entry in one transaction (audit.Log).
type ConsentAuditor interface {
	AppendConsent(ctx context.Context, c store.Consent, ev audit.Event) (store.Consent, error)
	WithdrawConsent(ctx context.Context, subject, kind, meetingID string, at time.Time, ev audit.Event) (int, error)
}

// errNoAudit: an acceptance without its audit entry is no proof (docs/privacy.md).
var errNoAudit = errors.New("record notice acceptance: no audit log configured")

// RecordAcceptance adds subject's acceptance of version, given on
// entering meetingID, to the ledger together with ev, its consent.given
// audit entry: both are recorded or neither (signal.NoticeChecker).
//
// A subject whose acceptance of this version already stands in the ledger
// (an account that accepted it at an earlier join, and was shown so
// instead of the tick box) gets no second entry: that acceptance is the
// proof, and nothing new was given. Guests are new participants at every
// join, so they always accept afresh.
func (s *Service) RecordAcceptance(ctx context.Context, subject string, version int, meetingID string, ev audit.Event) error {
	if s.Audit == nil {
		return errNoAudit
	}
	if _, ok, err := s.Accepted(ctx, subject, version); err != nil {
		return fmt.Errorf("record notice acceptance: %w", err)
	} else if ok {
		return nil
	}
	_, err := s.Audit.AppendConsent(ctx, store.Consent{
		SubjectID: subject, Kind: store.ConsentNotice, Version: version, MeetingID: meetingID, GivenAt: s.now(),
	}, ev)
	if err != nil {
		return fmt.Errorf("record notice acceptance: %w", err)
	}
	return nil
}

// Accepted returns subject's standing acceptance of the notice version:
// the earliest ledger entry for it that was not withdrawn. ok is false
// when there is none (never accepted, or expired from the ledger).
func (s *Service) Accepted(ctx context.Context, subject string, version int) (c store.Consent, ok bool, err error) {
	cs, err := s.Store.ConsentsBySubject(ctx, subject)
	if err != nil {
		return store.Consent{}, false, fmt.Errorf("consents of subject: %w", err)
	}
	for _, c := range cs {
		if c.Kind == store.ConsentNotice && c.Version == version && c.WithdrawnAt.IsZero() {
			return c, true, nil
		}
	}
	return store.Consent{}, false, nil
}
