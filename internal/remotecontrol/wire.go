package remotecontrol

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The input path (docs/security.md, "Remote control"):
//
//	controller's browser ──WebSocket /api/control/input──▶ server ──WebSocket /api/control/agent──▶ conclave agent ──XTest──▶ desktop
//
// Controller side: the page opens /api/control/input and sends, as its
// first text message, InputHello with the capability it was given over
// signalling when control was granted (never in the URL, which logs
// keep). Every following text message is one Frame.
//
// Agent side: the agent opens /api/control/agent and sends AgentHello
// with the server part of the pairing code the sharer gave it. The server
// answers with an AgentMessage of Type "granted", then "event" messages
// and at last one "end"; the agent may send Type "stop" (the sharer
// pressed the stop combination or closed the agent).

// InputHello is the controller's first message.
type InputHello struct {
	Grant string `json:"grant"`
	Token string `json:"token"`
}

// Frame is one input event from the controller: Event when the meeting is
// not end-to-end encrypted, Sealed when it is (the server cannot read it;
// it checks the sequence, the size and the rate, the agent the rest).
type Frame struct {
	Event
	Sealed string `json:"sealed,omitempty"` // base64url, no padding
}

// AgentHello is the agent's first message.
type AgentHello struct {
	Code string `json:"code"` // PairingCode.Server
}

// Agent message types.
const (
	TypeGranted = "granted" // server → agent, once, after AgentHello
	TypeEvent   = "event"   // server → agent
	TypeEnd     = "end"     // server → agent, last
	TypeStop    = "stop"    // agent → server
)

// AgentMessage travels between the server and the agent.
type AgentMessage struct {
	Type string `json:"type"`
	// granted
	Grant       string    `json:"grant,omitempty"`
	Controller  string    `json:"controller,omitempty"` // display name, for the banner
	PointerOnly bool      `json:"pointer_only,omitempty"`
	ExpiresAt   time.Time `json:"expires_at,omitzero"`
	E2EE        bool      `json:"e2ee,omitempty"` // frames come sealed
	// event
	Frame *Frame `json:"frame,omitempty"`
	// end and stop
	Cause string `json:"cause,omitempty"`
}

// Causes of the end of control, in the audit log and on screen.
const (
	CauseStopped     = "stopped"      // the sharer clicked stop
	CauseStopKey     = "stop_key"     // the sharer pressed the stop combination (agent)
	CauseShareEnded  = "share_ended"  // the sharer stopped sharing the screen
	CauseLeft        = "left"         // the sharer or the controller left
	CauseRevoked     = "revoked"      // a host revoked it
	CauseExpired     = "expired"      // the grant's time limit passed
	CauseReleased    = "released"     // the controller gave control back
	CauseFlood       = "flood"        // the controller sent too many events
	CauseBadInput    = "bad_input"    // the controller sent events that were refused
	CauseAgentClosed = "agent_closed" // the agent disconnected
	CauseMeetingEnd  = "meeting_end"  // the meeting ended
)

// PairingCode is what the sharer's page shows for `conclave agent`:
// Server, which the agent presents to the server, then, in end-to-end
// encrypted meetings, "." and the base64url grant key, which never
// reaches the server.
type PairingCode struct {
	Server string
	Key    []byte // nil unless the meeting is end-to-end encrypted
}

// ParsePairingCode splits what the sharer pasted.
func ParsePairingCode(s string) (PairingCode, error) {
	server, key, hasKey := strings.Cut(strings.TrimSpace(s), ".")
	if server == "" || len(server) > 128 {
		return PairingCode{}, errors.New("remotecontrol: the pairing code is empty or too long")
	}
	pc := PairingCode{Server: server}
	if hasKey {
		k, err := base64.RawURLEncoding.DecodeString(key)
		if err != nil || len(k) != KeySize {
			return PairingCode{}, errors.New("remotecontrol: the pairing code's key part is damaged")
		}
		pc.Key = k
	}
	return pc, nil
}

// String is the code as the page shows it.
func (p PairingCode) String() string {
	if p.Key == nil {
		return p.Server
	}
	return p.Server + "." + base64.RawURLEncoding.EncodeToString(p.Key)
}

// KeySize is the size of a grant key (AES-256-GCM).
const KeySize = 32

// Sealing (end-to-end encrypted meetings): the sharer's page derives a
// grant key both browsers can compute and the server cannot (docs/e2ee.md,
// "Remote control"), hands it to the agent inside the pairing code, and
// the controller's page seals each event:
//
//	sealed = AES-256-GCM(key, nonce = 0x00000000 ‖ seq (8 bytes, big-endian),
//	                     aad = "conclave remote control v1 " ‖ grant, plaintext = Event JSON)
//
// The Event inside carries the same seq, so a frame cannot be moved to
// another position, and the grant in the AAD binds it to one grant.

func aad(grant string) []byte { return []byte("conclave remote control v1 " + grant) }

func nonce(seq uint64) []byte {
	n := make([]byte, 12)
	binary.BigEndian.PutUint64(n[4:], seq)
	return n
}

func gcm(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("remotecontrol: key of %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("remotecontrol: %w", err)
	}
	return cipher.NewGCM(block)
}

// Seal makes the sealed Frame of e (the controller's side; Go tests play
// the controller with it).
func Seal(key []byte, grant string, e Event) (Frame, error) {
	a, err := gcm(key)
	if err != nil {
		return Frame{}, err
	}
	plain, err := json.Marshal(e)
	if err != nil {
		return Frame{}, fmt.Errorf("remotecontrol: %w", err)
	}
	ct := a.Seal(nil, nonce(e.Seq), plain, aad(grant))
	return Frame{Event: Event{Seq: e.Seq}, Sealed: base64.RawURLEncoding.EncodeToString(ct)}, nil
}

// Open checks and opens a sealed frame (the agent's side): the event
// inside must carry the frame's sequence number.
func Open(key []byte, grant string, f Frame) (Event, error) {
	a, err := gcm(key)
	if err != nil {
		return Event{}, err
	}
	ct, err := base64.RawURLEncoding.DecodeString(f.Sealed)
	if err != nil || len(ct) > MaxEventBytes {
		return Event{}, errors.New("remotecontrol: sealed event damaged")
	}
	plain, err := a.Open(nil, nonce(f.Seq), ct, aad(grant))
	if err != nil {
		return Event{}, errors.New("remotecontrol: sealed event does not open with the grant key")
	}
	e, err := Decode(plain)
	if err != nil {
		return Event{}, err
	}
	if e.Seq != f.Seq {
		return Event{}, fmt.Errorf("%w: sealed %d in frame %d", ErrSeq, e.Seq, f.Seq)
	}
	return e, nil
}

// Rate limits of the input path: pointer events come at the display's
// frame rate (60 per second, 120 on fast screens) and the controller's
// page coalesces moves to one per animation frame, so 120 per second
// with bursts of 240 (a typed word, a drag) is more than a person makes.
// A controller past MaxRate for a whole second is cut off (CauseFlood).
const (
	Rate     = 120
	Burst    = 240
	FloodCut = 2 * Burst // events refused within one second that end control
)

// Limiter is a token bucket for one grant, with time passed in so that
// tests drive it. Not safe for concurrent use.
type Limiter struct {
	tokens  float64
	last    time.Time
	refused int
	window  time.Time
}

// Allow reports whether an event at now may pass, and whether the
// controller has flooded (refused events past FloodCut within a second):
// the relay then ends control.
func (l *Limiter) Allow(now time.Time) (ok, flood bool) {
	if l.last.IsZero() {
		l.tokens, l.last, l.window = Burst, now, now
	}
	if d := now.Sub(l.last); d > 0 {
		l.tokens = min(Burst, l.tokens+d.Seconds()*Rate)
		l.last = now
	}
	if now.Sub(l.window) >= time.Second {
		l.window, l.refused = now, 0
	}
	if l.tokens >= 1 {
		l.tokens--
		return true, false
	}
	l.refused++
	return false, l.refused > FloodCut
}
