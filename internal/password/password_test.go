package password

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCheckRefusesTheIssueExamples(t *testing.T) {
	for _, pw := range []string{"aaaaaaaaaaaa", "password1234", "Password1234!", "qwertyuiop12", "abcabcabcabc",
		"sunshinelove", "123456789012", "passwordpassword"} {
		var perr *Error
		if err := Check(pw); !errors.As(err, &perr) {
			t.Errorf("Check(%q) = %v, want a refusal", pw, err)
		} else if strings.Contains(perr.Message, pw) {
			t.Errorf("message repeats the password: %q", perr.Message)
		}
	}
}

func TestCheckAcceptsGoodPasswords(t *testing.T) {
	for _, pw := range []string{"correct horse battery", "correct horse battery staple", "xK9#mP2$vL7q",
		"another long passphrase", "wrong password!", "Grüße aus Köln am Rhein"} {
		if err := Check(pw); err != nil {
			t.Errorf("Check(%q) = %v", pw, err)
		}
	}
}

func TestCheckLength(t *testing.T) {
	// Runes, not bytes: eleven two-byte characters are too short.
	if err := Check(strings.Repeat("é", 11)); err == nil || !strings.Contains(err.Error(), "at least 12") {
		t.Errorf("11 runes: %v", err)
	}
	if err := Check(strings.Repeat("xK9#mP2$vL7q", 22)); err == nil || !strings.Contains(err.Error(), "at most 256") {
		t.Errorf("264 characters: %v", err)
	}
}

// TestNoCompositionRules: lower-case letters and spaces alone are fine.
func TestNoCompositionRules(t *testing.T) {
	if err := Check("purple elephants juggle quietly"); err != nil {
		t.Error(err)
	}
}

func TestCommonList(t *testing.T) {
	if len(common()) < 9900 {
		t.Fatalf("common list has %d entries", len(common()))
	}
	if !IsCommon("PASSWORD") || common()["123456"] != 1 {
		t.Error("common list lookup")
	}
	// Long entries of the list are refused as they are.
	for w := range common() {
		if len([]rune(w)) >= MinLen {
			if err := Check(w); err == nil {
				t.Errorf("common password %q accepted", w)
			}
		}
	}
}

func TestUserInputsLowerStrength(t *testing.T) {
	pw := "zyrkovatlin-mborsk"
	if err := Check(pw); err != nil {
		t.Fatal(err)
	}
	if err := Check(pw, "zyrkovatlin@example.org", "Mborsk Zyrkovatlin"); err == nil {
		t.Error("a password made of the person's own name was accepted")
	}
}

func sha1Hex(pw string) string {
	s := sha1.Sum([]byte(pw))
	return strings.ToUpper(hex.EncodeToString(s[:]))
}

func TestBreachedSortedFile(t *testing.T) {
	var lines []string
	for i := range 500 {
		lines = append(lines, sha1Hex(fmt.Sprintf("breached-%d", i)))
	}
	slices.Sort(lines)
	path := filepath.Join(t.TempDir(), "pwned.txt")
	var b strings.Builder
	for i, l := range lines {
		fmt.Fprintf(&b, "%s:%d\r\n", l, i+1)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	list, err := OpenBreached(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		if found, err := list.Contains(fmt.Sprintf("breached-%d", i)); err != nil || !found {
			t.Fatalf("breached-%d: %v, %v", i, found, err)
		}
	}
	for i := range 200 {
		if found, err := list.Contains(fmt.Sprintf("clean-%d", i)); err != nil || found {
			t.Fatalf("clean-%d: %v, %v", i, found, err)
		}
	}
	if err := list.Check("breached-7"); err == nil {
		t.Error("Check accepted a breached password")
	}
}

func TestBreachedRangeDirectory(t *testing.T) {
	dir := t.TempDir()
	h := sha1Hex("hunter2 but longer")
	if err := os.WriteFile(filepath.Join(dir, h[:5]+".txt"), []byte("0000000000000000000000000000000000A:1\n"+h[5:]+":42\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	list, err := OpenBreached(dir)
	if err != nil {
		t.Fatal(err)
	}
	if found, err := list.Contains("hunter2 but longer"); err != nil || !found {
		t.Errorf("listed password: %v, %v", found, err)
	}
	if found, err := list.Contains("something else entirely"); err != nil || found {
		t.Errorf("unlisted password: %v, %v", found, err)
	}
}

func TestOpenBreachedMissing(t *testing.T) {
	if _, err := OpenBreached(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("a missing list opened")
	}
}
