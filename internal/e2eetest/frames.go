package e2eetest

import (
	"encoding/binary"
	"sync"
)

// Clear prefixes of web/src/e2ee/vp8.ts: a VP8 keyframe keeps its frame
// tag, start code, width and height (10 bytes) in clear, a delta frame its
// frame tag (3); Opus is encrypted whole.
const (
	VP8KeyframeClear = 10
	VP8DeltaClear    = 3
)

// VP8Keyframe reads the frame tag's P bit (0: keyframe).
func VP8Keyframe(frame []byte) bool { return len(frame) > 0 && frame[0]&1 == 0 }

// VP8Size is a keyframe's coded width and height, from its clear header;
// zeros for a delta frame or a short one.
func VP8Size(frame []byte) (width, height int) {
	if !VP8Keyframe(frame) || len(frame) < VP8KeyframeClear {
		return 0, 0
	}
	return int(binary.LittleEndian.Uint16(frame[6:8]) & 0x3fff), int(binary.LittleEndian.Uint16(frame[8:10]) & 0x3fff)
}

// ClearBytes is how many leading bytes of a frame stay in clear; video is
// VP8, audio Opus.
func ClearBytes(video bool, frame []byte) int {
	switch {
	case !video || len(frame) == 0:
		return 0
	case VP8Keyframe(frame):
		return VP8KeyframeClear
	default:
		return VP8DeltaClear
	}
}

// Split cuts a protected frame into its clear prefix (the SFrame metadata)
// and the SFrame; ok is false when the frame is shorter than its prefix.
func Split(video bool, frame []byte) (metadata, sframe []byte, ok bool) {
	n := ClearBytes(video, frame)
	if len(frame) < n {
		return nil, nil, false
	}
	return frame[:n], frame[n:], true
}

// Keyring holds sender keys per participant, as a receiving browser does,
// and opens frames with them. Safe for concurrent use.
type Keyring struct {
	mu   sync.Mutex
	keys map[string]map[uint32]SenderKey // participant → generation → key as received
	memo map[string]map[uint64]*Key
}

// NewKeyring returns an empty keyring.
func NewKeyring() *Keyring {
	return &Keyring{keys: map[string]map[uint32]SenderKey{}, memo: map[string]map[uint64]*Key{}}
}

// Add gives the keyring a sender key of participant.
func (r *Keyring) Add(participant string, k SenderKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys[participant] == nil {
		r.keys[participant] = map[uint32]SenderKey{}
	}
	r.keys[participant][k.Generation] = SenderKey{Generation: k.Generation, Step: k.Step, BaseKey: append([]byte(nil), k.BaseKey...)}
	delete(r.memo, participant)
}

// Keys returns participant's sender keys (copies).
func (r *Keyring) Keys(participant string) []SenderKey {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []SenderKey
	for _, k := range r.keys[participant] {
		out = append(out, SenderKey{Generation: k.Generation, Step: k.Step, BaseKey: append([]byte(nil), k.BaseKey...)})
	}
	return out
}

// Highest returns the highest generation held for participant, and
// whether one is.
func (r *Keyring) Highest(participant string) (generation uint32, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for g := range r.keys[participant] {
		if !ok || g > generation {
			generation, ok = g, true
		}
	}
	return generation, ok
}

// key finds (deriving, and ratcheting forward where the KID asks for a
// later step) the key of kid for participant.
func (r *Keyring) key(participant string, kid uint64) (*Key, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if k := r.memo[participant][kid]; k != nil {
		return k, nil
	}
	gen, step := SplitKID(kid)
	sk, ok := r.keys[participant][gen]
	if !ok || step < sk.Step {
		return nil, ErrUnknownKID
	}
	base := sk.BaseKey
	for s := sk.Step; s < step; s++ {
		next, err := Ratchet(AES128GCMSHA256, base)
		if err != nil {
			return nil, err
		}
		base = next
	}
	k, err := NewKey(AES128GCMSHA256, kid, base)
	if err != nil {
		return nil, err
	}
	if r.memo[participant] == nil {
		r.memo[participant] = map[uint64]*Key{}
	}
	r.memo[participant][kid] = k
	return k, nil
}

// Open opens one of participant's frames as the receiving browser does
// (transform.ts): the clear prefix is the metadata, the rest the SFrame.
// It returns the plaintext after the prefix and the frame's KID.
func (r *Keyring) Open(participant string, video bool, frame []byte) (plain []byte, kid uint64, err error) {
	metadata, sf, ok := Split(video, frame)
	if !ok {
		return nil, 0, ErrMalformed
	}
	h, err := ParseHeader(sf)
	if err != nil {
		return nil, 0, err
	}
	k, err := r.key(participant, h.KID)
	if err != nil {
		return nil, h.KID, err
	}
	plain, err = k.Open(metadata, sf)
	return plain, h.KID, err
}

// FrameKID reads the KID of a protected frame without opening it.
func FrameKID(video bool, frame []byte) (uint64, bool) {
	_, sf, ok := Split(video, frame)
	if !ok {
		return 0, false
	}
	h, err := ParseHeader(sf)
	return h.KID, err == nil
}
