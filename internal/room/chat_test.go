package room

import (
	"errors"
	"testing"
)

// sendChat sends text to the participants in to (none: everyone) as the
// signal package does: prepare, store (here: nothing), deliver.
func sendChat(mb *Member, text string, to ...string) error {
	m, err := mb.PrepareChat(to, text)
	if err != nil {
		return err
	}
	mb.DeliverChat(m, true)
	return nil
}

// admittedGuest joins name into a guarded meeting and has h admit them.
func admittedGuest(t *testing.T, m *Manager, h *Member, name string) *Member {
	t.Helper()
	g, _ := join(t, m, "m", name, "", guarded)
	if _, err := h.Admit(g.ID(), false); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestChatReachesOnlyItsRecipients(t *testing.T) {
	m := newManager(t, 0)
	h, rh := join(t, m, "m", "Hana", "u_host", hosted)
	g, rg := join(t, m, "m", "Gus", "", hosted)
	x, rx := join(t, m, "m", "Xi", "", hosted)
	_, ry := join(t, m, "m", "Yu", "", hosted)
	if err := sendChat(g, "private", h.ID()); err != nil {
		t.Fatal(err)
	}
	if !rh.has("chat private") || !rg.has("chat private") || rx.has("chat private") || ry.has("chat private") {
		t.Fatal("private message went to the wrong people")
	}
	if err := sendChat(g, "group", h.ID(), x.ID()); err != nil {
		t.Fatal(err)
	}
	if !rh.has("chat group") || !rx.has("chat group") || !rg.has("chat group") || ry.has("chat group") {
		t.Fatal("group message went to the wrong people")
	}
	if err := sendChat(g, "all"); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*recorder{rh, rg, rx, ry} {
		if !r.has("chat all") {
			t.Fatal("message to everyone missed someone")
		}
	}
}

func TestChatRefusals(t *testing.T) {
	m := newManager(t, 0)
	h, _ := join(t, m, "m", "Hana", "u_host", guarded)
	g := admittedGuest(t, m, h, "Gus")
	w, rw := join(t, m, "m", "Wai", "", guarded) // stays waiting
	other, _ := join(t, m, "other", "Otto", "", open)
	cases := []struct {
		name string
		from *Member
		to   []string
		text string
		want error
	}{
		{"empty", g, nil, " \n", ErrChatText},
		{"too long", g, nil, string(make([]rune, MaxChatLen+1)), ErrChatText},
		{"to someone waiting", g, []string{w.ID()}, "psst", ErrNotFound},
		{"to another meeting", g, []string{other.ID()}, "psst", ErrNotFound},
		{"to nobody but oneself", g, []string{g.ID()}, "me", ErrChatRecipients},
		{"someone twice", g, []string{h.ID(), h.ID()}, "hi", ErrChatRecipients},
		{"from the waiting room", w, nil, "let me in", ErrForbidden},
	}
	for _, c := range cases {
		if _, err := c.from.PrepareChat(c.to, c.text); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if rw.has("chat let me in") {
		t.Fatal("the waiting room saw chat")
	}
}

func TestChatSettings(t *testing.T) {
	m := newManager(t, 0)
	h, _ := join(t, m, "m", "Hana", "u_host", hosted)
	g, _ := join(t, m, "m", "Gus", "", hosted)
	p, _ := join(t, m, "m", "Pia", "", hosted)
	if err := h.SetRole(p.ID(), "presenter"); err != nil {
		t.Fatal(err)
	}
	off, on := false, true
	steps := []struct {
		change      SettingsChange
		guest, pres error // to everyone
		guestDM     error // privately to the host
	}{
		{SettingsChange{}, nil, nil, nil},
		{SettingsChange{PrivateChat: &off}, nil, nil, ErrForbidden},
		{SettingsChange{PrivateChat: &on, ChatWriters: ChatWritersPresenters}, ErrForbidden, nil, ErrForbidden},
		{SettingsChange{Chat: &off, ChatWriters: ChatWritersEveryone}, ErrForbidden, ErrForbidden, ErrForbidden},
	}
	for i, s := range steps {
		if err := h.UpdateSettings(s.change); err != nil {
			t.Fatal(err)
		}
		if err := sendChat(g, "hi"); !errors.Is(err, s.guest) {
			t.Errorf("step %d: guest to everyone: %v, want %v", i, err, s.guest)
		}
		if err := sendChat(p, "hi"); !errors.Is(err, s.pres) {
			t.Errorf("step %d: presenter to everyone: %v, want %v", i, err, s.pres)
		}
		if err := sendChat(g, "hi", h.ID()); !errors.Is(err, s.guestDM) {
			t.Errorf("step %d: guest privately: %v, want %v", i, err, s.guestDM)
		}
		if err := sendChat(h, "host may", g.ID()); err != nil {
			t.Errorf("step %d: the host was refused: %v", i, err)
		}
	}
}

// TestChatOrder: messages reach everyone in the order they were sent,
// even when the second one is stored first; one that could not be stored
// is dropped without holding up the rest.
func TestChatOrder(t *testing.T) {
	m := newManager(t, 0)
	a, ra := join(t, m, "m", "Ada", "", open)
	first, _ := a.PrepareChat(nil, "first")
	second, _ := a.PrepareChat(nil, "second")
	lost, _ := a.PrepareChat(nil, "lost")
	fourth, _ := a.PrepareChat(nil, "fourth")
	a.DeliverChat(second, true)
	a.DeliverChat(fourth, true)
	if ra.has("chat second") {
		t.Fatal("delivered before an earlier message")
	}
	a.DeliverChat(first, true)
	a.DeliverChat(lost, false)
	var got []string
	for _, l := range ra.lines() {
		if len(l) > 5 && l[:5] == "chat " {
			got = append(got, l[5:])
		}
	}
	if len(got) != 3 || got[0] != "first" || got[1] != "second" || got[2] != "fourth" {
		t.Fatalf("delivered %v", got)
	}
}

func TestChatDelete(t *testing.T) {
	m := newManager(t, 0)
	h, rh := join(t, m, "m", "Hana", "u_host", hosted)
	g, rg := join(t, m, "m", "Gus", "", hosted)
	if err := g.ChatDeleted("c_x"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a guest deleted: %v", err)
	}
	if err := h.ChatDeleted("c_x"); err != nil {
		t.Fatal(err)
	}
	if !rh.has("chat deleted c_x") || !rg.has("chat deleted c_x") {
		t.Fatal("deletion not announced")
	}
}
