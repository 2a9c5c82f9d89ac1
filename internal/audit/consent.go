package audit

import (
	"context"
	"fmt"

	"github.com/conclave-meet/conclave/internal/store"
)

// AppendConsent records consent c in the ledger and ev, its audit entry
// (consent.given), in one transaction: a consent is never on record
// without its entry, nor the entry without the consent. It returns the
// stored consent.
func (l *Log) AppendConsent(ctx context.Context, c store.Consent, ev Event) (store.Consent, error) {
	e, err := l.entry(ev)
	if err != nil {
		return store.Consent{}, err
	}
	c, out, err := l.store.AddConsentAudited(ctx, c, e, l.chain.seal)
	if err != nil {
		return store.Consent{}, fmt.Errorf("audit: append %s with its consent: %w", ev.Action, err)
	}
	// Appended like any other entry: whoever watches appends sees it too.
	if fn := l.onAppend.Load(); fn != nil {
		(*fn)(out)
	}
	return c, nil
}
