package audit

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"hash"
)

// Genesis is the PrevHash of the first entry: SHA-256 of a fixed string, so
// that the first entry is chained like every other and a log cannot be
// truncated at the front by relabelling its second entry as first.
var Genesis = func() []byte {
	sum := sha256.Sum256([]byte("conclave audit log genesis v1"))
	return sum[:]
}()

// AddrSaltLen is the length of the random salt in an address commitment:
// enough that an erased address cannot be recovered by trying all 2^32
// IPv4 addresses against AddrHash.
const AddrSaltLen = 16

// chain computes entry hashes with an optional key.
type chain struct {
	key []byte // nil: plain SHA-256; otherwise HMAC-SHA-256
}

func (c chain) newHash() hash.Hash {
	if c.key == nil {
		return sha256.New()
	}
	return hmac.New(sha256.New, c.key)
}

// sum is the hash of e: (HMAC-)SHA-256 of Encode(e).
func (c chain) sum(e Entry) []byte {
	h := c.newHash()
	h.Write(Encode(e))
	return h.Sum(nil)
}

// intact reports whether e's stored Hash matches its content and PrevHash.
func (c chain) intact(e Entry) bool {
	return subtle.ConstantTimeCompare(c.sum(e), e.Hash) == 1
}

// seal fills in PrevHash (Genesis for the first entry) and Hash.
func (c chain) seal(e Entry) (Entry, error) {
	if e.PrevHash == nil {
		e.PrevHash = Genesis
	}
	e.Hash = c.sum(e)
	return e, nil
}

// sealCheckpoint sets cp.Seal. The seal is what stops someone with the
// database but not the key from deleting the front of the log and writing
// a checkpoint that makes it look like retention.
func (c chain) sealCheckpoint(cp Checkpoint) Checkpoint {
	h := c.newHash()
	h.Write(encodeCheckpoint(cp))
	cp.Seal = h.Sum(nil)
	return cp
}

// checkpointIntact reports whether cp's stored Seal matches its fields.
func (c chain) checkpointIntact(cp Checkpoint) bool {
	return subtle.ConstantTimeCompare(c.sealCheckpoint(cp).Seal, cp.Seal) == 1
}

// commitAddr sets AddrSalt and AddrHash for e.ClientAddr.
func commitAddr(e *Entry) {
	if e.ClientAddr == "" {
		e.AddrSalt, e.AddrHash = nil, nil
		return
	}
	e.AddrSalt = make([]byte, AddrSaltLen)
	rand.Read(e.AddrSalt) // crypto/rand.Read never fails (Go 1.24+)
	e.AddrHash = addrHash(e.AddrSalt, e.ClientAddr)
}

func addrHash(salt []byte, addr string) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(addr))
	return h.Sum(nil)
}

// addrMatches reports whether e's address, when still present, matches the
// commitment in the chain. An erased address (no address, no salt) passes:
// erasure is allowed; an address without a commitment is not.
func addrMatches(e Entry) bool {
	if e.ClientAddr == "" && len(e.AddrSalt) == 0 {
		return true
	}
	if len(e.AddrSalt) != AddrSaltLen || len(e.AddrHash) == 0 {
		return false
	}
	return subtle.ConstantTimeCompare(addrHash(e.AddrSalt, e.ClientAddr), e.AddrHash) == 1
}
