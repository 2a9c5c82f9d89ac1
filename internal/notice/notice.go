// Package notice keeps the privacy notice (GDPR Art. 13) and the consent
// ledger (Art. 7(1)): administrators publish versions of the notice in
// Markdown, every participant accepts the current version before joining,
// and each acceptance or consent is recorded with subject, time and
// version. See docs/privacy.md.
package notice

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yuin/goldmark"

	"github.com/conclave-meet/conclave/internal/store"
)

// MaxMarkdown is the longest notice accepted, in bytes; it stays well
// under the API's 64 KiB body limit once encoded as JSON.
const MaxMarkdown = 32 << 10

// ErrInvalid is returned (wrapped) for a notice text that cannot be
// published.
var ErrInvalid = errors.New("notice: invalid text")

// Service publishes notice versions and records acceptances.
type Service struct {
	Store store.ConsentStore
	// Audit writes an acceptance with its audit entry (RecordAcceptance);
	// nil refuses to record acceptances.
	Audit ConsentAuditor
	// Now is the clock (time.Now if nil).
	Now func() time.Time
	// Default is the notice in force until an administrator publishes
	// one (EnsureDefault): the server generates it from its configuration
	// (records.NoticeMarkdown). "" uses DefaultMarkdown.
	Default string
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// EnsureDefault makes sure a notice is in force and returns it. Until an
// administrator publishes one, the notice is the default text (Default,
// else DefaultMarkdown): stored as version 1 on a fresh install, and
// stored again as the next version when the default text changed since
// (the configuration it is generated from changed, or an older release
// stored a different default), so that every acceptance keeps pointing at
// the exact text shown. Once an administrator has published a version the
// default is never used again. It runs at start, not in a migration, so
// that the default is an ordinary version like any later one.
func (s *Service) EnsureDefault(ctx context.Context) (store.Notice, error) {
	def := s.Default
	if def == "" {
		def = DefaultMarkdown
	}
	n, err := s.Store.CurrentNotice(ctx)
	switch {
	case err == nil && (!IsDefault(n) || n.Markdown == def):
		return n, nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return store.Notice{}, fmt.Errorf("privacy notice: %w", err)
	}
	n, err = s.Store.AddNotice(ctx, store.Notice{Markdown: def, CreatedAt: s.now()})
	if err != nil {
		return store.Notice{}, fmt.Errorf("store default privacy notice: %w", err)
	}
	return n, nil
}

// IsDefault reports whether n is a default text rather than one an
// administrator published.
func IsDefault(n store.Notice) bool { return n.CreatedBy == "" }

// Current returns the notice in force.
func (s *Service) Current(ctx context.Context) (store.Notice, error) {
	n, err := s.Store.CurrentNotice(ctx)
	if err != nil {
		return store.Notice{}, fmt.Errorf("current privacy notice: %w", err)
	}
	return n, nil
}

// Versions returns every published version, newest first.
func (s *Service) Versions(ctx context.Context) ([]store.Notice, error) {
	ns, err := s.Store.Notices(ctx)
	if err != nil {
		return nil, fmt.Errorf("privacy notice versions: %w", err)
	}
	return ns, nil
}

// Validate checks a text before it is published or previewed.
func Validate(markdown string) error {
	switch {
	case strings.TrimSpace(markdown) == "":
		return fmt.Errorf("%w: the notice is empty", ErrInvalid)
	case len(markdown) > MaxMarkdown:
		return fmt.Errorf("%w: the notice is longer than %d bytes", ErrInvalid, MaxMarkdown)
	case !utf8.ValidString(markdown):
		return fmt.Errorf("%w: the notice is not valid UTF-8", ErrInvalid)
	}
	return nil
}

// Publish stores markdown as the next version, published by account by.
// Everyone who accepted an older version is asked again at their next join.
func (s *Service) Publish(ctx context.Context, markdown, by string) (store.Notice, error) {
	if err := Validate(markdown); err != nil {
		return store.Notice{}, err
	}
	n, err := s.Store.AddNotice(ctx, store.Notice{Markdown: markdown, CreatedAt: s.now(), CreatedBy: by})
	if err != nil {
		return store.Notice{}, fmt.Errorf("publish privacy notice: %w", err)
	}
	return n, nil
}

// renderer is goldmark with its defaults: CommonMark, and raw HTML in the
// Markdown is replaced by a comment instead of being passed through, so an
// administrator's text cannot inject script into the pre-join page.
var renderer = goldmark.New()

// Render turns the notice's Markdown into HTML that is safe to insert
// into a page (no raw HTML, no javascript: links).
func Render(markdown string) (string, error) {
	var buf bytes.Buffer
	if err := renderer.Convert([]byte(markdown), &buf); err != nil {
		return "", fmt.Errorf("render privacy notice: %w", err)
	}
	return buf.String(), nil
}

// CurrentNoticeVersion is the version a joining participant must accept
// (signal.NoticeChecker).
func (s *Service) CurrentNoticeVersion(ctx context.Context) (int, error) {
	n, err := s.Current(ctx)
	if err != nil {
		return 0, err
	}
	return n.Version, nil
}

// RecordNoticeAcceptance adds subject's acceptance of version to the
// ledger, without an audit entry. meetingID is where it was given. Joins
// use RecordAcceptance, which writes the consent.given entry with it.
func (s *Service) RecordNoticeAcceptance(ctx context.Context, subject string, version int, meetingID string) error {
	_, err := s.Store.AddConsent(ctx, store.Consent{
		SubjectID: subject, Kind: store.ConsentNotice, Version: version, MeetingID: meetingID, GivenAt: s.now(),
	})
	if err != nil {
		return fmt.Errorf("record notice acceptance: %w", err)
	}
	return nil
}

// Consents returns subject's ledger entries, oldest first.
func (s *Service) Consents(ctx context.Context, subject string) ([]store.Consent, error) {
	cs, err := s.Store.ConsentsBySubject(ctx, subject)
	if err != nil {
		return nil, fmt.Errorf("consents of subject: %w", err)
	}
	return cs, nil
}
