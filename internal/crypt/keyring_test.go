package crypt

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
)

func TestSealOpenRoundTripAndBinding(t *testing.T) {
	k := newRing(t, newMemKeys(), Source{Dir: t.TempDir(), Getenv: noEnv})
	ctx := context.Background()
	sealed := mustSeal(t, k, "subject:u_a", "Ada Lovelace", "users.name")
	if bytes.Contains(sealed, []byte("Ada")) {
		t.Fatal("plaintext visible in the sealed value")
	}
	mustOpen(t, k, "subject:u_a", sealed, "users.name", "Ada Lovelace")
	if again := mustSeal(t, k, "subject:u_a", "Ada Lovelace", "users.name"); bytes.Equal(again, sealed) {
		t.Fatal("sealing twice gave the same bytes: nonce reused")
	}
	// The value is bound to its field and to its owner.
	if _, err := k.Open(ctx, "subject:u_a", sealed, []byte("users.email")); !errors.Is(err, ErrCorrupt) {
		t.Errorf("other field: %v, want ErrCorrupt", err)
	}
	mustSeal(t, k, "subject:u_b", "x", "users.name")
	if _, err := k.Open(ctx, "subject:u_b", sealed, []byte("users.name")); !errors.Is(err, ErrCorrupt) {
		t.Errorf("other owner: %v, want ErrCorrupt", err)
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	if _, err := k.Open(ctx, "subject:u_a", tampered, []byte("users.name")); !errors.Is(err, ErrCorrupt) {
		t.Errorf("tampered: %v, want ErrCorrupt", err)
	}
}

func TestShredMakesContentUnreadable(t *testing.T) {
	keys := newMemKeys()
	k := newRing(t, keys, Source{Dir: t.TempDir(), Getenv: noEnv})
	ctx := context.Background()
	sealed := mustSeal(t, k, "meeting:m1", "Board", "meetings.title")
	other := mustSeal(t, k, "meeting:m2", "Team", "meetings.title")
	if err := k.Shred(ctx, "meeting:m1"); err != nil {
		t.Fatal(err)
	}
	_, err := k.Open(ctx, "meeting:m1", sealed, []byte("meetings.title"))
	if !errors.Is(err, ErrShredded) || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after shred: %v, want ErrShredded (ErrNotFound)", err)
	}
	mustOpen(t, k, "meeting:m2", other, "meetings.title", "Team")
	// A new key for the same owner does not bring the old content back.
	mustSeal(t, k, "meeting:m1", "new", "meetings.title")
	if _, err := k.Open(ctx, "meeting:m1", sealed, []byte("meetings.title")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("old content under a new key: %v, want ErrCorrupt", err)
	}
	if err := k.Shred(ctx, indexOwner); err == nil {
		t.Fatal("the blind-index key was shredded")
	}
}

func TestIndexIsKeyedAndStable(t *testing.T) {
	dir := t.TempDir()
	keys := newMemKeys()
	k := newRing(t, keys, Source{Dir: dir, Getenv: noEnv})
	a := k.Index("user.email", "a@example.org")
	if a == k.Index("user.email", "b@example.org") || a == k.Index("other", "a@example.org") {
		t.Fatal("index does not separate values or fields")
	}
	if again := newRing(t, keys, Source{Dir: dir, Getenv: noEnv}); again.Index("user.email", "a@example.org") != a {
		t.Fatal("index changed across restarts")
	}
	other := newRing(t, newMemKeys(), Source{Dir: t.TempDir(), Getenv: noEnv})
	if other.Index("user.email", "a@example.org") == a {
		t.Fatal("index is the same under another installation's keys")
	}
}

func TestMasterKeyFileCreatedPrivate(t *testing.T) {
	dir := t.TempDir()
	k := newRing(t, newMemKeys(), Source{Dir: dir, Getenv: noEnv})
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v %v, want mode 0600", fi, err)
	}
	m, err := ReadKeyFile(filepath.Join(dir, KeyFile))
	if err != nil || m.ID != k.CurrentID() || len(m.ID) != 16 {
		t.Fatalf("key file ID %q %v, keyring %q", m.ID, err, k.CurrentID())
	}
}

func TestLooseKeyFileRefused(t *testing.T) {
	dir := t.TempDir()
	newRing(t, newMemKeys(), Source{Dir: dir, Getenv: noEnv})
	if err := os.Chmod(filepath.Join(dir, KeyFile), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := NewKeyring(context.Background(), newMemKeys(), Source{Dir: dir, Getenv: noEnv}); err == nil {
		t.Fatal("started with a group-readable master key")
	}
}

func TestEnvKeyWins(t *testing.T) {
	dir := t.TempDir()
	newRing(t, newMemKeys(), Source{Dir: dir, Getenv: noEnv}) // creates master.key
	m, err := NewMaster()
	if err != nil {
		t.Fatal(err)
	}
	k := newRing(t, newMemKeys(), Source{Dir: dir, Getenv: envWith(map[string]string{EnvKey: m.Text()})})
	if k.CurrentID() != m.ID {
		t.Fatalf("current %s, want the environment's %s", k.CurrentID(), m.ID)
	}
	bad := Source{Dir: dir, Getenv: envWith(map[string]string{EnvKey: "c2hvcnQ="})}
	if _, err := NewKeyring(context.Background(), newMemKeys(), bad); err == nil {
		t.Fatal("accepted a short key from the environment")
	}
}

func TestMissingOrWrongMasterKeyRefused(t *testing.T) {
	dir := t.TempDir()
	keys := newMemKeys()
	newRing(t, keys, Source{Dir: dir, Getenv: noEnv})
	if err := os.Remove(filepath.Join(dir, KeyFile)); err != nil {
		t.Fatal(err)
	}
	// Data keys exist: a new master key would orphan them.
	_, err := NewKeyring(context.Background(), keys, Source{Dir: dir, Getenv: noEnv})
	if !errors.Is(err, ErrNoMasterKey) {
		t.Fatalf("missing key: %v, want ErrNoMasterKey", err)
	}
	m, _ := NewMaster()
	_, err = NewKeyring(context.Background(), keys, Source{Dir: dir, Getenv: envWith(map[string]string{EnvKey: m.Text()})})
	if !errors.Is(err, ErrUnknownMaster) {
		t.Fatalf("wrong key: %v, want ErrUnknownMaster", err)
	}
}
