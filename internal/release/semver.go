package release

import (
	"strconv"
	"strings"
)

// Version is a parsed semantic version (semver.org 2.0.0). Build metadata
// ("+dirty") is kept for display but, as the specification says, takes no
// part in ordering.
type Version struct {
	Major, Minor, Patch uint64
	Pre                 []string // dot-separated pre-release identifiers; nil for a release
	Build               string   // after "+"; ignored by Compare
}

// ParseVersion reads "1.4.0", "v1.4.0", "1.5.0-rc.1" or a Go pseudo-version
// such as "v1.4.1-0.20261130101500-0123456789ab+dirty" (a pre-release of
// 1.4.1, as Go orders it too). Anything else, such as "devel", is not a
// version: ok is false and the build cannot be compared with a release.
func ParseVersion(s string) (v Version, ok bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	s, build, hasBuild := strings.Cut(s, "+")
	v.Build = build
	core, pre, hasPre := strings.Cut(s, "-")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return Version{}, false
	}
	nums := [3]*uint64{&v.Major, &v.Minor, &v.Patch}
	for i, p := range parts {
		n, ok := numeric(p)
		if !ok {
			return Version{}, false
		}
		*nums[i] = n
	}
	if hasPre {
		v.Pre = strings.Split(pre, ".")
		for _, id := range v.Pre {
			if id == "" || !identifier(id) {
				return Version{}, false
			}
			if _, ok := numeric(id); !ok && isDigits(id) {
				return Version{}, false // a leading zero: "01"
			}
		}
	}
	if hasBuild {
		for _, id := range strings.Split(v.Build, ".") {
			if id == "" || !identifier(id) {
				return Version{}, false
			}
		}
	}
	return v, true
}

// numeric parses a numeric identifier: digits without a leading zero.
func numeric(s string) (uint64, bool) {
	if s == "" || !isDigits(s) || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// identifier reports whether s uses only [0-9A-Za-z-].
func identifier(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// IsPrerelease reports whether v is a pre-release (1.5.0-rc.1).
func (v Version) IsPrerelease() bool { return len(v.Pre) > 0 }

// String writes v without a leading "v".
func (v Version) String() string {
	s := strconv.FormatUint(v.Major, 10) + "." + strconv.FormatUint(v.Minor, 10) + "." + strconv.FormatUint(v.Patch, 10)
	if len(v.Pre) > 0 {
		s += "-" + strings.Join(v.Pre, ".")
	}
	if v.Build != "" {
		s += "+" + v.Build
	}
	return s
}

// Compare returns -1, 0 or +1 as v is older than, the same as or newer
// than w, by semver precedence: numbers, then a pre-release before its
// release, pre-release identifiers one by one (numbers numerically and
// before words), a shorter list before a longer one it begins.
func (v Version) Compare(w Version) int {
	for _, d := range [][2]uint64{{v.Major, w.Major}, {v.Minor, w.Minor}, {v.Patch, w.Patch}} {
		if c := cmpUint(d[0], d[1]); c != 0 {
			return c
		}
	}
	switch {
	case len(v.Pre) == 0 && len(w.Pre) == 0:
		return 0
	case len(v.Pre) == 0:
		return 1
	case len(w.Pre) == 0:
		return -1
	}
	for i := 0; i < len(v.Pre) && i < len(w.Pre); i++ {
		if c := cmpIdentifier(v.Pre[i], w.Pre[i]); c != 0 {
			return c
		}
	}
	return cmpUint(uint64(len(v.Pre)), uint64(len(w.Pre)))
}

func cmpIdentifier(a, b string) int {
	na, aNum := numeric(a)
	nb, bNum := numeric(b)
	switch {
	case aNum && bNum:
		return cmpUint(na, nb)
	case aNum:
		return -1
	case bNum:
		return 1
	}
	return strings.Compare(a, b)
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
