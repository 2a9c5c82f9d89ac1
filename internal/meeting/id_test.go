package meeting

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

var idRE = regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$`)

func TestNewIDFormatAndUniqueness(t *testing.T) {
	seen := map[string]bool{}
	counts := map[rune]int{}
	for range 5000 {
		id := NewID()
		if !idRE.MatchString(id) {
			t.Fatalf("id %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate %q", id)
		}
		seen[id] = true
		for _, r := range strings.ReplaceAll(id, "-", "") {
			counts[r]++
		}
		if n, err := NormalizeID(id); err != nil || n != id {
			t.Fatalf("NormalizeID(NewID()) = %q, %v", n, err)
		}
	}
	// Every symbol should appear: a crude check that all 5 bits are used.
	if len(counts) != 32 {
		t.Fatalf("only %d distinct symbols used", len(counts))
	}
}

func TestNewPasscode(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{12}$`)
	a, b := NewPasscode(), NewPasscode()
	if !re.MatchString(a) || !re.MatchString(b) || a == b {
		t.Fatalf("passcodes %q %q", a, b)
	}
	if NormalizePasscode(a) != a {
		t.Fatal("a fresh passcode must already be canonical")
	}
}

func TestNormalizeID(t *testing.T) {
	good := map[string]string{
		"k3m9-x2qa-7hvt-p4dz":  "k3m9-x2qa-7hvt-p4dz",
		"K3M9-X2QA-7HVT-P4DZ":  "k3m9-x2qa-7hvt-p4dz",
		"k3m9x2qa7hvtp4dz":     "k3m9-x2qa-7hvt-p4dz",
		"k3m9-x2qa7hvt-p4dz":   "k3m9-x2qa-7hvt-p4dz",
		"k3m9--x2qa-7hvt-p4dz": "k3m9-x2qa-7hvt-p4dz",
		"kIm9-xLqa-7hvt-p4Oz":  "k1m9-x1qa-7hvt-p40z",
		"ilo0-0000-0000-0000":  "1100-0000-0000-0000",
	}
	for in, want := range good {
		if got, err := NormalizeID(in); err != nil || got != want {
			t.Errorf("NormalizeID(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{
		"", "k3m9-x2qa-7hvt", "k3m9-x2qa-7hvt-p4dzz", "k3m9-x2qa-7hvt-p4du", // u is not Crockford
		"k3m9 x2qa 7hvt p4dz", "k3m9-x2qa-7hvt-p4d!", "../../etc/passwd", "k3m9-x2qa-7hvt-p4dé",
	}
	for _, in := range bad {
		if got, err := NormalizeID(in); !errors.Is(err, ErrBadID) {
			t.Errorf("NormalizeID(%q) = %q, %v; want ErrBadID", in, got, err)
		}
	}
}

func TestNormalizePasscode(t *testing.T) {
	cases := map[string]string{
		"7hvtp4dzk3m9":     "7hvtp4dzk3m9",
		"7HVT-P4DZ-K3M9":   "7hvtp4dzk3m9",
		" 7hvt p4dz k3m9 ": "7hvtp4dzk3m9",
		"7hvtp4dzk3mI":     "7hvtp4dzk3m1",
		"oooo":             "0000",
		"not?valid":        "not?valid",
	}
	for in, want := range cases {
		if got := NormalizePasscode(in); got != want {
			t.Errorf("NormalizePasscode(%q) = %q, want %q", in, got, want)
		}
	}
}
