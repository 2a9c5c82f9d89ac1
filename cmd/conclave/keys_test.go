package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/crypt"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
	"github.com/conclave-meet/conclave/internal/testlog"
)

func writeNewKey(t *testing.T, mode os.FileMode) (crypt.Master, string) {
	t.Helper()
	m, err := crypt.NewMaster()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "new.key")
	if err := os.WriteFile(path, []byte(m.Text()+"\n"), mode); err != nil {
		t.Fatal(err)
	}
	return m, path
}

// TestKeysRotateWhileServing rotates the master key of a data dir whose
// database a "server" holds open: the server keeps reading and writing
// throughout, the old key file is gone afterwards, and status shows every
// key (admin, u_later, blind index) under the new master key.
func TestKeysRotateWhileServing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	id := addAdmin(t, dir, "ada@example.org")
	server, err := sqlite.Open(ctx, filepath.Join(dir, "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	oldID := server.Keyring().CurrentID()

	next, keyFile := writeNewKey(t, 0o600)
	r := cli(t, nil, "", "keys", "rotate", "--data", dir, "--new-key-file", keyFile, "--grace", "0s")
	if r.code != 0 || !strings.Contains(r.stdout, "under master key "+next.ID) {
		t.Fatalf("rotate: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if u, err := server.UserByID(ctx, id); err != nil || u.Email != "ada@example.org" {
		t.Fatalf("server after rotation: %+v %v", u, err)
	}
	later := store.User{ID: "u_later", Email: "l@example.org", Name: "L", Role: store.RoleMember, PasswordHash: "h", CreatedAt: time.Now()}
	if err := server.CreateUser(ctx, later); err != nil {
		t.Fatal(err)
	}
	if k, err := server.DataKey(ctx, "subject:u_later"); err != nil || k.MasterID != next.ID {
		t.Fatalf("key made after rotation under %q (%v), want %s", k.MasterID, err, next.ID)
	}
	if _, err := os.Stat(filepath.Join(dir, crypt.OldKeyFile)); !os.IsNotExist(err) {
		t.Fatalf("old key file left behind: %v", err)
	}
	if got, err := crypt.ReadKeyFile(filepath.Join(dir, crypt.KeyFile)); err != nil || got.ID != next.ID {
		t.Fatalf("master.key holds %s (%v), want %s", got.ID, err, next.ID)
	}

	st := cli(t, nil, "", "keys", "status", "--data", dir)
	if st.code != 0 || !strings.Contains(st.stdout, "master key "+next.ID+": 3 data keys (current)") ||
		strings.Contains(st.stdout, oldID) {
		t.Fatalf("status: %d %q %q", st.code, st.stdout, st.stderr)
	}
}

func TestKeysRotateRefusals(t *testing.T) {
	dir := t.TempDir()
	addAdmin(t, dir, "ada@example.org")
	_, loose := writeNewKey(t, 0o644)
	if r := cli(t, nil, "", "keys", "rotate", "--data", dir, "--new-key-file", loose); r.code != 1 ||
		!strings.Contains(r.stderr, "chmod 600") {
		t.Fatalf("loose key file: %d %q", r.code, r.stderr)
	}
	current, err := crypt.ReadKeyFile(filepath.Join(dir, crypt.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	_, ok := writeNewKey(t, 0o600)
	vars := map[string]string{crypt.EnvKey: current.Text()}
	if r := cli(t, vars, "", "keys", "rotate", "--data", dir, "--new-key-file", ok); r.code != 2 {
		t.Fatalf("--new-key-file with the key in the environment: %d %q", r.code, r.stderr)
	}
	if r := cli(t, nil, "", "keys", "status", "--data", filepath.Join(dir, "nowhere")); r.code != 1 {
		t.Fatalf("status without a database: %d %q", r.code, r.stderr)
	}
	if r := cli(t, nil, "", "keys", "shred"); r.code != 2 {
		t.Fatalf("unknown keys command: %d", r.code)
	}
}

// TestKeysRotateFromEnvironment: with the keys in the environment, the
// operator restarts with the new key current and the old one as
// CONCLAVE_MASTER_KEY_OLD, then rotate re-wraps everything under the new one.
func TestKeysRotateFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	old, _ := crypt.NewMaster()
	next, _ := crypt.NewMaster()
	vars := map[string]string{"CONCLAVE_PASSWORD": testPassword, crypt.EnvKey: old.Text()}
	if r := cli(t, vars, "", "user", "add", "--data", dir, "--email", "a@example.org", "--name", "A"); r.code != 0 {
		t.Fatalf("user add: %d %s", r.code, r.stderr)
	}
	vars[crypt.EnvKey], vars[crypt.EnvOldKey] = next.Text(), old.Text()
	r := cli(t, vars, "", "keys", "rotate", "--data", dir, "--grace", "0s")
	if r.code != 0 || !strings.Contains(r.stdout, next.ID) {
		t.Fatalf("rotate: %d %q %q", r.code, r.stdout, r.stderr)
	}
	delete(vars, crypt.EnvOldKey)
	st := cli(t, vars, "", "keys", "status", "--data", dir)
	if st.code != 0 || strings.Count(st.stdout, "master key") != 1 || !strings.Contains(st.stdout, next.ID) {
		t.Fatalf("status with only the new key: %d %q %q", st.code, st.stdout, st.stderr)
	}
}

// TestKeysRotateKeepsOldKeyWhileInUse: a server that had not yet noticed
// the new key file wraps a data key under the old master key after the
// last pass. Rotation must then keep master.key.old, say why and fail;
// running it again finishes the job.
func TestKeysRotateKeepsOldKeyWhileInUse(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	addAdmin(t, dir, "ada@example.org")
	old, err := crypt.ReadKeyFile(filepath.Join(dir, crypt.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	next, keyFile := writeNewKey(t, 0o600)
	src := crypt.Source{Dir: dir}
	if err := installNewKey(st.Keyring(), src, keyFile); err != nil {
		t.Fatal(err)
	}
	if _, err := rewrapAll(ctx, st.Keyring(), 0); err != nil {
		t.Fatal(err)
	}

	// The lagging server: the old key is still its current one.
	lagging, err := crypt.NewKeyring(ctx, st, crypt.Source{Getenv: func(k string) string {
		return map[string]string{crypt.EnvKey: old.Text(), crypt.EnvOldKey: next.Text()}[k]
	}})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := lagging.Seal(ctx, "subject:u_late", []byte("late"), nil)
	if err != nil {
		t.Fatal(err)
	}

	var out, errb testlog.Buffer
	e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	err = finishRotation(ctx, st.Keyring(), src, e)
	if !errors.Is(err, errRotationUnfinished) {
		t.Fatalf("finish with a key under the old master: %v, want errRotationUnfinished", err)
	}
	if !strings.Contains(out.String(), "still wrapped under old master key "+old.ID) {
		t.Fatalf("output %q does not name the old master key", out.String())
	}
	var ue usageError
	if errors.As(err, &ue) || !strings.Contains(err.Error(), "run `conclave keys rotate` again") {
		t.Fatalf("%v: want exit status 1 asking for another rotation", err)
	}
	if _, err := os.Stat(filepath.Join(dir, crypt.OldKeyFile)); err != nil {
		t.Fatalf("old key file removed while a key needs it: %v", err)
	}

	r := cli(t, nil, "", "keys", "rotate", "--data", dir, "--grace", "0s")
	if r.code != 0 {
		t.Fatalf("second rotate: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, crypt.OldKeyFile)); !os.IsNotExist(err) {
		t.Fatalf("old key file left after a complete rotation: %v", err)
	}
	if pt, err := st.Keyring().Open(ctx, "subject:u_late", sealed, nil); err != nil || string(pt) != "late" {
		t.Fatalf("the late key no longer opens: %q %v", pt, err)
	}
}
