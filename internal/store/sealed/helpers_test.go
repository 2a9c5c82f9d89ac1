package sealed

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/conclave-meet/conclave/internal/crypt"
	"github.com/conclave-meet/conclave/internal/store"
)

// memKeys is an in-memory store.KeyStore, enough for a keyring.
type memKeys struct {
	mu   sync.Mutex
	rows map[string]store.DataKey
}

func (m *memKeys) DataKey(_ context.Context, owner string) (store.DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.rows[owner]
	if !ok {
		return store.DataKey{}, store.ErrNotFound
	}
	return k, nil
}

func (m *memKeys) InsertDataKey(_ context.Context, k store.DataKey) (store.DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.rows[k.Owner]; ok {
		return old, nil
	}
	m.rows[k.Owner] = k
	return k, nil
}

func (m *memKeys) DeleteDataKey(_ context.Context, owner string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.rows[owner]
	delete(m.rows, owner)
	return ok, nil
}

func (m *memKeys) DataKeysNotUnder(context.Context, string, int) ([]store.DataKey, error) {
	return nil, nil
}

func (m *memKeys) RewrapDataKeys(context.Context, []store.Rewrap) (int, error) { return 0, nil }

func (m *memKeys) DataKeyCounts(context.Context) (map[string]int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for _, k := range m.rows {
		out[k.MasterID]++
	}
	return out, nil
}

// newKeyring is a real keyring over memory, with a fresh master key.
func newKeyring(t *testing.T) *crypt.Keyring {
	t.Helper()
	src := crypt.Source{Dir: t.TempDir(), Getenv: func(string) string { return "" }}
	k, err := crypt.NewKeyring(context.Background(), &memKeys{rows: map[string]store.DataKey{}}, src)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// noPlain fails when a sealed value holds plain text.
func noPlain(t *testing.T, what string, sealedValue []byte, plain string) {
	t.Helper()
	if len(sealedValue) == 0 || bytes.Contains(sealedValue, []byte(plain)) {
		t.Errorf("%s is stored as %q, which holds %q", what, sealedValue, plain)
	}
}
