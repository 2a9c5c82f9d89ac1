package browser

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestMediaDetails checks what the person cannot see but the product
// promises: the camera goes out as two simulcast layers, RTCP reports flow
// both ways, ICE restarts recover without rejoining, the controls work from
// the keyboard, and the server binds nothing but loopback.
func TestMediaDetails(t *testing.T) {
	srv := startServer(t)
	browser := newBrowser(t)
	ada := join(t, browser, srv, "Ada", devices{camera: true, mic: true})
	bob := join(t, browser, srv, "Bob", devices{camera: true, mic: true})
	adaID := ada.id()
	bob.waitVideoFrom(adaID, "camera", 20*time.Second)

	t.Run("camera is sent as two simulcast layers", func(t *testing.T) {
		ada.waitFor("two layers encoding", `(async () => {
			const st = await window.conclave.pcs().publish.getStats();
			let layers = 0;
			st.forEach(r => { if (r.type === 'outbound-rtp' && r.kind === 'video' && r.rid && r.framesEncoded > 0) layers++; });
			return layers >= 2;
		})()`, 15*time.Second)
	})

	t.Run("RTCP reports flow both ways", func(t *testing.T) {
		// Receiver reports from the server about Ada's uplink, and sender
		// reports from the server on Bob's downlink.
		ada.waitFor("receiver reports", `(async () => {
			let n = 0; (await window.conclave.pcs().publish.getStats()).forEach(r => { if (r.type === 'remote-inbound-rtp') n++; });
			return n > 0;
		})()`, 15*time.Second)
		bob.waitFor("sender reports", `(async () => {
			let n = 0; (await window.conclave.pcs().subscribe.getStats()).forEach(r => { if (r.type === 'remote-outbound-rtp') n++; });
			return n > 0;
		})()`, 15*time.Second)
	})

	t.Run("ICE restart keeps the participant and the media", func(t *testing.T) {
		bobID := bob.id()
		before := bob.videoFrames()[adaID+"/camera"]
		for _, pc := range []string{"publish", "subscribe"} {
			if !eval[bool](bob, `window.conclave.restartIce("`+pc+`")`) {
				t.Fatalf("restartIce(%s) refused", pc)
			}
		}
		bob.waitFor("both restarts counted", `(() => { const r = window.conclave.state().iceRestarts; return r.publish >= 1 && r.subscribe >= 1 })()`, 10*time.Second)
		bob.waitFor("connected again", `(() => { const s = window.conclave.state().ice; return ["connected","completed"].includes(s.publish) && ["connected","completed"].includes(s.subscribe) })()`, 15*time.Second)
		bob.waitFor("more frames", `(() => { const v = document.querySelector('[data-participant-id="`+adaID+`"][data-source="camera"] video'); return v && v.getVideoPlaybackQuality().totalVideoFrames > `+strconv.Itoa(before+10)+` })()`, 15*time.Second)
		ada.waitVideoFrom(bobID, "camera", 15*time.Second)
		if bob.id() != bobID {
			t.Fatal("Bob got a new participant ID: he rejoined instead of recovering")
		}
	})

	t.Run("controls work from the keyboard", func(t *testing.T) {
		focusBody := `(() => { document.activeElement && document.activeElement.blur(); return true })()`
		_ = eval[bool](ada, focusBody)
		ada.do(chromedp.KeyEvent("m"))
		ada.waitFor("mic off by M", `window.conclave.state().local.audio === false`, 5*time.Second)
		bob.waitFor("Bob sees Ada muted", `window.conclave.state().others.some(p => p.id === "`+adaID+`" && p.audio === false)`, 5*time.Second)
		ada.do(chromedp.KeyEvent("m"))
		ada.waitFor("mic on by M", `window.conclave.state().local.audio === true`, 5*time.Second)
		// Tab reaches the controls, Enter presses them.
		ok := false
		for i := 0; i < 30 && !ok; i++ {
			ada.do(chromedp.KeyEvent(kb.Tab))
			ok = eval[bool](ada, `document.activeElement && document.activeElement.id === "toggle-camera"`)
		}
		if !ok {
			t.Fatal("Tab never reached the camera button")
		}
		ada.do(chromedp.KeyEvent(kb.Enter))
		ada.waitFor("camera off by Enter", `window.conclave.state().local.video === false`, 5*time.Second)
		if got := eval[string](ada, `document.querySelector("#toggle-camera").getAttribute("aria-pressed")`); got != "false" {
			t.Errorf("camera button aria-pressed = %q after turning it off", got)
		}
	})

	t.Run("server binds only loopback", func(t *testing.T) {
		addrs, err := listeningAddrs(srv.pid)
		if err != nil {
			t.Fatal(err)
		}
		if len(addrs) == 0 {
			t.Fatal("found no sockets at all")
		}
		for _, a := range addrs {
			if !strings.Contains(a, " 127.0.0.1:") {
				t.Errorf("server socket on a non-loopback address: %s", a)
			}
			if strings.HasSuffix(a, ":5353") {
				t.Errorf("mDNS socket open: %s", a)
			}
		}
		t.Logf("server sockets: %v", addrs)
	})
}
