package password

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Breached checks passwords against a breached-password list the operator
// downloaded (config breached_passwords), in the formats of Have I Been
// Pwned's downloadable SHA-1 files: either one file of upper-case SHA-1
// hashes sorted by hash, one "HASH[:COUNT]" a line (searched by binary
// search, so a 30 GiB file costs a few dozen reads), or a directory of
// range files named by the first five hex digits ("21BD1.txt", or without
// ".txt"), each holding "SUFFIX[:COUNT]" lines. Nothing is ever fetched.
type Breached struct {
	path string
	dir  bool
}

// OpenBreached checks that path is a readable file or directory.
func OpenBreached(path string) (*Breached, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("breached password list: %w", err)
	}
	return &Breached{path: path, dir: fi.IsDir()}, nil
}

// Contains reports whether pw's SHA-1 is on the list. SHA-1 is the list's
// format, not a password hash of ours: it only finds the line.
func (b *Breached) Contains(pw string) (bool, error) {
	sum := sha1.Sum([]byte(pw))
	hash := strings.ToUpper(hex.EncodeToString(sum[:]))
	if b.dir {
		return b.inRange(hash)
	}
	return b.inSorted(hash)
}

// Check refuses pw when it is on the list.
func (b *Breached) Check(pw string) error {
	found, err := b.Contains(pw)
	if err != nil {
		return err
	}
	if found {
		return refuse("this password appears in a list of passwords exposed in data breaches; choose another")
	}
	return nil
}

func (b *Breached) inRange(hash string) (bool, error) {
	var f *os.File
	var err error
	for _, name := range []string{hash[:5] + ".txt", hash[:5], strings.ToLower(hash[:5]) + ".txt"} {
		if f, err = os.Open(filepath.Join(b.path, name)); err == nil {
			break
		}
	}
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("breached password list: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.EqualFold(lineHash(sc.Text()), hash[5:]) {
			return true, nil
		}
	}
	return false, wrapList(sc.Err())
}

// inSorted binary-searches the sorted file by byte offset for the least
// offset whose next line (the first starting after it; at 0 the first
// line) is not below hash: those lines only grow with the offset.
func (b *Breached) inSorted(hash string) (bool, error) {
	f, err := os.Open(b.path)
	if err != nil {
		return false, fmt.Errorf("breached password list: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, wrapList(err)
	}
	lo, hi := int64(0), fi.Size()
	for lo < hi {
		mid := lo + (hi-lo)/2
		line, err := lineAfter(f, mid, mid == 0)
		if err != nil {
			return false, err
		}
		if line == "" { // past the last line start
			hi = mid
			continue
		}
		switch c := strings.Compare(strings.ToUpper(lineHash(line)), hash); {
		case c == 0:
			return true, nil
		case c < 0:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	// lo is the least offset whose following line is >= hash.
	line, err := lineAfter(f, lo, lo == 0)
	if err != nil {
		return false, err
	}
	return strings.EqualFold(lineHash(line), hash), nil
}

// lineAfter returns the first line that starts after offset (at it, when
// atStart), or "" at the end of the file.
func lineAfter(f *os.File, offset int64, atStart bool) (string, error) {
	r := bufio.NewReader(io.NewSectionReader(f, offset, 1<<62))
	if !atStart {
		if _, err := r.ReadSlice('\n'); err != nil {
			return "", ignoreEOF(err)
		}
	}
	line, err := r.ReadSlice('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", wrapList(err)
	}
	return string(bytes.TrimSpace(line)), nil
}

// lineHash is the hash part of "HASH:COUNT".
func lineHash(line string) string {
	h, _, _ := strings.Cut(strings.TrimSpace(line), ":")
	return h
}

func ignoreEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return nil
	}
	return wrapList(err)
}

func wrapList(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("breached password list: %w", err)
}
