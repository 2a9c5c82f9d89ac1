package x11

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
)

// Rect is a rectangle of the X screen in pixels: the shared screen's
// bounds on a desktop of several monitors.
type Rect struct{ X, Y, W, H int }

// String spells r as X geometry does, WxH+X+Y.
func (r Rect) String() string { return fmt.Sprintf("%dx%d+%d+%d", r.W, r.H, r.X, r.Y) }

var geometryRE = regexp.MustCompile(`^(\d{1,5})x(\d{1,5})\+(\d{1,5})\+(\d{1,5})$`)

// ParseBounds reads WxH+X+Y (1920x1080+1920+0: the second monitor of two).
func ParseBounds(s string) (Rect, error) {
	m := geometryRE.FindStringSubmatch(s)
	if m == nil {
		return Rect{}, fmt.Errorf("x11: bounds %q: want WIDTHxHEIGHT+X+Y, like 1920x1080+0+0", s)
	}
	var n [4]int
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1]) // the pattern allows digits only
	}
	r := Rect{W: n[0], H: n[1], X: n[2], Y: n[3]}
	if r.W == 0 || r.H == 0 {
		return Rect{}, fmt.Errorf("x11: bounds %q: empty", s)
	}
	return r, nil
}

// inside reports whether r lies within outer.
func (r Rect) inside(outer Rect) bool {
	return r.W > 0 && r.H > 0 && r.X >= outer.X && r.Y >= outer.Y &&
		r.X+r.W <= outer.X+outer.W && r.Y+r.H <= outer.Y+outer.H
}

// Point maps fractions of r (an Event's X and Y, 0 to 1) to a pixel
// inside r: 0 is the first pixel, 1 the last, and anything beyond is
// clamped, so no event lands outside the shared screen.
func (r Rect) Point(x, y float64) (px, py int) {
	return r.X + scale(x, r.W), r.Y + scale(y, r.H)
}

func scale(f float64, size int) int {
	switch {
	case !(f > 0): // also NaN
		return 0
	case f >= 1:
		return size - 1
	}
	return int(math.Round(f * float64(size-1)))
}
