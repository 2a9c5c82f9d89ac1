package crypt

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Source says where the master keys come from: $CONCLAVE_MASTER_KEY (and,
// during a rotation, $CONCLAVE_MASTER_KEY_OLD) when set, otherwise
// Dir/master.key (and Dir/master.key.old).
type Source struct {
	Dir    string
	Getenv func(string) string // os.Getenv when nil
}

// Masters is what a source holds: the current master key, which wraps new
// data keys, and older ones still accepted for unwrapping.
type Masters struct {
	Current Master
	Older   []Master
}

// FromEnv reports whether the keys come from the environment.
func (s Source) FromEnv() bool { return s.getenv(EnvKey) != "" }

// KeyPath and OldKeyPath are the key files in the data dir.
func (s Source) KeyPath() string    { return filepath.Join(s.Dir, KeyFile) }
func (s Source) OldKeyPath() string { return filepath.Join(s.Dir, OldKeyFile) }

func (s Source) getenv(k string) string {
	if s.Getenv == nil {
		return os.Getenv(k)
	}
	return s.Getenv(k)
}

// Load reads the master keys. When create is set and no key exists, it
// creates Dir/master.key with a fresh key; callers allow that only while
// no data key exists.
func (s Source) Load(create bool) (Masters, error) {
	if s.FromEnv() {
		return s.loadEnv()
	}
	cur, err := ReadKeyFile(s.KeyPath())
	if errors.Is(err, fs.ErrNotExist) && create {
		cur, err = s.create()
	}
	if errors.Is(err, fs.ErrNotExist) {
		return Masters{}, fmt.Errorf("%w: %s not found and %s not set", ErrNoMasterKey, s.KeyPath(), EnvKey)
	}
	if err != nil {
		return Masters{}, err
	}
	ms := Masters{Current: cur}
	old, err := ReadKeyFile(s.OldKeyPath())
	switch {
	case err == nil:
		ms.Older = append(ms.Older, old)
	case !errors.Is(err, fs.ErrNotExist):
		return Masters{}, err
	}
	return ms, nil
}

func (s Source) loadEnv() (Masters, error) {
	cur, err := ParseMaster(s.getenv(EnvKey))
	if err != nil {
		return Masters{}, fmt.Errorf("$%s: %w", EnvKey, err)
	}
	ms := Masters{Current: cur}
	if text := s.getenv(EnvOldKey); text != "" {
		old, err := ParseMaster(text)
		if err != nil {
			return Masters{}, fmt.Errorf("$%s: %w", EnvOldKey, err)
		}
		ms.Older = append(ms.Older, old)
	}
	return ms, nil
}

func (s Source) create() (Master, error) {
	m, err := NewMaster()
	if err != nil {
		return Master{}, err
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return Master{}, fmt.Errorf("create master key: %w", err)
	}
	// O_EXCL: if another process created the key meanwhile, use its key.
	f, err := os.OpenFile(s.KeyPath(), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return ReadKeyFile(s.KeyPath())
	}
	if err != nil {
		return Master{}, fmt.Errorf("create master key: %w", err)
	}
	_, werr := f.WriteString(m.Text() + "\n")
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return Master{}, fmt.Errorf("create master key: %w", err)
	}
	return m, nil
}

// stamp identifies the current key file's version, so a keyring notices
// when a rotation has installed a new one. Keys from the environment
// cannot change under a running process: their stamp is constant.
type stamp struct {
	fi  fs.FileInfo
	mod time.Time
}

func (s Source) stamp() stamp {
	if s.FromEnv() {
		return stamp{}
	}
	fi, err := os.Stat(s.KeyPath())
	if err != nil {
		return stamp{}
	}
	return stamp{fi: fi, mod: fi.ModTime()}
}

func (a stamp) same(b stamp) bool {
	if a.fi == nil || b.fi == nil {
		return a.fi == b.fi
	}
	return os.SameFile(a.fi, b.fi) && a.mod.Equal(b.mod) && a.fi.Size() == b.fi.Size()
}

// InstallMaster makes next the current master key file, keeping the
// current one as master.key.old so that keys still wrapped under it stay
// readable until the rotation finishes. It refuses while an earlier
// rotation is unfinished, as that would drop the key its leftovers need.
func (s Source) InstallMaster(next Master) error {
	if s.FromEnv() {
		return fmt.Errorf("install master key: keys come from $%s; change the environment instead", EnvKey)
	}
	cur, err := ReadKeyFile(s.KeyPath())
	if err != nil {
		return fmt.Errorf("install master key: %w", err)
	}
	if cur.ID == next.ID {
		return nil
	}
	if _, err := os.Stat(s.OldKeyPath()); err == nil {
		return fmt.Errorf("install master key: %s exists: an earlier rotation is unfinished; run `conclave keys rotate` without --new-key-file first", s.OldKeyPath())
	}
	if err := WriteKeyFile(s.OldKeyPath(), cur); err != nil {
		return err
	}
	return WriteKeyFile(s.KeyPath(), next)
}

// FinishRotation removes master.key.old once no data key needs it.
func (s Source) FinishRotation() error {
	if s.FromEnv() {
		return nil
	}
	if err := os.Remove(s.OldKeyPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("finish rotation: %w", err)
	}
	return nil
}
