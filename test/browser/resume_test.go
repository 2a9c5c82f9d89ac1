package browser

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// These tests cut a participant's signalling websocket the way a network
// drop would (window.conclave.dropSignaling: no leave, close code 4000)
// and check that the call survives it (docs/protocol.md, "Resume"): the
// client reconnects on its own, resumes with its token and carries on as
// the same participant, and the others see a "reconnecting" mark, never a
// leave and a join.

// watchPeer starts recording, in p's page, everything that would show that
// participant id left and came back: their entry in the participant list
// or their camera tile gone or replaced, the participant count changing,
// a "left"/"joined" announcement made from now on. It also notes whether id was ever shown
// as reconnecting. watched reads the record.
func (p *person) watchPeer(id string) {
	p.t.Helper()
	ok := eval[bool](p, fmt.Sprintf(`(() => {
		const id = %q;
		const sel = '[data-participant-id="' + id + '"][data-source="camera"]';
		const tile0 = document.querySelector(sel);
		const w = window.__peerWatch = {gone: 0, tileChanged: 0, counts: [], announced: [], sawReconnecting: false, sawBadge: false};
		const check = () => {
			const p = window.conclave.state().others.find(p => p.id === id);
			if (!p) w.gone++;
			if (p && p.reconnecting) w.sawReconnecting = true;
			const tile = document.querySelector(sel);
			if (tile !== tile0) w.tileChanged++;
			if (tile && tile.dataset.reconnecting === "true" && tile.textContent.includes("Reconnecting")) w.sawBadge = true;
			const count = (document.querySelector("#participant-count") || {}).textContent || "";
			if (!w.counts.includes(count)) w.counts.push(count);
		};
		// Only what is announced from now on.
		new MutationObserver((records) => {
			for (const r of records) {
				if (!(r.target instanceof Element) || r.target.id !== "announcer") continue;
				for (const n of r.addedNodes) w.announced.push(n.textContent);
			}
		}).observe(document.body, {childList: true, subtree: true});
		w.timer = setInterval(check, 50);
		check();
		return !!tile0;
	})()`, id))
	if !ok {
		p.t.Fatalf("%s: no camera tile of %s to watch", p.name, id)
	}
}

type peerWatch struct {
	Gone            int      `json:"gone"`
	TileChanged     int      `json:"tileChanged"`
	Counts          []string `json:"counts"`
	Announced       []string `json:"announced"`
	SawReconnecting bool     `json:"sawReconnecting"`
	SawBadge        bool     `json:"sawBadge"`
}

func (p *person) watched() peerWatch {
	p.t.Helper()
	return eval[peerWatch](p, `(() => { const w = window.__peerWatch; return {gone: w.gone, tileChanged: w.tileChanged, counts: w.counts, announced: w.announced, sawReconnecting: w.sawReconnecting, sawBadge: w.sawBadge} })()`)
}

// checkNoChurn fails the test if the watch saw name leave or come back.
func checkNoChurn(t *testing.T, w peerWatch, name, count string) {
	t.Helper()
	if w.Gone > 0 {
		t.Errorf("%s was missing from the participant list %d times", name, w.Gone)
	}
	if w.TileChanged > 0 {
		t.Errorf("%s's camera tile was removed or replaced (%d checks)", name, w.TileChanged)
	}
	if len(w.Counts) != 1 || w.Counts[0] != count {
		t.Errorf("participant count went through %q, want only %q", w.Counts, count)
	}
	for _, a := range w.Announced {
		if strings.Contains(a, name+" left") || strings.Contains(a, name+" joined") {
			t.Errorf("announced %q", a)
		}
	}
}

// framesRise waits until p has decoded more than n+10 frames from
// owner's camera.
func (p *person) framesRise(owner string, n int, timeout time.Duration) {
	p.t.Helper()
	key := owner + "/camera"
	deadline := time.Now().Add(timeout)
	for {
		got := p.videoFrames()[key]
		if got > n+10 {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: frames from %s stuck at %d (had %d before)", p.name, key, got, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// auditActions counts the audit entries of the meeting by action, as an
// administrator reads them through the API.
func auditActions(t *testing.T, admin *person, meetingID string) map[string]int {
	t.Helper()
	return eval[map[string]int](admin, fmt.Sprintf(`fetch("/api/audit?meeting=" + encodeURIComponent(%q) + "&limit=1000")
		.then(r => r.json()).then(b => {
			const out = {};
			for (const e of b.entries || []) out[e.action] = (out[e.action] || 0) + 1;
			return out;
		})`, meetingID))
}

// TestResume: Ada's websocket drops in the middle of a call. She sees
// "Reconnecting…" meanwhile, keeps her call view and her media, and comes
// back as the same participant without anyone doing anything; Bob sees
// her marked as reconnecting, never leaving, and keeps receiving her
// video. Messages sent while the socket was down arrive after the resume,
// in both directions, once each.
func TestResume(t *testing.T) {
	srv := startServer(t)
	browser := newBrowser(t)
	ada := join(t, browser, srv, "Ada", devices{camera: true, mic: true})
	bob := join(t, browser, srv, "Bob", devices{camera: true, mic: true})
	adaID, bobID := ada.id(), bob.id()
	bob.waitVideoFrom(adaID, "camera", 20*time.Second)
	ada.waitVideoFrom(bobID, "camera", 20*time.Second)
	ada.waitFor("a resume token", `window.conclave.state().resumable`, 10*time.Second)
	bob.waitText("#participant-count", "2 participants", 5*time.Second)
	bob.watchPeer(adaID)
	bob.openPanel("participants")
	adaRow := fmt.Sprintf(`[data-person=%q]`, adaID)
	bob.waitText(adaRow, "Ada", 5*time.Second)

	t.Run("the socket drops: Ada sees Reconnecting, Bob sees her reconnecting", func(t *testing.T) {
		// Held: no reconnect attempt until released, so that both sides
		// can be looked at while Ada is away.
		if !eval[bool](ada, `window.conclave.dropSignaling(true)`) {
			t.Fatal("dropSignaling refused")
		}
		ada.waitFor("reconnecting", `window.conclave.state().reconnecting === true`, 10*time.Second)
		ada.waitText("#meeting-status", "Reconnecting…", 5*time.Second)
		ada.waitText("#media-notice", "Reconnecting", 5*time.Second)
		ada.waitFor("announced", `document.querySelector("#announcer").textContent.includes("Reconnecting")`, 5*time.Second)
		if s := ada.state("status"); s != `"joined"` {
			t.Errorf("status while reconnecting %s, want joined", s)
		}
		// The call view and its media stay.
		if !eval[bool](ada, fmt.Sprintf(`(() => { const v = document.querySelector('[data-participant-id=%q][data-source="camera"] video'); return !!v && !!v.srcObject })()`, bobID)) {
			t.Error("Bob's tile or video element is gone while reconnecting")
		}

		bob.waitFor("Ada marked reconnecting", `window.conclave.state().others.some(p => p.id === `+strconv.Quote(adaID)+` && p.reconnecting)`, 15*time.Second)
		bob.waitText(fmt.Sprintf(`[data-participant-id=%q][data-source="camera"]`, adaID), "Reconnecting…", 5*time.Second)
		bob.waitText(adaRow, "Reconnecting…", 5*time.Second)
		if label := eval[string](bob, `document.querySelector(`+strconv.Quote(adaRow)+`).getAttribute("aria-label")`); !strings.Contains(label, "reconnecting") {
			t.Errorf("Ada's row is labelled %q, without reconnecting", label)
		}
	})

	t.Run("messages while away", func(t *testing.T) {
		if seq := eval[int](ada, `window.conclave.chat("sent while away")`); seq == 0 {
			t.Error("a message sent while reconnecting was dropped instead of kept")
		}
		if seq := eval[int](bob, `window.conclave.chat("said while Ada was away")`); seq == 0 {
			t.Fatal("Bob's chat not sent")
		}
		// The server delivers chat in the order it was sent: had Ada's
		// message got through, it would have come before Bob's own echo.
		bob.waitFor("Bob's own message", `window.conclave.state().chat.some(m => m.text === "said while Ada was away")`, 10*time.Second)
		if eval[bool](bob, `window.conclave.state().chat.some(m => m.text === "sent while away")`) {
			t.Error("Ada's message reached Bob while her socket was down")
		}
	})

	before := bob.videoFrames()[adaID+"/camera"]
	t.Run("Ada resumes as herself", func(t *testing.T) {
		if !eval[bool](ada, `window.conclave.releaseSignaling()`) {
			t.Fatal("releaseSignaling refused")
		}
		ada.waitFor("resumed", `(() => { const s = window.conclave.state(); return !s.reconnecting && s.resumes === 1 && s.connected.websocket })()`, 15*time.Second)
		ada.waitFor("status pill back", `document.querySelector("#meeting-status").textContent === "In the meeting"`, 5*time.Second)
		ada.waitFor("notice gone", `document.querySelector("#media-notice").hidden`, 5*time.Second)
		if id := ada.id(); id != adaID {
			t.Fatalf("Ada came back as %s, was %s: she rejoined instead of resuming", id, adaID)
		}
		if s := ada.state("status"); s != `"joined"` {
			t.Fatalf("Ada's status %s", s)
		}
		bob.waitFor("Ada no longer reconnecting", `window.conclave.state().others.some(p => p.id === `+strconv.Quote(adaID)+` && !p.reconnecting)`, 10*time.Second)
		bob.waitFor("mark gone from the tile", fmt.Sprintf(`document.querySelector('[data-participant-id=%q][data-source="camera"]').dataset.reconnecting === "false"`, adaID), 5*time.Second)
		bob.waitFor("mark gone from the list", `!document.querySelector(`+strconv.Quote(adaRow)+`).textContent.includes("Reconnecting")`, 5*time.Second)
	})

	t.Run("what was sent meanwhile arrives, once", func(t *testing.T) {
		bob.waitFor("Ada's kept message", `window.conclave.state().chat.some(m => m.text === "sent while away" && m.from === `+strconv.Quote(adaID)+`)`, 10*time.Second)
		ada.waitFor("Bob's message replayed", `window.conclave.state().chat.some(m => m.text === "said while Ada was away")`, 10*time.Second)
		// A live message after the replay: any duplicate the replay could
		// bring arrives before it, in order.
		if seq := eval[int](bob, `window.conclave.chat("after the resume")`); seq == 0 {
			t.Fatal("Bob's chat not sent")
		}
		ada.waitFor("a live message after the replay", `window.conclave.state().chat.some(m => m.text === "after the resume")`, 10*time.Second)
		if n := eval[int](ada, `window.conclave.state().chat.filter(m => m.text === "said while Ada was away").length`); n != 1 {
			t.Errorf("Ada has Bob's message %d times, want once", n)
		}
		if n := eval[int](bob, `window.conclave.state().chat.filter(m => m.text === "sent while away").length`); n != 1 {
			t.Errorf("Bob has Ada's message %d times, want once", n)
		}
	})

	t.Run("media keeps flowing both ways", func(t *testing.T) {
		bob.framesRise(adaID, before, 15*time.Second)
		ada.waitVideoFrom(bobID, "camera", 15*time.Second)
	})

	t.Run("Bob never saw Ada leave", func(t *testing.T) {
		w := bob.watched()
		t.Logf("Bob's record: %+v", w)
		if !w.SawReconnecting || !w.SawBadge {
			t.Errorf("Bob never saw Ada marked reconnecting (state %v, tile %v)", w.SawReconnecting, w.SawBadge)
		}
		checkNoChurn(t, w, "Ada", "2 participants")
	})

	t.Run("one join each, no leave, one resume on record", func(t *testing.T) {
		admin := signIn(t, browser, srv, hostEmail)
		var got map[string]int
		deadline := time.Now().Add(10 * time.Second)
		for {
			got = auditActions(t, admin, srv.meetingID)
			if got["meeting.resume"] >= 1 || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Logf("audit entries of the meeting: %v", got)
		if got["meeting.join.allowed"] != 2 {
			t.Errorf("%d joins on record, want 2 (Ada and Bob, once each)", got["meeting.join.allowed"])
		}
		if got["meeting.join.attempt"] != 0 || got["meeting.leave"] != 0 {
			t.Errorf("join attempts %d, leaves %d on record; want none", got["meeting.join.attempt"], got["meeting.leave"])
		}
		if got["meeting.resume"] != 1 {
			t.Errorf("%d resumes on record, want 1", got["meeting.resume"])
		}
	})
}

// TestResumeFirefox: the same drop in Firefox, left to reconnect on its
// own; Chromium keeps seeing Fiona throughout.
func TestResumeFirefox(t *testing.T) {
	srv := startServer(t)
	waitFirefox := startFirefoxAsync(t)
	browser := newBrowser(t)
	ada := join(t, browser, srv, "Ada", devices{camera: true, mic: true})
	ff := waitFirefox()
	t.Logf("browser: %s", ff.version)
	fox := joinFirefox(t, ff, srv, "Fiona", devices{camera: true, mic: true})
	adaID, foxID := ada.id(), fox.id()
	ada.waitVideoFrom(foxID, "camera", 25*time.Second)
	fox.waitVideoFrom(adaID, "camera", 25*time.Second)
	fox.waitFor("a resume token", `window.conclave.state().resumable`, 10*time.Second)
	ada.watchPeer(foxID)

	before := ada.videoFrames()[foxID+"/camera"]
	if !eval[bool](fox, `window.conclave.dropSignaling()`) {
		t.Fatal("dropSignaling refused")
	}
	fox.waitFor("resumed", `(() => { const s = window.conclave.state(); return !s.reconnecting && s.resumes === 1 && s.connected.websocket })()`, 20*time.Second)
	if id := fox.id(); id != foxID {
		t.Fatalf("Fiona came back as %s, was %s", id, foxID)
	}
	if s := fox.state("status"); s != `"joined"` {
		t.Fatalf("Fiona's status %s", s)
	}
	ada.waitFor("Fiona not reconnecting", `window.conclave.state().others.some(p => p.id === `+strconv.Quote(foxID)+` && !p.reconnecting)`, 10*time.Second)
	ada.framesRise(foxID, before, 15*time.Second)
	fox.waitVideoFrom(adaID, "camera", 15*time.Second)

	// Still a working connection: a change made after the resume reaches
	// the other side.
	fox.click("#toggle-camera")
	ada.waitFor("Ada sees Fiona's camera off", `window.conclave.state().others.some(p => p.id === `+strconv.Quote(foxID)+` && p.video === false)`, 10*time.Second)
	checkNoChurn(t, ada.watched(), "Fiona", "2 participants")
}

// TestResumeWaitingAndRemoved: a guest in the waiting room keeps her place
// across a drop; later, in the call, she is removed by the host while her
// socket is down, and her resume ends in the removal message, not a hang.
func TestResumeWaitingAndRemoved(t *testing.T) {
	srv := startModeratedServer(t)
	browser := newBrowser(t)
	host := hostJoins(t, browser, srv, devices{})
	ada := guestArrives(t, browser, srv, "Ada", devices{})
	ada.waitStatus("waiting", 15*time.Second)
	adaID := host.lobbyID("Ada")
	ada.waitFor("a resume token", `window.conclave.state().resumable`, 10*time.Second)

	t.Run("waiting, she keeps her place", func(t *testing.T) {
		if !eval[bool](ada, `window.conclave.dropSignaling(true)`) {
			t.Fatal("dropSignaling refused")
		}
		ada.waitFor("reconnecting", `window.conclave.state().reconnecting === true`, 10*time.Second)
		ada.waitText("#meeting-status", "Reconnecting…", 5*time.Second)
		// Held down, Ada cannot say hello again: the waiting room must
		// show her once, as she was.
		if got := eval[string](host, `JSON.stringify(window.conclave.state().lobby.map(e => e.id))`); got != `["`+adaID+`"]` {
			t.Errorf("host's waiting room while Ada is away: %s", got)
		}
		if !eval[bool](ada, `window.conclave.releaseSignaling()`) {
			t.Fatal("releaseSignaling refused")
		}
		ada.waitFor("resumed", `(() => { const s = window.conclave.state(); return !s.reconnecting && s.resumes === 1 })()`, 15*time.Second)
		if s := ada.state("status"); s != `"waiting"` {
			t.Fatalf("after the resume Ada is %s, want waiting", s)
		}
		ada.waitText("#meeting-status", "Waiting to be let in", 5*time.Second)
		if got := eval[string](host, `JSON.stringify(window.conclave.state().lobby.map(e => e.id))`); got != `["`+adaID+`"]` {
			t.Errorf("host's waiting room after the resume: %s", got)
		}
	})

	t.Run("admitted after the resume", func(t *testing.T) {
		if eval[int](host, `window.conclave.admit(`+strconv.Quote(adaID)+`)`) == 0 {
			t.Fatal("admit not sent")
		}
		ada.waitStatus("joined", 15*time.Second)
		if id := ada.id(); id != adaID {
			t.Errorf("Ada's participant ID %s, was %s in the waiting room", id, adaID)
		}
		host.waitFor("Ada in the call", `window.conclave.state().others.some(p => p.id === `+strconv.Quote(adaID)+`)`, 10*time.Second)
	})

	t.Run("removed while away: told so on resuming", func(t *testing.T) {
		ada.waitFor("a resume token", `window.conclave.state().resumable`, 10*time.Second)
		if !eval[bool](ada, `window.conclave.dropSignaling(true)`) {
			t.Fatal("dropSignaling refused")
		}
		ada.waitFor("reconnecting", `window.conclave.state().reconnecting === true`, 10*time.Second)
		host.waitFor("Ada marked reconnecting", `window.conclave.state().others.some(p => p.id === `+strconv.Quote(adaID)+` && p.reconnecting)`, 15*time.Second)
		host.personAction(adaID, "remove")
		host.waitFor("Ada gone", `!window.conclave.state().others.some(p => p.id === `+strconv.Quote(adaID)+`)`, 10*time.Second)
		if !eval[bool](ada, `window.conclave.releaseSignaling()`) {
			t.Fatal("releaseSignaling refused")
		}
		ada.waitEnded("removed", "You were removed from the meeting.", false)
		if r := ada.state("byeReason"); r != `"removed"` {
			t.Errorf("bye reason %s", r)
		}
	})
}
