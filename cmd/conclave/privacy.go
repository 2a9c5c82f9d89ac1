package main

import (
	"context"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/files"
	"github.com/conclave-meet/conclave/internal/notice"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/recordings"
	"github.com/conclave-meet/conclave/internal/store"
)

// privacyDeps are what the kinds of personal data need from the server.
// Add a field here when a new kind needs another dependency.
type privacyDeps struct {
	Config config.Config
	Store  serverStore
	Audit  *audit.Log
	// Files holds shared files (their content is outside the database).
	Files *files.Service
	// Recordings holds recordings (their files are outside the database).
	Recordings *recordings.Service
}

// newPrivacyRegistry declares every kind of personal data the server
// stores. Export, erasure, retention and the records of processing all walk
// this registry, so a kind missing here is missing from all of them: add
// one line per kind.
func newPrivacyRegistry(d privacyDeps) (*privacy.Registry, error) {
	r := privacy.NewRegistry()
	for _, k := range []privacy.Kind{
		privacy.AccountKind{Store: d.Store},
		privacy.MeetingKind{Store: d.Store},
		privacy.AuditKind{Store: d.Store, Log: d.Audit},
		privacy.SessionKind{Store: d.Store},
		privacy.CredentialKind{Store: d.Store},
		privacy.BanKind{Store: d.Store},
		privacy.SubjectRequestKind{Store: d.Store},
		privacy.GuestProofKind{Store: d.Store},
		privacy.ChatKind{Store: d.Store},
		privacy.TranscriptKind{Store: d.Store},
		privacy.SharedFileKind{Files: d.Files},
		privacy.RecordingKind{Recordings: d.Recordings},
		notice.ConsentKind{Store: d.Store},
	} {
		if err := r.Register(k); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// newPrivacyService runs access and erasure requests over reg, and issues
// and checks guests' one-time proofs (IssueGuestProof). It holds no state
// of its own: every instance over the same store agrees.
func newPrivacyService(d privacyDeps, reg *privacy.Registry) *privacy.Service {
	svc := &privacy.Service{
		Registry:   reg,
		Retention:  d.Config.Retention(),
		Controller: d.Config.Organisation,
		Contact:    d.Config.PrivacyContact,
		Proofs:     d.Store,
	}
	// Only SQLite keeps erased bytes in files of its own to scrub; in
	// PostgreSQL crypto-shredding is what erases (docs/architecture.md,
	// "Storage backends").
	if s, ok := d.Store.(store.Scrubber); ok {
		svc.Scrub = s.ScrubDeleted
	}
	return svc
}

// guestProofs adapts the privacy service to what signalling hands guests:
// the token and when it stops working.
type guestProofs struct{ svc *privacy.Service }

func (g guestProofs) IssueGuestProof(ctx context.Context, participantID, meetingID string) (string, time.Time, error) {
	ttl := g.svc.ProofTTL
	if ttl <= 0 {
		ttl = privacy.GuestProofTTL
	}
	expires := time.Now().UTC().Add(ttl)
	tok, err := g.svc.IssueGuestProof(ctx, participantID, meetingID)
	return tok, expires, err
}
