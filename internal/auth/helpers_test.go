package auth

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
	"github.com/conclave-meet/conclave/internal/testclock"
)

// cheap keeps tests fast; cost parameters do not change the logic.
var cheap = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func newClock() *testclock.Clock {
	return testclock.New(time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.UTC))
}

type env struct {
	store    *sqlite.Store
	hasher   *Hasher
	derives  *atomic.Int32 // number of argon2 derivations so far
	clock    *testclock.Clock
	accounts *Accounts
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := NewHasher(cheap, 2)
	var n atomic.Int32
	h.onDerive = func(Params) { n.Add(1) }
	clock := newClock()
	return &env{store: st, hasher: h, derives: &n, clock: clock, accounts: NewAccounts(st, h, clock.Now)}
}

const goodPassword = "correct horse battery"

func (e *env) mustUser(t *testing.T, email string, role store.Role) store.User {
	t.Helper()
	u, err := e.accounts.CreateUser(context.Background(), NewUser{Email: email, Name: "Test User", Password: goodPassword, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return u
}
