package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/conclave-meet/conclave/internal/password"
	"github.com/conclave-meet/conclave/internal/store"
)

// Password length limits, in characters (runes).
const (
	MinPasswordLen = password.MinLen
	MaxPasswordLen = password.MaxLen
)

// Params are argon2id cost parameters. Memory is in KiB.
type Params struct {
	Memory  uint32
	Time    uint32
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultParams follow the RFC 9106 second recommendation scaled to 64 MiB:
// m=65536, t=3, p=2.
var DefaultParams = Params{Memory: 64 * 1024, Time: 3, Threads: 2, SaltLen: 16, KeyLen: 32}

// DefaultConcurrency caps simultaneous hash computations. Each costs
// Params.Memory, so two at 64 MiB bound a login flood to 128 MiB.
const DefaultConcurrency = 2

// Upper bounds for parameters read back from stored hashes, so a tampered
// row cannot make one verification allocate gigabytes.
const (
	maxMemory  = 1 << 20 // KiB = 1 GiB
	maxTime    = 16
	maxThreads = 16
	maxKeyLen  = 128
)

// Hasher hashes and verifies passwords with argon2id, limiting how many
// hashes run at once.
type Hasher struct {
	params    Params
	sem       chan struct{}
	dummySalt []byte
	onDerive  func(Params) // test hook: observes the cost of each derivation
}

// NewHasher returns a Hasher using p for new hashes and allowing at most
// concurrency simultaneous computations (DefaultConcurrency when < 1).
func NewHasher(p Params, concurrency int) *Hasher {
	if concurrency < 1 {
		concurrency = DefaultConcurrency
	}
	salt := make([]byte, p.SaltLen)
	rand.Read(salt) // crypto/rand.Read never fails (Go 1.24+)
	return &Hasher{params: p, sem: make(chan struct{}, concurrency), dummySalt: salt}
}

// ValidatePassword checks the password policy (package password): length,
// the common-password list and the strength estimate, with userInputs
// (e-mail address, name) counted as guessable words. The breached list is
// Accounts' (SetBreachedList).
func ValidatePassword(pw string, userInputs ...string) error {
	var perr *password.Error
	if err := password.Check(pw, userInputs...); errors.As(err, &perr) {
		return invalid("password", perr.Message)
	} else if err != nil {
		return err
	}
	return nil
}

// Hash returns a PHC string: $argon2id$v=19$m=65536,t=3,p=2$salt$hash.
// It waits for a free slot, or returns ctx's error.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	rand.Read(salt)
	key, err := h.derive(ctx, password, salt, h.params)
	if err != nil {
		return "", err
	}
	return encodePHC(h.params, salt, key), nil
}

// Verify reports whether password matches the PHC string, comparing in
// constant time. An error means the stored hash is unusable or ctx ended.
func (h *Hasher) Verify(ctx context.Context, phc, password string) (bool, error) {
	p, salt, want, err := decodePHC(phc)
	if err != nil {
		return false, err
	}
	got, err := h.derive(ctx, password, salt, p)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// VerifyDummy spends the same effort as Verify against a hash made with the
// current parameters and always fails. Call it when there is no user, so the
// response time does not reveal which e-mail addresses have accounts.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	_, err := h.derive(ctx, password, h.dummySalt, h.params)
	return err
}

func (h *Hasher) derive(ctx context.Context, password string, salt []byte, p Params) ([]byte, error) {
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for password hasher: %w", ctx.Err())
	}
	defer func() { <-h.sem }()
	if h.onDerive != nil {
		h.onDerive(p)
	}
	return argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen), nil
}

var b64 = base64.RawStdEncoding

func encodePHC(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

var errBadHash = errors.New("password hash is not a supported argon2id PHC string")

func decodePHC(phc string) (Params, []byte, []byte, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return Params{}, nil, nil, errBadHash
	}
	p, err := parseParams(parts[3])
	if err != nil {
		return Params{}, nil, nil, err
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return Params{}, nil, nil, fmt.Errorf("%w: bad salt", errBadHash)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > maxKeyLen {
		return Params{}, nil, nil, fmt.Errorf("%w: bad key", errBadHash)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// parseParams reads "m=65536,t=3,p=2" strictly, in that order.
func parseParams(s string) (Params, error) {
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return Params{}, fmt.Errorf("%w: bad parameters", errBadHash)
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(fields[i], name)
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil {
			return Params{}, fmt.Errorf("%w: bad parameter %q", errBadHash, fields[i])
		}
		vals[i] = n
	}
	m, t, th := vals[0], vals[1], vals[2]
	if m < 8*th || m > maxMemory || t < 1 || t > maxTime || th < 1 || th > maxThreads {
		return Params{}, fmt.Errorf("%w: parameters out of range", errBadHash)
	}
	return Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(th)}, nil
}

// verify checks password against u's, at the same cost whether or not
// the account has a password (one without never matches).
func (a *Accounts) verify(ctx context.Context, u store.User, password string) (bool, error) {
	if u.PasswordHash == "" {
		return false, a.hasher.VerifyDummy(ctx, password)
	}
	return a.hasher.Verify(ctx, u.PasswordHash, password)
}
