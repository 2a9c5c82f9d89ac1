package x11

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/jezek/xgb/xproto"
)

// BannerName is the banner window's WM_NAME, by which tests and the
// sharer's tools can find it.
const BannerName = "Conclave remote control"

// bannerFont is a core X font every X server has built in.
const bannerFont = "fixed"

// maxNameRunes bounds the controller's name on the banner, so that the
// stop key's hint always fits.
const maxNameRunes = 40

// banner is an override-redirect window across the top of the shared
// screen: no window manager moves, hides or decorates it, and it is in the
// shared screen's picture too, so everyone in the meeting sees it.
type banner struct {
	d      *Desktop
	win    xproto.Window
	gc     xproto.Gcontext
	font   xproto.Font
	text   string
	ascent int16
}

// BannerText is what the banner says while controller is in control.
func BannerText(controller string) string {
	return "Being controlled by " + latin1(controller) + " - press Ctrl+Alt+Esc to stop"
}

// latin1 makes name drawable with a core font (ISO 8859-1, one byte a
// character): other characters become '?', control characters are
// dropped, and long names are cut.
func latin1(name string) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.TrimSpace(name) {
		switch {
		case n == maxNameRunes:
			return b.String() + "..."
		case unicode.IsControl(r):
			continue
		case r < 0x100:
			b.WriteByte(byte(r))
		default:
			b.WriteByte('?')
		}
		n++
	}
	if b.Len() == 0 {
		return "someone"
	}
	return b.String()
}

// Banner shows who is in control, replacing any banner shown before.
func (d *Desktop) Banner(controller string) error {
	d.ClearBanner()
	b, err := d.newBanner(BannerText(controller))
	if err != nil {
		return err
	}
	d.bannerMu.Lock()
	d.banner = b
	d.bannerMu.Unlock()
	return nil
}

// ClearBanner removes the banner, if one is shown, and waits until the X
// server has taken it down.
func (d *Desktop) ClearBanner() {
	d.bannerMu.Lock()
	b := d.banner
	d.banner = nil
	d.bannerMu.Unlock()
	if b == nil {
		return
	}
	if err := xproto.DestroyWindowChecked(d.conn, b.win).Check(); err != nil {
		d.log.Warn("could not remove the banner", "err", err)
	}
	xproto.FreeGC(d.conn, b.gc)
	xproto.CloseFont(d.conn, b.font)
}

func (d *Desktop) withBanner(f func(*banner)) {
	d.bannerMu.Lock()
	defer d.bannerMu.Unlock()
	if d.banner != nil {
		f(d.banner)
	}
}

func (d *Desktop) newBanner(text string) (*banner, error) {
	b := &banner{d: d, text: text}
	ids, err := d.newIDs(3)
	if err != nil {
		return nil, err
	}
	b.win, b.gc, b.font = xproto.Window(ids[0]), xproto.Gcontext(ids[1]), xproto.Font(ids[2])
	if err := xproto.OpenFontChecked(d.conn, b.font, uint16(len(bannerFont)), bannerFont).Check(); err != nil {
		return nil, fmt.Errorf("x11: open the banner's font: %w", err)
	}
	f, err := xproto.QueryFont(d.conn, xproto.Fontable(b.font)).Reply()
	if err != nil {
		xproto.CloseFont(d.conn, b.font)
		return nil, fmt.Errorf("x11: read the banner's font: %w", err)
	}
	b.ascent = f.FontAscent
	if err := b.create(int(f.FontAscent + f.FontDescent)); err != nil {
		xproto.CloseFont(d.conn, b.font)
		return nil, err
	}
	return b, nil
}

func (d *Desktop) newIDs(n int) ([]uint32, error) {
	ids := make([]uint32, n)
	for i := range ids {
		id, err := d.conn.NewId()
		if err != nil {
			return nil, fmt.Errorf("x11: %w", err)
		}
		ids[i] = id
	}
	return ids, nil
}

// bannerPad is the space around the text, in pixels.
const bannerPad = 4

// create makes, names and maps the window, on top of every other.
func (b *banner) create(textHeight int) error {
	d := b.d
	bg, fg := b.colours()
	r := d.bounds
	height := uint16(textHeight + 2*bannerPad)
	err := xproto.CreateWindowChecked(d.conn, 0, b.win, d.root, int16(r.X), int16(r.Y), uint16(r.W), height, 0,
		xproto.WindowClassInputOutput, 0,
		xproto.CwBackPixel|xproto.CwOverrideRedirect|xproto.CwEventMask,
		[]uint32{bg, 1, xproto.EventMaskExposure | xproto.EventMaskVisibilityChange}).Check()
	if err != nil {
		return fmt.Errorf("x11: create the banner: %w", err)
	}
	xproto.ChangeProperty(d.conn, xproto.PropModeReplace, b.win, xproto.AtomWmName, xproto.AtomString,
		8, uint32(len(BannerName)), []byte(BannerName))
	xproto.CreateGC(d.conn, b.gc, xproto.Drawable(b.win), xproto.GcForeground|xproto.GcBackground|xproto.GcFont,
		[]uint32{fg, bg, uint32(b.font)})
	if err := xproto.MapWindowChecked(d.conn, b.win).Check(); err != nil {
		xproto.DestroyWindow(d.conn, b.win)
		return fmt.Errorf("x11: show the banner: %w", err)
	}
	b.raise(b.win)
	return nil
}

// colours are white on dark red where the colour map allows, else white
// on black.
func (b *banner) colours() (bg, fg uint32) {
	s := b.d.screen
	bg, fg = s.BlackPixel, s.WhitePixel
	c, err := xproto.AllocColor(b.d.conn, s.DefaultColormap, 0xb000, 0x1000, 0x2000).Reply()
	if err == nil {
		bg = c.Pixel
	}
	return bg, fg
}

// redraw draws the text when the X server asks (the window was exposed).
func (b *banner) redraw(w xproto.Window) {
	if w != b.win {
		return
	}
	xproto.ImageText8(b.d.conn, byte(len(b.text)), xproto.Drawable(b.win), b.gc,
		bannerPad*2, bannerPad+b.ascent, b.text)
}

// raise puts the banner back on top when another window covers it.
func (b *banner) raise(w xproto.Window) {
	if w != b.win {
		return
	}
	xproto.ConfigureWindow(b.d.conn, b.win, xproto.ConfigWindowStackMode, []uint32{xproto.StackModeAbove})
}
