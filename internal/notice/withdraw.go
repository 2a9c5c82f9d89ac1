package notice

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/store"
)

// Kinds lists the consent kinds the ledger holds.
var Kinds = []string{store.ConsentNotice, store.ConsentRecording, store.ConsentTranscription}

// ErrUnknownKind is returned for a consent kind the ledger does not hold.
var ErrUnknownKind = errors.New("notice: unknown consent kind")

// Withdraw withdraws every standing consent of kind that subject gave, in
// any meeting, and records ev (consent.withdrawn) with it in one
// transaction (Art. 7(3): withdrawing is as easy as giving). It returns
// how many it withdrew; with none standing, nothing is recorded. The rows
// stay in the ledger with their withdrawal time: they prove what was
// consented to until then.
//
// What withdrawal does depends on the kind: a withdrawn notice acceptance
// no longer counts as standing (Accepted), so the account is asked to
// accept the notice again before its next join; recording and
// transcription consents stop covering future recordings and
// transcripts (nothing records yet).
func (s *Service) Withdraw(ctx context.Context, subject, kind string, ev audit.Event) (int, error) {
	if !slices.Contains(Kinds, kind) {
		return 0, fmt.Errorf("%w %q", ErrUnknownKind, kind)
	}
	if s.Audit == nil {
		return 0, errors.New("withdraw consent: no audit log configured")
	}
	n, err := s.Audit.WithdrawConsent(ctx, subject, kind, "", s.now().UTC(), ev)
	if err != nil {
		return 0, fmt.Errorf("withdraw consent: %w", err)
	}
	return n, nil
}
