package crypt

import (
	"context"
	"os"
	"testing"
)

// TestRotateWhileServing plays the documented procedure: a running server
// keyring and the CLI's keyring share the database and the data dir; the
// CLI installs a new key file and re-wraps; the server keeps reading old
// and new content throughout and wraps new keys under the new master key;
// after the old key file is gone, a restarted server needs only the new key.
func TestRotateWhileServing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	keys := newMemKeys()
	src := Source{Dir: dir, Getenv: noEnv}
	server := newRing(t, keys, src)
	oldID := server.CurrentID()
	before := mustSeal(t, server, "subject:u_a", "Ada", "users.name")

	cli := newRing(t, keys, src)
	next, err := NewMaster()
	if err != nil {
		t.Fatal(err)
	}
	if err := src.InstallMaster(next); err != nil {
		t.Fatal(err)
	}
	if err := cli.Reload(); err != nil {
		t.Fatal(err)
	}
	n, err := cli.Rotate(ctx, next)
	if err != nil || n != 2 { // u_a and the blind-index key
		t.Fatalf("rotate: %d %v, want 2 keys", n, err)
	}
	// The server only knew the old key: it picks the new one up by itself.
	mustOpen(t, server, "subject:u_a", before, "users.name", "Ada")
	during := mustSeal(t, server, "meeting:m1", "Board", "meetings.title")
	if k, _ := keys.DataKey(ctx, "meeting:m1"); k.MasterID != next.ID {
		t.Fatalf("new key wrapped under %s, want the new master %s", k.MasterID, next.ID)
	}
	if err := src.FinishRotation(); err != nil {
		t.Fatal(err)
	}
	restarted := newRing(t, keys, src)
	if restarted.CurrentID() != next.ID || restarted.CurrentID() == oldID {
		t.Fatalf("restarted with %s", restarted.CurrentID())
	}
	mustOpen(t, restarted, "subject:u_a", before, "users.name", "Ada")
	mustOpen(t, restarted, "meeting:m1", during, "meetings.title", "Board")
	st, err := restarted.Status(ctx)
	if err != nil || len(st) != 1 || st[0].MasterID != next.ID || st[0].Keys != 3 || !st[0].Current {
		t.Fatalf("status %+v %v", st, err)
	}
}

// TestStragglerRewrappedOnUse: a key left under the old master key (made
// by a server that had not yet seen the new key file) moves to the current
// master key the first time it is used.
func TestStragglerRewrappedOnUse(t *testing.T) {
	ctx := context.Background()
	keys := newMemKeys()
	old, _ := NewMaster()
	next, _ := NewMaster()
	env := map[string]string{EnvKey: old.Text()}
	src := Source{Dir: t.TempDir(), Getenv: envWith(env)}
	k := newRing(t, keys, src)
	sealed := mustSeal(t, k, "subject:p_1", "Guest", "participants.name")

	env[EnvKey], env[EnvOldKey] = next.Text(), old.Text()
	both := newRing(t, keys, src)
	mustOpen(t, both, "subject:p_1", sealed, "participants.name", "Guest")
	if row, _ := keys.DataKey(ctx, "subject:p_1"); row.MasterID != next.ID {
		t.Fatalf("straggler still under %s", row.MasterID)
	}
}

func TestInstallRefusedWhileRotationUnfinished(t *testing.T) {
	dir := t.TempDir()
	src := Source{Dir: dir, Getenv: noEnv}
	newRing(t, newMemKeys(), src)
	a, _ := NewMaster()
	b, _ := NewMaster()
	if err := src.InstallMaster(a); err != nil {
		t.Fatal(err)
	}
	if err := src.InstallMaster(b); err == nil {
		t.Fatal("a second rotation dropped the key the first one still needs")
	}
	if fi, err := os.Stat(src.OldKeyPath()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("old key file: %v %v", fi, err)
	}
	if err := src.FinishRotation(); err != nil {
		t.Fatal(err)
	}
	if err := src.InstallMaster(b); err != nil {
		t.Fatalf("after finishing: %v", err)
	}
}
