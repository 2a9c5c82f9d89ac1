package privacy

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// GuestProofTTL is how long a guest's proof stays valid unless
// Service.ProofTTL says otherwise: long enough to think about a request
// after the meeting, short enough not to keep participant IDs for long
// (it matches the default meeting retention).
const GuestProofTTL = 90 * 24 * time.Hour

// MaxGuestNotes bounds what a guest may write with a request, leaving room
// in the register's notes for the line that says where it came from.
const MaxGuestNotes = 1500

// proofBytes is the entropy of a proof token: 256 bits.
const proofBytes = 32

// proofLen is the length of a token's text: unpadded base64url.
var proofLen = base64.RawURLEncoding.EncodedLen(proofBytes)

// ErrBadProof is returned when a guest's proof is malformed, unknown,
// used, expired or issued to another participant; the guest is not told
// which, so that the answer helps no guesser.
var ErrBadProof = errors.New("privacy: the proof is wrong, used, expired or belongs to another participant")

// ErrNoProofs is returned when the service has no proof store.
var ErrNoProofs = errors.New("privacy: guest proofs are not configured")

// hashProof is what the store keeps of a token.
func hashProof(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func wellFormedProof(token string) bool {
	if len(token) != proofLen {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(token)
	return err == nil
}

func isParticipant(id string) bool { return strings.HasPrefix(id, "p_") && CheckSubject(id) == nil }

// IssueGuestProof mints a one-time proof for the guest participant
// participantID ("p_…") in meetingID and returns its token, which the
// caller hands to that participant only (the signalling layer sends it
// over the participant's own connection). The token carries 256 random
// bits; only its SHA-256 is stored, with the participant and meeting IDs
// and an expiry ProofTTL (GuestProofTTL by default) from now. Whoever
// presents it with the same participant ID before then may make one data
// subject request about that participant (SubmitGuestRequest); it is
// consumed by that request. Calling it again for the same participant
// mints another, independent proof. It is safe for concurrent use.
func (s *Service) IssueGuestProof(ctx context.Context, participantID, meetingID string) (string, error) {
	if s.Proofs == nil {
		return "", ErrNoProofs
	}
	if !isParticipant(participantID) {
		return "", fmt.Errorf("privacy: issue guest proof: %w", ErrBadSubject)
	}
	if strings.TrimSpace(meetingID) == "" || len(meetingID) > 64 {
		return "", errors.New("privacy: issue guest proof: a meeting ID is required")
	}
	raw := make([]byte, proofBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("privacy: issue guest proof: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := s.now()
	ttl := s.ProofTTL
	if ttl <= 0 {
		ttl = GuestProofTTL
	}
	err := s.Proofs.AddGuestProof(ctx, store.GuestProof{TokenHash: hashProof(token), ParticipantID: participantID,
		MeetingID: meetingID, CreatedAt: now, ExpiresAt: now.Add(ttl)})
	if err != nil {
		return "", fmt.Errorf("privacy: issue guest proof: %w", err)
	}
	return token, nil
}

// consumeGuestProof checks token against participantID and uses it up.
func (s *Service) consumeGuestProof(ctx context.Context, participantID, token string) (store.GuestProof, error) {
	if s.Proofs == nil {
		return store.GuestProof{}, ErrNoProofs
	}
	if !isParticipant(participantID) || !wellFormedProof(token) {
		return store.GuestProof{}, ErrBadProof
	}
	p, err := s.Proofs.ConsumeGuestProof(ctx, hashProof(token), participantID, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return store.GuestProof{}, ErrBadProof
	}
	if err != nil {
		return store.GuestProof{}, fmt.Errorf("privacy: consume guest proof: %w", err)
	}
	return p, nil
}

// GuestRequest is what a guest submits: the participant ID they had, the
// proof they were given for it, and their request.
type GuestRequest struct {
	ParticipantID string
	Proof         string
	Kind          string
	Notes         string
}

// SubmitGuestRequest records a guest's request in reg, with the
// participant ID as its subject, once the proof checks out; the proof is
// consumed. Everything that can be checked without the proof is checked
// first (ErrBadRequest), so that a mistake does not cost the guest their
// proof; a wrong, used, expired or another participant's proof is
// ErrBadProof. Should recording fail after the proof was consumed, the
// proof is put back so that the guest can try again.
func (s *Service) SubmitGuestRequest(ctx context.Context, reg *Requests, req GuestRequest) (store.SubjectRequest, error) {
	if len(req.Notes) > MaxGuestNotes {
		return store.SubjectRequest{}, fmt.Errorf("%w: notes are limited to %d characters", ErrBadRequest, MaxGuestNotes)
	}
	if err := reg.Check(NewRequest{Kind: req.Kind, SubjectRef: req.ParticipantID, Notes: req.Notes}); err != nil {
		return store.SubjectRequest{}, err
	}
	p, err := s.consumeGuestProof(ctx, req.ParticipantID, req.Proof)
	if err != nil {
		return store.SubjectRequest{}, err
	}
	notes := "Made by the guest themselves with the one-time proof issued in meeting " + p.MeetingID + "."
	if n := strings.TrimSpace(req.Notes); n != "" {
		notes += "\n\n" + n
	}
	sr, err := reg.Create(ctx, NewRequest{Kind: req.Kind, SubjectRef: p.ParticipantID, Notes: notes})
	if err != nil {
		if rerr := s.Proofs.AddGuestProof(context.WithoutCancel(ctx), p); rerr != nil {
			err = errors.Join(err, fmt.Errorf("privacy: put the guest proof back: %w", rerr))
		}
		return store.SubjectRequest{}, err
	}
	return sr, nil
}
