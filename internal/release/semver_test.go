package release

import "testing"

func TestParseVersion(t *testing.T) {
	good := map[string]string{
		"1.4.0":         "1.4.0",
		"v1.4.0":        "1.4.0",
		" v0.0.1 ":      "0.0.1",
		"1.5.0-rc.1":    "1.5.0-rc.1",
		"1.0.0-alpha-b": "1.0.0-alpha-b",
		"1.4.0+dirty":   "1.4.0+dirty",
		"v1.4.1-0.20261130101500-0123456789ab+dirty": "1.4.1-0.20261130101500-0123456789ab+dirty",
		"10.20.30": "10.20.30",
	}
	for in, want := range good {
		v, ok := ParseVersion(in)
		if !ok || v.String() != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %s", in, v, ok, want)
		}
	}
	for _, in := range []string{"", "devel", "devel-0123456789ab", "(devel)", "unknown", "1.4", "1", "1.4.0.1",
		"01.4.0", "1.04.0", "1.4.0-", "1.4.0-rc..1", "1.4.0-01", "1.4.0+", "1.4.0-rc_1", "-1.4.0", "1.4.x", "vv1.4.0"} {
		if v, ok := ParseVersion(in); ok {
			t.Errorf("ParseVersion(%q) = %v, want not a version", in, v)
		}
	}
}

// TestCompare is semver.org's precedence example plus the cases Conclave
// meets: a "v", build metadata, pseudo-versions.
func TestCompare(t *testing.T) {
	ordered := []string{
		"0.9.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
		"1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "1.10.0",
		"1.10.1-0.20261130101500-0123456789ab", "1.10.1", "2.0.0",
	}
	for i, a := range ordered {
		va, ok := ParseVersion(a)
		if !ok {
			t.Fatalf("%q does not parse", a)
		}
		for j, b := range ordered {
			vb, _ := ParseVersion(b)
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := va.Compare(vb); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", a, b, got, want)
			}
		}
	}
	equal := [][2]string{{"v1.4.0", "1.4.0"}, {"1.4.0+dirty", "1.4.0"}, {"1.4.0+a", "1.4.0+b"}}
	for _, p := range equal {
		a, _ := ParseVersion(p[0])
		b, _ := ParseVersion(p[1])
		if a.Compare(b) != 0 {
			t.Errorf("%s and %s must compare equal", p[0], p[1])
		}
	}
}
