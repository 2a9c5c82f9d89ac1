package x11

import (
	"math"
	"strings"
	"testing"
)

func TestParseBounds(t *testing.T) {
	for in, want := range map[string]Rect{
		"1920x1080+0+0":    {W: 1920, H: 1080},
		"1920x1080+1920+0": {X: 1920, W: 1920, H: 1080},
		"800x600+10+20":    {X: 10, Y: 20, W: 800, H: 600},
	} {
		got, err := ParseBounds(in)
		if err != nil || got != want {
			t.Errorf("ParseBounds(%q) = %v, %v; want %v", in, got, err, want)
		}
		if got.String() != in {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
	for _, bad := range []string{"", "1920x1080", "0x10+0+0", "10x0+0+0", "1920x1080-10+0", "ax1+0+0", "999999x1+0+0"} {
		if r, err := ParseBounds(bad); err == nil {
			t.Errorf("ParseBounds(%q) = %v, want an error", bad, r)
		}
	}
}

func TestPointStaysInside(t *testing.T) {
	r := Rect{X: 100, Y: 50, W: 200, H: 100}
	for _, c := range []struct {
		fx, fy float64
		x, y   int
	}{
		{0, 0, 100, 50}, {1, 1, 299, 149}, {0.5, 0.5, 200, 100},
		{-1, 2, 100, 149}, {math.NaN(), math.Inf(1), 100, 149}, {math.Inf(-1), 0, 100, 50},
	} {
		if x, y := r.Point(c.fx, c.fy); x != c.x || y != c.y {
			t.Errorf("Point(%v, %v) = (%d, %d), want (%d, %d)", c.fx, c.fy, x, y, c.x, c.y)
		}
	}
}

func TestInside(t *testing.T) {
	screen := Rect{W: 1024, H: 768}
	if !(Rect{X: 512, Y: 384, W: 512, H: 384}).inside(screen) {
		t.Error("the bottom-right quarter is not inside")
	}
	for _, r := range []Rect{{X: 513, Y: 0, W: 512, H: 10}, {W: 0, H: 10}, {X: 0, Y: 700, W: 10, H: 100}} {
		if r.inside(screen) {
			t.Errorf("%v is inside %v", r, screen)
		}
	}
}

func TestBannerText(t *testing.T) {
	if got := BannerText("Ada Lovelace"); got != "Being controlled by Ada Lovelace - press Ctrl+Alt+Esc to stop" {
		t.Errorf("BannerText = %q", got)
	}
	for name, want := range map[string]string{
		"José":                   "Jos\xe9", // Latin-1, as the core font draws it
		"李雷":                     "??",
		"evil\x1b[2Jname\n":      "evil[2Jname",
		"   ":                    "someone",
		strings.Repeat("x", 100): strings.Repeat("x", maxNameRunes) + "...",
	} {
		if got := latin1(name); got != want {
			t.Errorf("latin1(%q) = %q, want %q", name, got, want)
		}
	}
	if n := len(BannerText(strings.Repeat("é", 500))); n > 255 {
		t.Errorf("banner text of %d bytes, ImageText8 takes 255", n)
	}
}
