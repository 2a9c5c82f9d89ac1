package signal

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"math"
	"sync"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/protocol"
	"github.com/conclave-meet/conclave/internal/throttle"
)

// Resume (docs/protocol.md, "Resume"): a participant whose link drops keeps
// their place for the grace period, and a new link takes the session over
// by presenting the secret resume token the session last handed out. The
// token is the only authority (never the passcode again): 256 random bits,
// kept by the server only as a hash, single-use, replaced on every resume,
// bound to the account of a signed-in participant, and dead once the
// session ends for any reason (leave, removal, ban, meeting end, account
// disabled, grace over). Someone who has left through removal or a ban can
// therefore never come back this way: their session is over.

// tokenHash is the SHA-256 of a resume token.
type tokenHash [sha256.Size]byte

func (t tokenHash) zero() bool { return t == tokenHash{} }

// resumeIndex finds sessions by token hash.
type resumeIndex struct {
	mu sync.Mutex
	m  map[tokenHash]*conn
}

func newResumeIndex() *resumeIndex { return &resumeIndex{m: map[tokenHash]*conn{}} }

// take removes and returns the session holding token h, if usable by
// accept; a token that accept refuses stays where it is, so that a
// stranger presenting it cannot spend the owner's resume.
func (x *resumeIndex) take(h tokenHash, accept func(*conn) bool) (*conn, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	c := x.m[h]
	if c == nil || !accept(c) {
		return nil, false
	}
	delete(x.m, h)
	return c, true
}

// replace registers c under next instead of prev.
func (x *resumeIndex) replace(c *conn, prev, next tokenHash) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.m[prev] == c {
		delete(x.m, prev)
	}
	x.m[next] = c
}

// drop forgets c's token.
func (x *resumeIndex) drop(c *conn) {
	c.mu.Lock()
	h := c.token
	c.token = tokenHash{}
	c.mu.Unlock()
	if h.zero() {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.m[h] == c {
		delete(x.m, h)
	}
}

// newToken returns a fresh token and its hash.
func newToken() (string, tokenHash) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	return tok, sha256.Sum256([]byte(tok))
}

func hashToken(tok string) tokenHash { return sha256.Sum256([]byte(tok)) }

// issueToken hands the session a new resume token on its current link,
// replacing the previous one.
func (c *conn) issueToken() {
	if c.h.grace <= 0 {
		return
	}
	tok, h := newToken()
	c.mu.Lock()
	if c.final || c.link == nil {
		c.mu.Unlock()
		return
	}
	prev := c.token
	c.token = h
	l := c.link
	c.mu.Unlock()
	c.h.resumes.replace(c, prev, h)
	// Unnumbered: a replay must never hand out a spent token.
	l.push(c.h.frame("resume_token", 0, protocol.ResumeToken{Token: tok, GraceSeconds: int(math.Ceil(c.h.grace.Seconds()))}), "")
}

// expire ends a session whose grace period ran out without a resume.
func (c *conn) expire() {
	c.mu.Lock()
	if c.link != nil { // resumed just now
		c.mu.Unlock()
		return
	}
	endedAway := c.endedAway != ""
	c.final, c.grace = true, nil
	c.mu.Unlock()
	if endedAway {
		c.h.resumes.drop(c) // already left; the token has served its notice
		return
	}
	c.log.Info("participant did not resume in time")
	c.finish(map[string]string{"reason": "timed_out"})
}

// auditLeftAway records the leave of a session that ended while detached.
func (c *conn) auditLeftAway(reason string) {
	_ = c.auditEvent(audit.Event{Action: audit.MeetingLeave, Meeting: c.meetingID, Target: c.member.ID(),
		Outcome: audit.Success, Details: map[string]string{"reason": reason}})
}

// resumeFailed is the one answer for a token that is unknown, spent,
// expired or not this account's: which of these it was stays in the log.
func resumeFailed() *ProtocolError {
	return &ProtocolError{Code: protocol.CodeResumeFailed, Message: "this connection cannot be resumed: join again", Fatal: true}
}

// onResume takes over a detached (or half-open) session with its token.
// c is the new link's own session, which never enters a meeting.
func onResume(ctx context.Context, c *conn, d *protocol.Resume) error {
	if d.Version != Version {
		return &ProtocolError{Code: protocol.CodeUnsupportedVersion, Message: "this server speaks protocol version 1", Fatal: true}
	}
	if len(d.Token) == 0 || len(d.Token) > 128 || d.LastSeq < 0 {
		return protoErr(protocol.CodeBadRequest, "resume needs a token and last_seq")
	}
	// Resumes count against the address's join limit, and a locked-out
	// address cannot resume.
	if wait, _ := c.h.opts.Joins.Attempt(throttle.IPKey(c.clientAddr())); wait > 0 {
		return tooManyAttempts(wait, "joins from this address")
	}
	s, ok := c.h.resumes.take(hashToken(d.Token), c.mayResume)
	if !ok {
		c.refuseResume("unknown_token")
		return resumeFailed()
	}
	return s.attach(c, d.LastSeq)
}

// mayResume reports whether fresh, a new link's session, may take over s:
// a signed-in participant's session only for the same account.
func (c *conn) mayResume(s *conn) bool {
	if s.user == nil {
		return true
	}
	return c.user != nil && subtle.ConstantTimeCompare([]byte(c.user.ID), []byte(s.user.ID)) == 1
}

// refuseResume records a refused resume, coalesced like refused joins.
func (c *conn) refuseResume(why string) {
	c.refusal(audit.Event{Action: audit.MeetingResumeRefused, Outcome: audit.Denied,
		Details: map[string]string{"reason": why}})
}

// attach moves fresh's link to s: resumed, then the events the client
// missed, then a new token, all before any live event. A link s still
// had (half-open: the client gave up on it first) is closed as replaced.
func (s *conn) attach(fresh *conn, lastSeq int64) error {
	s.mu.Lock()
	l := fresh.link
	s.token = tokenHash{} // spent: take removed it from the index
	if reason := s.endedAway; reason != "" {
		s.mu.Unlock()
		fresh.bye(reason) // removed, banned, ended... while away
		return nil
	}
	replay, ok := s.out.since(lastSeq)
	if s.final || !ok {
		s.mu.Unlock()
		fresh.refuseResume("replay_gap")
		s.endNow()
		return resumeFailed()
	}
	prev := s.link
	if s.grace != nil {
		s.grace.Stop()
		s.grace = nil
	}
	s.link, s.addr = l, l.addr
	l.push(s.h.frame("resumed", 0, protocol.Resumed{LastSeq: s.clientSeq}), "")
	for _, f := range replay {
		l.push(f, "")
	}
	s.mu.Unlock()
	if prev != nil {
		prev.bye(protocol.ByeReplaced)
	}
	l.sess = s
	l.bound.Store(true)
	s.issueToken()
	s.member.SetReconnecting(false)
	s.log.Info("participant resumed", "replayed", len(replay))
	_ = s.auditEvent(audit.Event{Action: audit.MeetingResume, Meeting: s.meetingID, Target: s.member.ID(),
		Outcome: audit.Success})
	return nil
}

// endNow ends a detached session that cannot be resumed.
func (s *conn) endNow() {
	s.mu.Lock()
	if s.link != nil || s.final && s.grace == nil {
		s.mu.Unlock()
		return
	}
	if s.grace != nil {
		s.grace.Stop()
		s.grace = nil
	}
	s.final = true
	s.mu.Unlock()
	s.finish(map[string]string{"reason": "resume_failed"})
}
