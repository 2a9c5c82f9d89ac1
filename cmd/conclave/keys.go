package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/crypt"
)

// rotateGrace is how long rotation waits before its last pass, so that a
// data key a running server wrapped just before it noticed the new key
// file is still re-wrapped (a server also re-wraps such keys on use).
const rotateGrace = 2 * time.Second

// keySource is where serve and the keys commands find the master keys.
func keySource(cfg config.Config, e env) crypt.Source {
	return crypt.Source{Dir: cfg.DataDir, Getenv: e.getenv}
}

// openKeyedStore opens an existing database with the master keys from the
// data dir or the environment e was given.
func openKeyedStore(ctx context.Context, cfg config.Config, e env) (serverStore, error) {
	return openExistingStore(ctx, cfg, e)
}

// openExisting resolves the flags' configuration and opens its existing
// database with its master keys: the start of every command that reads or
// changes a data dir it must not create.
func (f *cliFlags) openExisting(ctx context.Context, e env) (config.Config, serverStore, error) {
	cfg, err := f.load(e.getenv)
	if err != nil {
		return config.Config{}, nil, err
	}
	st, err := openKeyedStore(ctx, cfg, e)
	if err != nil {
		return config.Config{}, nil, err
	}
	return cfg, st, nil
}

func runKeysStatus(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("keys status", e)
	var cf cliFlags
	cf.register(fs, false)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	_, st, err := cf.openExisting(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	counts, err := st.Keyring().Status(ctx)
	if err != nil {
		return err
	}
	for _, c := range counts {
		fmt.Fprintf(e.stdout, "master key %s: %d data keys%s\n", c.MasterID, c.Keys, statusNote(c))
	}
	if len(counts) > 1 {
		fmt.Fprintln(e.stdout, "rotation unfinished: run `conclave keys rotate` to re-wrap the rest")
	}
	return nil
}

func statusNote(c crypt.MasterCount) string {
	switch {
	case c.Current:
		return " (current)"
	case !c.Known:
		return " (MISSING: these keys cannot be unwrapped)"
	}
	return " (old)"
}

func runKeysRotate(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("keys rotate", e)
	var cf cliFlags
	cf.register(fs, false)
	newKeyFile := fs.String("new-key-file", "", "file holding the new master key (base64 of 32 bytes, mode 0600); "+
		"without it, finish an earlier rotation")
	grace := fs.Duration("grace", rotateGrace, "wait before the last pass, for keys the running server wraps meanwhile")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, st, err := cf.openExisting(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	src := keySource(cfg, e)
	if *newKeyFile != "" {
		if err := installNewKey(st.Keyring(), src, *newKeyFile); err != nil {
			return err
		}
	}
	n, err := rewrapAll(ctx, st.Keyring(), *grace)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "re-wrapped %d data keys under master key %s\n", n, st.Keyring().CurrentID())
	return finishRotation(ctx, st.Keyring(), src, e)
}

// errRotationUnfinished is returned when data keys are still wrapped under
// an old master key after the last pass.
var errRotationUnfinished = errors.New("rotation unfinished: run `conclave keys rotate` again")

// finishRotation deletes the old master key only once the database shows
// no data key under any master key but the current one. A running server
// that had not yet noticed the new key file may have wrapped a key under
// the old one after the last pass; deleting the old key then would make
// that key, and everything sealed under it, unreadable for good.
func finishRotation(ctx context.Context, k *crypt.Keyring, src crypt.Source, e env) error {
	counts, err := k.Status(ctx)
	if err != nil {
		return fmt.Errorf("finish rotation: %w", err)
	}
	left := 0
	for _, c := range counts {
		if !c.Current && c.Keys > 0 {
			fmt.Fprintf(e.stdout, "%d data keys are still wrapped under old master key %s\n", c.Keys, c.MasterID)
			left += c.Keys
		}
	}
	if left > 0 {
		fmt.Fprintln(e.stdout, "the old master key is kept")
		return errRotationUnfinished
	}
	return src.FinishRotation()
}

// installNewKey makes the new key file the data dir's master.key (the
// running server picks it up by itself) and the keyring's current key.
func installNewKey(k *crypt.Keyring, src crypt.Source, path string) error {
	if src.FromEnv() {
		return usageError{fmt.Sprintf("--new-key-file cannot be used while $%s is set: "+
			"set it to the new key and $%s to the old one, restart, then run keys rotate", crypt.EnvKey, crypt.EnvOldKey)}
	}
	next, err := crypt.ReadKeyFile(path)
	if err != nil {
		return err
	}
	if err := src.InstallMaster(next); err != nil {
		return err
	}
	return k.Reload()
}

// rewrapAll re-wraps every key under the current master key, waits grace,
// and makes a last pass.
func rewrapAll(ctx context.Context, k *crypt.Keyring, grace time.Duration) (int, error) {
	n, err := k.RotateToCurrent(ctx)
	if err != nil {
		return n, err
	}
	select {
	case <-ctx.Done():
		return n, ctx.Err()
	case <-time.After(grace):
	}
	more, err := k.RotateToCurrent(ctx)
	return n + more, err
}
