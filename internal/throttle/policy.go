package throttle

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Scopes of the keys the server uses.
const (
	ScopeIP      = "ip"      // a client address, as the server sees it
	ScopeAccount = "account" // an e-mail address tried at sign-in, hashed
	ScopeMeeting = "meeting" // a meeting ID tried with a passcode
)

// defaultMaxKeys bounds each scope of the server's limiters. A key costs
// at most a few hundred bytes, so a full scope stays within a few MiB.
const defaultMaxKeys = 10_000

// hashedIDLen is how many hex digits of SHA-256 HashedKey keeps: 128 bits,
// plenty to keep distinct inputs apart.
const hashedIDLen = 32

// Key returns the key "scope:id".
func Key(scope, id string) string { return scope + ":" + id }

// HashedKey returns "scope:" plus a SHA-256 hex prefix of id, for ids that
// are personal data (e-mail addresses) and must not appear in keys.
func HashedKey(scope, id string) string {
	sum := sha256.Sum256([]byte(id))
	return Key(scope, hex.EncodeToString(sum[:])[:hashedIDLen])
}

// IPKey is the key of a client address.
func IPKey(addr string) string { return Key(ScopeIP, addr) }

// AccountKey is the key of the account an e-mail address names, whether
// or not such an account exists (so that lock-outs do not reveal which
// addresses have accounts). It trims and lower-cases the address first,
// as auth.NormalizeEmail does, so "Ada@Example.org " and "ada@example.org"
// share a count; malformed addresses get a stable key the same way.
func AccountKey(email string) string {
	return HashedKey(ScopeAccount, strings.ToLower(strings.TrimSpace(email)))
}

// MeetingKey is the key of a meeting ID.
func MeetingKey(id string) string { return Key(ScopeMeeting, id) }

// LoginIPPolicy limits sign-ins per client address: 20 failures within 15
// minutes lock the address out for 15 minutes. It is looser than the
// account limit because people behind one NAT share an address.
func LoginIPPolicy() Policy {
	return Policy{MaxFailures: 20, Window: 15 * time.Minute, Lockout: 15 * time.Minute, MaxKeys: defaultMaxKeys}
}

// LoginAccountPolicy limits sign-ins per account: 5 failures within 15
// minutes lock the account out for 15 minutes, whatever the address.
func LoginAccountPolicy() Policy {
	return Policy{MaxFailures: 5, Window: 15 * time.Minute, Lockout: 15 * time.Minute, MaxKeys: defaultMaxKeys}
}

// PasscodePolicy limits meeting passcode guesses per client address: 10
// failures within 10 minutes lock the address out for 10 minutes. Someone
// mistyping a passcode a few times stays well clear of it.
func PasscodePolicy() Policy {
	return Policy{MaxFailures: 10, Window: 10 * time.Minute, Lockout: 10 * time.Minute, MaxKeys: defaultMaxKeys}
}

// MeetingPolicy limits passcode guesses per meeting, from all addresses
// together: 30 failures within 10 minutes lock the meeting's passcode
// check for 10 minutes. This stops a guesser spread over many addresses,
// at a price: while locked, nobody can join with the passcode, so anyone
// who knows a meeting ID can hold its door shut by failing 30 times every
// 10 minutes. Callers that cannot accept that should Check only the IP key
// before verifying the passcode and Fail both.
func MeetingPolicy() Policy {
	return Policy{MaxFailures: 30, Window: 10 * time.Minute, Lockout: 10 * time.Minute, MaxKeys: defaultMaxKeys}
}

// NewLogin returns the sign-in limiter: LoginIPPolicy for IPKey keys,
// LoginAccountPolicy for AccountKey keys, and LoginAccountPolicy, the
// stricter, for keys of any other scope. now is the clock (nil: time.Now).
//
//	if wait := l.Check(IPKey(addr), AccountKey(email)); wait > 0 { refuse }
//	wrong password: newly := l.Fail(IPKey(addr), AccountKey(email))
//	right password: l.Reset(AccountKey(email))
func NewLogin(now func() time.Time) *Limiter {
	return NewScoped(LoginAccountPolicy(), map[string]Policy{
		ScopeIP:      LoginIPPolicy(),
		ScopeAccount: LoginAccountPolicy(),
	}, now)
}

// NewPasscodes returns the meeting passcode limiter: PasscodePolicy for
// IPKey keys, MeetingPolicy for MeetingKey keys, and PasscodePolicy, the
// stricter, for keys of any other scope. now is the clock (nil: time.Now).
//
//	if wait := l.Check(IPKey(addr), MeetingKey(id)); wait > 0 { refuse }
//	wrong passcode: newly := l.Fail(IPKey(addr), MeetingKey(id))
//	right passcode: reset nothing
//
// A right passcode resets neither key: the meeting's count is not one
// person's, and clearing the address would let someone who knows one
// meeting's passcode guess at others without limit.
func NewPasscodes(now func() time.Time) *Limiter {
	return NewScoped(PasscodePolicy(), map[string]Policy{
		ScopeIP:      PasscodePolicy(),
		ScopeMeeting: MeetingPolicy(),
	}, now)
}

// GuestRequestPolicy limits guests' data subject requests (submitted with
// a one-time proof, no account) per client address: 10 within an hour,
// right proof or wrong, lock the address out for an hour. A guest makes
// one or two; the limit bounds both guessing (hopeless against 256-bit
// proofs anyway) and the rows one outsider can add to the register.
func GuestRequestPolicy() Policy {
	return Policy{MaxFailures: 10, Window: time.Hour, Lockout: time.Hour, MaxKeys: defaultMaxKeys}
}

// NewGuestRequests returns the guest request limiter: GuestRequestPolicy
// for every key, counted with Attempt (every submission counts). now is
// the clock (nil: time.Now).
//
//	if wait, _ := l.Attempt(IPKey(addr)); wait > 0 { refuse }
func NewGuestRequests(now func() time.Time) *Limiter {
	return NewScoped(GuestRequestPolicy(), map[string]Policy{ScopeIP: GuestRequestPolicy()}, now)
}
