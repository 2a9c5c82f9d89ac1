package browser

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestMeeting walks one meeting through what people do: two people see and
// hear each other, one shares the screen, a third joins late without camera
// or microphone and still receives everything, then people leave.
func TestMeeting(t *testing.T) {
	srv := startServer(t)
	browser := newBrowser(t)

	ada := join(t, browser, srv, "Ada", devices{camera: true, mic: true})
	bob := join(t, browser, srv, "Bob", devices{camera: true, mic: true})
	adaID, bobID := ada.id(), bob.id()

	t.Run("two participants see and hear each other", func(t *testing.T) {
		ada.waitVideoFrom(bobID, "camera", 20*time.Second)
		bob.waitVideoFrom(adaID, "camera", 20*time.Second)
		ada.waitAudioStreams(1, 10*time.Second)
		bob.waitAudioStreams(1, 10*time.Second)
		if !bob.hasText(`[data-participant-id="`+adaID+`"][data-source="camera"]`, "Ada") {
			t.Error("Bob's tile for Ada does not show her name")
		}
	})

	t.Run("screen share arrives on the other side", func(t *testing.T) {
		ada.do(chromedp.Click("#toggle-screen"))
		ada.passShareReminder()
		ada.waitFor("screen sharing", `window.conclave.state().local.screen === true`, 10*time.Second)
		took := bob.waitVideoFrom(adaID, "screen", 20*time.Second)
		t.Logf("screen share visible to Bob after %v", took)
	})

	t.Run("late joiner without camera or microphone receives", func(t *testing.T) {
		cleo := join(t, browser, srv, "Cleo", devices{camera: false, mic: false})
		if got := cleo.state("local"); got != `{"audio":false,"video":false,"screen":false}` {
			t.Errorf("Cleo publishes %s, want nothing", got)
		}
		a := cleo.waitVideoFrom(adaID, "camera", 15*time.Second)
		b := cleo.waitVideoFrom(bobID, "camera", 15*time.Second)
		s := cleo.waitVideoFrom(adaID, "screen", 15*time.Second)
		t.Logf("late joiner's first frames: Ada camera %v, Bob camera %v, Ada screen %v", a, b, s)
		cleo.waitAudioStreams(2, 10*time.Second)
		cleoID := cleo.id()
		ada.waitFor("Cleo listed", `window.conclave.state().others.some(p => p.id === "`+cleoID+`" && !p.audio && !p.video)`, 10*time.Second)
	})

	t.Run("no request leaves the server's origin", func(t *testing.T) {
		for _, p := range []*person{ada, bob} {
			if foreign := p.foreignRequests(srv.base); len(foreign) > 0 {
				t.Errorf("%s's page requested %v", p.name, foreign)
			}
			p.mu.Lock()
			n := len(p.requests)
			p.mu.Unlock()
			if n < 3 {
				t.Errorf("%s: only %d requests seen; is request logging working?", p.name, n)
			}
		}
	})

	t.Run("leaving removes the tile for others", func(t *testing.T) {
		bob.do(chromedp.Click("#leave"))
		ada.waitFor("Bob gone", `!window.conclave.state().others.some(p => p.id === "`+bobID+`")`, 10*time.Second)
		ada.waitFor("Bob's tile gone", `!document.querySelector('[data-participant-id="`+bobID+`"]')`, 10*time.Second)
	})
}
