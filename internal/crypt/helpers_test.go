package crypt

import (
	"context"
	"sort"
	"sync"
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
)

// memKeys is an in-memory store.KeyStore.
type memKeys struct {
	mu   sync.Mutex
	rows map[string]store.DataKey
}

func newMemKeys() *memKeys { return &memKeys{rows: map[string]store.DataKey{}} }

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

func (m *memKeys) DataKeysNotUnder(_ context.Context, id string, limit int) ([]store.DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.DataKey
	for _, k := range m.rows {
		if k.MasterID != id {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Owner < out[j].Owner })
	return out[:min(limit, len(out))], nil
}

func (m *memKeys) RewrapDataKeys(_ context.Context, rs []store.Rewrap) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, r := range rs {
		k, ok := m.rows[r.Owner]
		if !ok || k.MasterID != r.FromMaster {
			continue
		}
		k.Wrapped, k.MasterID = r.Wrapped, r.MasterID
		m.rows[r.Owner] = k
		n++
	}
	return n, nil
}

func (m *memKeys) DataKeyCounts(context.Context) (map[string]int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for _, k := range m.rows {
		out[k.MasterID]++
	}
	return out, nil
}

// noEnv is a Getenv with nothing set, so tests never see the caller's
// environment.
func noEnv(string) string { return "" }

func envWith(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func newRing(t *testing.T, keys store.KeyStore, src Source) *Keyring {
	t.Helper()
	k, err := NewKeyring(context.Background(), keys, src)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustSeal(t *testing.T, k *Keyring, owner, text, aad string) []byte {
	t.Helper()
	b, err := k.Seal(context.Background(), owner, []byte(text), []byte(aad))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustOpen(t *testing.T, k *Keyring, owner string, sealed []byte, aad, want string) {
	t.Helper()
	got, err := k.Open(context.Background(), owner, sealed, []byte(aad))
	if err != nil || string(got) != want {
		t.Fatalf("open %s: %q %v, want %q", owner, got, err, want)
	}
}
