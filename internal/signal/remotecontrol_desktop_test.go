package signal_test

import (
	"context"
	"crypto/rand"
	"io"
	stdlog "log"
	"log/slog"
	"slices"
	"testing"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/remotecontrol"
	"github.com/conclave-meet/conclave/internal/remotecontrol/agent"
	"github.com/conclave-meet/conclave/internal/remotecontrol/x11"
	"github.com/conclave-meet/conclave/internal/remotecontrol/x11/xvfbtest"
	"github.com/conclave-meet/conclave/internal/testlog"
)

// The whole input path, joined: the real server's relay, the real agent
// loop (what `conclave agent` runs) and its X11 injector on a virtual X
// server, observed by an X client of the test's own.

// xgb's logger is global and read by every connection's goroutines: set
// once, before any test, as `conclave agent` does.
func init() { xgb.Logger = stdlog.New(io.Discard, "", 0) }

// desktopAgent runs the agent for pairing code on a fresh Xvfb; the
// returned channel gives its end cause once it stops.
func desktopAgent(t *testing.T, server string, code remotecontrol.PairingCode) (*xvfbtest.Client, <-chan string) {
	t.Helper()
	display := xvfbtest.Start(t)
	client := xvfbtest.Connect(t, display)
	log := slog.New(slog.NewTextHandler(&testlog.Buffer{}, nil))
	desk, err := x11.Open(x11.Options{Display: display, Logger: log})
	if err != nil {
		t.Fatalf("x11: %v", err)
	}
	t.Cleanup(func() { desk.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	ended, done := make(chan string, 1), make(chan struct{})
	go func() {
		defer close(done)
		cause, err := agent.Run(ctx, agent.Config{Server: server, Code: code, Injector: desk, Logger: log})
		if err != nil {
			cause = "error: " + err.Error()
		}
		ended <- cause
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return client, ended
}

func keyUp(seq uint64, k string, mods ...string) remotecontrol.Frame {
	return remotecontrol.Frame{Event: remotecontrol.Event{Seq: seq, Kind: remotecontrol.KeyUp, Key: k, Mods: mods}}
}

// waitConnected waits until r hears that the agent paired.
func waitConnected(t *testing.T, r *raw) {
	t.Helper()
	for !nextControl(t, r).AgentConnected {
	}
}

// TestRemoteControlOnADesktop: nothing reaches the desktop before the
// grant's input arrives; the controller's pointer moves and typing do,
// a refused combination does not; after the host revokes, the agent
// exits with the cause, the banner goes, and later input reaches nothing.
func TestRemoteControlOnADesktop(t *testing.T) {
	c := startCtl(t, ctlOrg, false)
	p := c.party(t)
	ctl, shr := c.granted(t, p, false)
	code, err := remotecontrol.ParsePairingCode(shr.AgentCode)
	if err != nil {
		t.Fatal(err)
	}
	x, ended := desktopAgent(t, c.URL, code)
	waitConnected(t, p.sharer)
	eventually.True(t, "the banner naming the controller", func() bool { return len(x.Windows(x11.BannerName)) == 1 })
	if in := x.Inputs(); len(in) != 0 {
		t.Fatalf("input reached the desktop before the controller sent any: %+v", in)
	}

	in := c.dialInput(t, ctl.Grant, ctl.Token)
	for _, f := range []remotecontrol.Frame{
		move(1, 0.5, 0.25),
		key(2, "Delete", "Ctrl", "Alt"), // refused by the relay: never typed
		key(3, "KeyH"), keyUp(4, "KeyH"),
		key(5, "KeyI"), keyUp(6, "KeyI"),
	} {
		writeMsg(t, in.ws, f)
	}
	eventually.True(t, "typing on the desktop", func() bool { return len(x.Pressed()) >= 2 })
	if got, want := x.Pressed(), []xproto.Keysym{'h', 'i'}; !slices.Equal(got, want) {
		t.Fatalf("the desktop got keys %#x, want %#x", got, want)
	}
	if px, py, _ := x.Pointer(); px != xvfbtest.Width/2 || py != xvfbtest.Height/4 {
		t.Fatalf("pointer at (%d, %d), want (%d, %d)", px, py, xvfbtest.Width/2, xvfbtest.Height/4)
	}

	if got := p.host.outcome("control_stop", map[string]string{"grant": ctl.Grant}); got != "ok" {
		t.Fatalf("host revokes: %s", got)
	}
	if cause := <-ended; cause != remotecontrol.CauseRevoked {
		t.Fatalf("the agent ended with %q, want %q", cause, remotecontrol.CauseRevoked)
	}
	eventually.True(t, "the banner gone", func() bool { return len(x.Windows(x11.BannerName)) == 0 })
	in.closedWith(t, "control has ended")
	// The old token opens nothing, so nothing more can reach the desktop.
	late := c.dialInput(t, ctl.Grant, ctl.Token)
	_ = tryWrite(late.ws, move(7, 0.9, 0.9))
	late.closedWith(t, "no such grant")
	if px, py, _ := x.Pointer(); px != xvfbtest.Width/2 || py != xvfbtest.Height/4 {
		t.Fatalf("the pointer moved after revocation: (%d, %d)", px, py)
	}
	if got := x.Pressed(); len(got) != 2 {
		t.Fatalf("keys after revocation: %#x", got)
	}
}

// TestRemoteControlOnADesktopE2EE: in an encrypted meeting the pairing
// code carries the grant key; the agent injects events sealed with it and
// nothing else, and the relay passes only sealed frames.
func TestRemoteControlOnADesktopE2EE(t *testing.T) {
	c := startCtl(t, ctlOrg, true)
	p := c.party(t)
	ctl, shr := c.granted(t, p, false)
	key := make([]byte, remotecontrol.KeySize)
	rand.Read(key)
	x, ended := desktopAgent(t, c.URL, remotecontrol.PairingCode{Server: shr.AgentCode, Key: key})
	waitConnected(t, p.sharer)

	in := c.dialInput(t, ctl.Grant, ctl.Token)
	wrong := make([]byte, remotecontrol.KeySize)
	rand.Read(wrong)
	seal := func(k []byte, e remotecontrol.Event) remotecontrol.Frame {
		f, err := remotecontrol.Seal(k, ctl.Grant, e)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	writeMsg(t, in.ws, seal(key, remotecontrol.Event{Seq: 1, Kind: remotecontrol.KeyDown, Key: "KeyX"}))
	writeMsg(t, in.ws, seal(key, remotecontrol.Event{Seq: 2, Kind: remotecontrol.KeyUp, Key: "KeyX"}))
	eventually.True(t, "the sealed key typed", func() bool { return len(x.Pressed()) == 1 })
	if got := x.Pressed(); got[0] != 'x' {
		t.Fatalf("typed %#x, want x", got)
	}
	// A frame sealed with another key cannot be opened: refused, and the
	// agent goes on with the next good one.
	writeMsg(t, in.ws, seal(wrong, remotecontrol.Event{Seq: 3, Kind: remotecontrol.KeyDown, Key: "KeyA"}))
	writeMsg(t, in.ws, seal(key, remotecontrol.Event{Seq: 4, Kind: remotecontrol.KeyDown, Key: "KeyY"}))
	writeMsg(t, in.ws, seal(key, remotecontrol.Event{Seq: 5, Kind: remotecontrol.KeyUp, Key: "KeyY"}))
	eventually.True(t, "the next sealed key typed", func() bool { return len(x.Pressed()) >= 2 })
	if got, want := x.Pressed(), []xproto.Keysym{'x', 'y'}; !slices.Equal(got, want) {
		t.Fatalf("typed %#x, want %#x", got, want)
	}
	if got := p.sharer.outcome("control_stop", map[string]string{"grant": ctl.Grant}); got != "ok" {
		t.Fatalf("sharer stops: %s", got)
	}
	if cause := <-ended; cause != remotecontrol.CauseStopped {
		t.Fatalf("the agent ended with %q, want %q", cause, remotecontrol.CauseStopped)
	}
}
