package notice

import (
	"context"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/store"
)

// ConsentKind is the consent ledger as a kind of personal data.
type ConsentKind struct {
	Store store.ConsentStore
}

var _ privacy.Kind = ConsentKind{}

// Declare describes the ledger for the records of processing.
func (ConsentKind) Declare() privacy.Declaration {
	return privacy.Declaration{
		Name:     "consent",
		Category: privacy.CatConsent,
		// Only what the server asks for today: the ledger can hold consents
		// to recording and transcription, but nothing records yet, and this
		// text reaches the notice and the transparency page.
		Description: "Acceptances of the privacy notice: " +
			"who (account or participant ID), which notice version, in which meeting, and when.",
		Purpose:    "Prove that participants were informed (Art. 13).",
		LegalBasis: privacy.LegalObligation,
		Storage:    "SQLite table consents (notice texts: table notices)",
		Fields:     []string{"subject_id (plain)", "kind", "version", "meeting_id", "given_at", "withdrawn_at"},
	}
}

// consentRecord is one exported ledger entry.
type consentRecord struct {
	Kind        string     `json:"kind"`
	Version     int        `json:"version,omitempty"`
	MeetingID   string     `json:"meeting_id,omitempty"`
	GivenAt     time.Time  `json:"given_at"`
	WithdrawnAt *time.Time `json:"withdrawn_at,omitempty"`
}

// Export returns the subject's ledger entries.
func (k ConsentKind) Export(ctx context.Context, s privacy.Subject) ([]privacy.Item, error) {
	cs, err := k.Store.ConsentsBySubject(ctx, s.ID)
	if err != nil {
		return nil, fmt.Errorf("export consents: %w", err)
	}
	items := make([]privacy.Item, 0, len(cs))
	for _, c := range cs {
		items = append(items, privacy.Item{Record: ExportRecord(c)})
	}
	return items, nil
}

// ExportRecord is the JSON shape of one ledger entry (also used by
// GET /api/me/consents).
func ExportRecord(c store.Consent) any {
	r := consentRecord{Kind: c.Kind, Version: c.Version, MeetingID: c.MeetingID, GivenAt: c.GivenAt}
	if !c.WithdrawnAt.IsZero() {
		w := c.WithdrawnAt
		r.WithdrawnAt = &w
	}
	return r
}

// Erase keeps the subject's entries: they are the proof of consent the
// controller must be able to show (Art. 7(1), Art. 17(3)(b) and (e)).
// They hold nothing but the subject ID, kind, version, meeting and times;
// once the account is erased the ID no longer leads to a person, so the
// rows are counted as pseudonymous.
func (k ConsentKind) Erase(ctx context.Context, s privacy.Subject) (privacy.Erased, error) {
	cs, err := k.Store.ConsentsBySubject(ctx, s.ID)
	if err != nil {
		return privacy.Erased{}, fmt.Errorf("erase consents: %w", err)
	}
	return privacy.Erased{
		Pseudonymous: len(cs),
		Note:         "kept as proof of consent (Art. 7(1)); rows hold only the subject ID, which no longer identifies anyone once the account is erased",
	}, nil
}

// Expire deletes entries given before the cut-off.
func (k ConsentKind) Expire(ctx context.Context, before time.Time) (int, error) {
	n, err := k.Store.DeleteConsentsBefore(ctx, before)
	if err != nil {
		return 0, fmt.Errorf("expire consents: %w", err)
	}
	return n, nil
}
