package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/meeting"
	"github.com/conclave-meet/conclave/internal/store"
)

// meetingJSON is a meeting as its host sees it: with the passcode, and
// with co-hosts as e-mail addresses rather than internal IDs.
type meetingJSON struct {
	ID              string     `json:"id"`
	Title           string     `json:"title"`
	Passcode        string     `json:"passcode"`
	JoinURL         string     `json:"join_url"`
	CreatedAt       time.Time  `json:"created_at"`
	WaitingRoom     bool       `json:"waiting_room"`
	JoinBeforeHost  bool       `json:"join_before_host"`
	ScreenShare     string     `json:"screen_share"`
	MaxParticipants int        `json:"max_participants"`
	Recurrence      string     `json:"recurrence"`
	StartsAt        *time.Time `json:"starts_at"` // null for an ad-hoc meeting
	EndsAt          time.Time  `json:"ends_at"`
	Cohosts         []string   `json:"cohosts"`
	SignedInOnly    bool       `json:"signed_in_only"`
	ChatHistory     bool       `json:"chat_history"`
	ChatAfter       bool       `json:"chat_after"`
	Recording       bool       `json:"recording"`
	Transcription   bool       `json:"transcription"`
	E2EE            bool       `json:"e2ee"`
	Sensitive       bool       `json:"sensitive"`
}

func (s *server) toMeetingJSON(m store.Meeting, cohostEmails []string) meetingJSON {
	out := meetingJSON{
		ID: m.ID, Title: m.Title, Passcode: m.Passcode,
		JoinURL: meeting.JoinURL(s.Config.PublicURL, m), CreatedAt: m.CreatedAt.UTC(),
		WaitingRoom: m.WaitingRoom, JoinBeforeHost: m.JoinBeforeHost, ScreenShare: m.ScreenShare,
		MaxParticipants: m.MaxParticipants, Recurrence: m.Recurrence, EndsAt: m.EndsAt.UTC(),
		Cohosts:      append([]string{}, cohostEmails...), // [] rather than null
		SignedInOnly: m.SignedInOnly,
		ChatHistory:  m.ChatHistory, ChatAfter: m.ChatAfter, Recording: m.Recording, E2EE: m.E2EE,
		Transcription: m.Transcription, Sensitive: m.Sensitive,
	}
	if !m.StartsAt.IsZero() {
		starts := m.StartsAt.UTC()
		out.StartsAt = &starts
	}
	return out
}

// emailCache resolves user IDs to e-mail addresses once per request, since
// the same co-hosts tend to recur across a host's meetings.
type emailCache struct {
	st interface {
		UserByID(ctx context.Context, id string) (store.User, error)
	}
	byID map[string]string
}

// emails returns the addresses of ids in order. An account deleted since
// is left out: its co-host rows are going with it.
func (c *emailCache) emails(ctx context.Context, ids []string) ([]string, error) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		email, known := c.byID[id]
		if !known {
			u, err := c.st.UserByID(ctx, id)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("co-host %s: %w", id, err)
			}
			email = u.Email
			c.byID[id] = email
		}
		if email != "" {
			out = append(out, email)
		}
	}
	return out, nil
}

func (s *server) newEmailCache() *emailCache {
	return &emailCache{st: s.Store, byID: map[string]string{}}
}

// createMeetingRequest is the body of POST /api/meetings; every field is
// optional. Times are RFC 3339 strings so that a bad one gets an error
// naming its field.
type createMeetingRequest struct {
	Title           string   `json:"title"`
	WaitingRoom     *bool    `json:"waiting_room"`
	JoinBeforeHost  bool     `json:"join_before_host"`
	ScreenShare     string   `json:"screen_share"`
	MaxParticipants int      `json:"max_participants"`
	Recurrence      string   `json:"recurrence"`
	StartsAt        string   `json:"starts_at"`
	EndsAt          string   `json:"ends_at"`
	Cohosts         []string `json:"cohosts"`
	SignedInOnly    *bool    `json:"signed_in_only"`
	ChatHistory     bool     `json:"chat_history"`
	ChatAfter       bool     `json:"chat_after"`
	Recording       bool     `json:"recording"`
	Transcription   bool     `json:"transcription"`
	E2EE            *bool    `json:"e2ee"`
	// Sensitive turns E2EE on unless "e2ee": false says otherwise.
	Sensitive bool `json:"sensitive"`
}

// options turns the request into meeting.Options, resolving co-host
// e-mails to accounts. A mistake in the request is a *meeting.OptionError;
// anything else is a server fault. It also returns the normalised e-mails.
func (s *server) options(ctx context.Context, req createMeetingRequest) (meeting.Options, []string, error) {
	o := meeting.Options{
		Title: req.Title, WaitingRoom: req.WaitingRoom, JoinBeforeHost: req.JoinBeforeHost,
		ScreenShare: req.ScreenShare, MaxParticipants: req.MaxParticipants, Recurrence: req.Recurrence,
		SignedInOnly: req.SignedInOnly, ChatHistory: req.ChatHistory, ChatAfter: req.ChatAfter,
		Recording: req.Recording, Transcription: req.Transcription, E2EE: req.E2EE, Sensitive: req.Sensitive,
	}
	var err error
	if o.StartsAt, err = parseOptionTime("starts_at", req.StartsAt); err != nil {
		return o, nil, err
	}
	if o.EndsAt, err = parseOptionTime("ends_at", req.EndsAt); err != nil {
		return o, nil, err
	}
	emails, err := s.resolveCohosts(ctx, req.Cohosts, &o)
	return o, emails, err
}

func parseOptionTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, &meeting.OptionError{Field: field, Message: "must be an RFC 3339 time such as 2025-06-02T09:00:00Z"}
	}
	return t, nil
}

func (s *server) resolveCohosts(ctx context.Context, raw []string, o *meeting.Options) ([]string, error) {
	// Checked before the lookups, so a long list costs no queries.
	if len(raw) > meeting.MaxCohosts {
		return nil, &meeting.OptionError{Field: "cohosts", Message: fmt.Sprintf("at most %d co-hosts", meeting.MaxCohosts)}
	}
	emails := make([]string, 0, len(raw))
	for _, e := range raw {
		email, err := auth.NormalizeEmail(e)
		if err != nil {
			// Not echoed: it could be anything up to the body limit.
			return nil, &meeting.OptionError{Field: "cohosts", Message: "an entry is not a valid e-mail address"}
		}
		u, err := s.Store.UserByEmail(ctx, email)
		if errors.Is(err, store.ErrNotFound) {
			return nil, &meeting.OptionError{Field: "cohosts", Message: "no account with the e-mail address " + email}
		}
		if err != nil {
			return nil, fmt.Errorf("co-host lookup: %w", err)
		}
		o.Cohosts = append(o.Cohosts, u.ID)
		emails = append(emails, email)
	}
	return emails, nil
}

// badMeetingRequest answers 400 for a bad title or setting and reports
// whether it did.
func badMeetingRequest(w http.ResponseWriter, err error) bool {
	var oe *meeting.OptionError
	switch {
	case errors.Is(err, meeting.ErrBadTitle):
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
	case errors.As(err, &oe):
		writeError(w, http.StatusBadRequest, "bad_request", oe.Error())
	default:
		return false
	}
	return true
}
