package notice

import (
	"context"
	"errors"
	"fmt"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/store"
)

// ConsentAuditor records a consent and its audit entry in one transaction
// (audit.Log).
type ConsentAuditor interface {
	AppendConsent(ctx context.Context, c store.Consent, ev audit.Event) (store.Consent, error)
}

// errNoAudit: an acceptance without its audit entry is no proof (docs/privacy.md).
var errNoAudit = errors.New("record notice acceptance: no audit log configured")

// RecordAcceptance adds subject's acceptance of version, given on
// entering meetingID, to the ledger together with ev, its consent.given
// audit entry: both are recorded or neither (signal.NoticeChecker).
func (s *Service) RecordAcceptance(ctx context.Context, subject string, version int, meetingID string, ev audit.Event) error {
	if s.Audit == nil {
		return errNoAudit
	}
	_, err := s.Audit.AppendConsent(ctx, store.Consent{
		SubjectID: subject, Kind: store.ConsentNotice, Version: version, MeetingID: meetingID, GivenAt: s.now(),
	}, ev)
	if err != nil {
		return fmt.Errorf("record notice acceptance: %w", err)
	}
	return nil
}
