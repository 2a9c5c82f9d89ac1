package auth

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
)

func TestHashDefaultParamsPHCFormat(t *testing.T) {
	h := NewHasher(DefaultParams, 0)
	phc, err := h.Hash(context.Background(), goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=65536,t=3,p=2\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(phc) {
		t.Fatalf("PHC string %q does not match %s", phc, re)
	}
	// Cross-check against argon2 directly.
	p, salt, key, err := decodePHC(phc)
	if err != nil {
		t.Fatal(err)
	}
	if want := argon2.IDKey([]byte(goodPassword), salt, 3, 65536, 2, 32); string(want) != string(key) {
		t.Fatal("stored key is not argon2id(password, salt)")
	}
	if p.Memory != 65536 || p.Time != 3 || p.Threads != 2 {
		t.Fatalf("params %+v", p)
	}
	if cap(h.sem) != DefaultConcurrency {
		t.Fatalf("concurrency %d", cap(h.sem))
	}
}

func TestVerify(t *testing.T) {
	h := NewHasher(cheap, 1)
	ctx := context.Background()
	phc, err := h.Hash(ctx, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	for pw, want := range map[string]bool{goodPassword: true, goodPassword + " ": false, "": false, strings.ToUpper(goodPassword): false} {
		got, err := h.Verify(ctx, phc, pw)
		if err != nil || got != want {
			t.Errorf("Verify(%q) = %v, %v; want %v", pw, got, err, want)
		}
	}
	phc2, _ := h.Hash(ctx, goodPassword)
	if phc == phc2 {
		t.Fatal("two hashes of one password must differ (random salt)")
	}
}

func TestVerifyUsesStoredParams(t *testing.T) {
	ctx := context.Background()
	old := NewHasher(Params{Memory: 128, Time: 2, Threads: 2, SaltLen: 8, KeyLen: 16}, 1)
	phc, err := old.Hash(ctx, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := NewHasher(cheap, 1).Verify(ctx, phc, goodPassword)
	if err != nil || !ok {
		t.Fatalf("hash made with other params: %v %v", ok, err)
	}
}

func TestDecodePHCRejects(t *testing.T) {
	salt, key := "c2FsdHNhbHRzYWx0", "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"
	cases := map[string]string{
		"empty":          "",
		"bcrypt":         "$2a$10$abcdefghijklmnopqrstuv",
		"argon2i":        "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"old version":    "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"missing part":   "$argon2id$v=19$m=64,t=1,p=1$" + salt,
		"extra part":     "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$x",
		"param order":    "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key,
		"param junk":     "$argon2id$v=19$m=64x,t=1,p=1$" + salt + "$" + key,
		"huge memory":    "$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key,
		"zero time":      "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key,
		"huge time":      "$argon2id$v=19$m=64,t=1000,p=1$" + salt + "$" + key,
		"zero threads":   "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key,
		"memory<8p":      "$argon2id$v=19$m=8,t=1,p=2$" + salt + "$" + key,
		"bad salt b64":   "$argon2id$v=19$m=64,t=1,p=1$!!!$" + key,
		"short salt":     "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + key,
		"short key":      "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$a2V5",
		"padded base64":  "$argon2id$v=19$m=64,t=1,p=1$" + salt + "=$" + key,
		"negative param": "$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key,
	}
	h := NewHasher(cheap, 1)
	for name, phc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, _, _, err := decodePHC(phc); !errors.Is(err, errBadHash) {
				t.Fatalf("decodePHC: %v, want errBadHash", err)
			}
			if ok, err := h.Verify(context.Background(), phc, goodPassword); ok || err == nil {
				t.Fatalf("Verify = %v, %v", ok, err)
			}
		})
	}
}

func TestValidatePassword(t *testing.T) {
	cases := []struct {
		pw string
		ok bool
	}{
		{"", false},
		{"xK9#mP2$vL7", false},
		{"xK9#mP2$vL7q", true},
		{"ß€ñ¿øæ∂ƒ©˙∆˚", true}, // counted in characters, not bytes
		{"ß€ñ¿øæ∂ƒ©˙∆", false},
		{unguessable(256), true},
		{unguessable(257), false},
		// docs/security.md, "Passwords": no composition rules, but common
		// and guessable passwords are refused whatever their length.
		{strings.Repeat("a", 12), false},
		{"password1234", false},
	}
	for _, tc := range cases {
		err := ValidatePassword(tc.pw)
		if (err == nil) != tc.ok {
			t.Errorf("ValidatePassword(len %d) = %v", len(tc.pw), err)
		}
		var ve *ValidationError
		if err != nil && (!errors.As(err, &ve) || ve.Field != "password") {
			t.Errorf("want a ValidationError for password, got %#v", err)
		}
	}
}

func TestConcurrencyCap(t *testing.T) {
	h := NewHasher(cheap, 2)
	var active, peak atomic.Int32
	h.onDerive = func(Params) {
		n := active.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		active.Add(-1)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := h.Hash(context.Background(), goodPassword); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 2 || p < 1 {
		t.Fatalf("peak concurrency %d, want 1..2", p)
	}
}

func TestWaitRespectsContext(t *testing.T) {
	h := NewHasher(cheap, 1)
	release := make(chan struct{})
	started := make(chan struct{})
	h.onDerive = func(Params) {
		close(started)
		<-release
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Hash(context.Background(), goodPassword)
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, goodPassword); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Hash while saturated: %v", err)
	}
	if err := h.VerifyDummy(ctx, goodPassword); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("VerifyDummy while saturated: %v", err)
	}
	close(release)
	<-done
}

func TestDummyCostsTheSameAsVerify(t *testing.T) {
	h := NewHasher(cheap, 1)
	var seen []Params
	h.onDerive = func(p Params) { seen = append(seen, p) }
	ctx := context.Background()
	phc, _ := h.Hash(ctx, goodPassword)
	if _, err := h.Verify(ctx, phc, "wrong password!"); err != nil {
		t.Fatal(err)
	}
	if err := h.VerifyDummy(ctx, "wrong password!"); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 || seen[1] != seen[2] || seen[1] != cheap {
		t.Fatalf("derivation params differ: %+v", seen)
	}
}

// unguessable returns n characters without repeats, sequences or words
// (a fixed pseudo-random stream).
func unguessable(n int) string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY3479#%&*"
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = alphabet[x%uint32(len(alphabet))]
	}
	return string(b)
}
