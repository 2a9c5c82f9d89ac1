package room

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/sfu"
)

// admitResult is what an Admit run in the background returned.
type admitResult struct {
	ids []string
	err error
}

// admitAsync runs h.Admit on its own goroutine, as a host's connection does.
func admitAsync(h *Member, id string, all bool) <-chan admitResult {
	out := make(chan admitResult, 1)
	go func() {
		ids, err := h.Admit(id, all)
		out <- admitResult{ids, err}
	}()
	return out
}

// wait returns what ch delivers, failing the test if it takes too long.
func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("%s never finished", what)
		panic("unreachable")
	}
}

// member finds the member of meeting whose events go to ev.
func (m *Manager) member(t *testing.T, meeting string, ev Events) *Member {
	t.Helper()
	m.mu.Lock()
	r := m.rooms[meeting]
	m.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, all := range []map[string]*Member{r.members, r.waiting, r.admitting} {
		for _, mb := range all {
			if mb.events == ev {
				return mb
			}
		}
	}
	t.Fatalf("nobody in %s with those events", meeting)
	return nil
}

// media returns the fake media joined for participant id.
func (f *fakeMedia) media(t *testing.T, id string) *fakeParticipant {
	t.Helper()
	for _, p := range f.participants() {
		if p.id == id {
			return p
		}
	}
	t.Fatalf("no media joined for %s", id)
	return nil
}

// While one member's media is set up, the rest of the meeting goes on: a
// chat, a newcomer entering the waiting room and a speaker change all
// complete before that media join returns, so it runs without the lock.
// The newcomer's first event is still its welcome, even though its media
// offered before the room had finished admitting it.
func TestAdmissionSetsUpMediaWithoutTheLock(t *testing.T) {
	m, f := newFakeManager(t, 0)
	h, rh := join(t, m, "m", "Hana", "u_host", guarded)
	w, rw := join(t, m, "m", "Wai", "", guarded)
	f.offerOnJoin()
	held := f.hold(t, rw)
	res := admitAsync(h, w.ID(), false)
	wait(t, held.started, "the media join")

	// On another goroutine, so that a regression fails rather than hangs.
	rx, during := &recorder{}, make(chan error, 1)
	go func() {
		if err := sendChat(h, "during"); err != nil {
			during <- err
			return
		}
		_, err := m.Join(context.Background(), JoinRequest{MeetingID: "m", Name: "Xi", Policy: guarded}, rx)
		during <- err
	}()
	if err := wait(t, during, "a chat and a join during the media set-up"); err != nil {
		t.Fatal(err)
	}
	x := m.member(t, "m", rx)
	if ids := rh.lobbyIDs(); !slices.Equal(ids, []string{x.ID()}) {
		t.Fatalf("host's lobby during the admission: %v", ids)
	}
	f.room(0).onSpeaker(h.ID())
	rh.waitFor(t, "speaker "+h.ID())
	if rh.has("joined Wai") || rw.welcome != nil {
		t.Fatalf("announced before its media was ready: host saw %v", rh.lines())
	}

	held.let()
	if r := wait(t, res, "admit"); r.err != nil || !slices.Equal(r.ids, []string{w.ID()}) {
		t.Fatalf("admit: %v %v", r.ids, r.err)
	}
	got := rh.lines()
	if i, j := slices.Index(got, "chat during"), slices.Index(got, "joined Wai"); i < 0 || j < i {
		t.Fatalf("host saw %v", got)
	}
	// The welcome comes first, then the current speaker, then the offer.
	want := []string{"waiting waiting_room", "admitted guest", "speaker " + h.ID(), "offer m#0"}
	if got := rw.lines(); !slices.Equal(got, want) {
		t.Fatalf("admitted guest saw %v, want %v", got, want)
	}
	if others := rw.welcome.Others; len(others) != 1 || others[0].ID != h.ID() {
		t.Fatalf("welcome lists %+v", others)
	}
}

// A direct join's media set-up does not hold the room either.
func TestDirectJoinSetsUpMediaWithoutTheLock(t *testing.T) {
	m, f := newFakeManager(t, 0)
	h, rh := join(t, m, "m", "Hana", "u_host", hosted)
	rg := &recorder{}
	held := f.hold(t, rg)
	done := make(chan error, 1)
	go func() {
		_, err := m.Join(context.Background(), JoinRequest{MeetingID: "m", Name: "Gus", Policy: hosted}, rg)
		done <- err
	}()
	wait(t, held.started, "the media join")
	locked := make(chan error, 1)
	go func() { locked <- h.SetLocked(true) }()
	if err := wait(t, locked, "locking during the media set-up"); err != nil {
		t.Fatal(err)
	}
	if !rh.has("settings locked") || rh.has("joined Gus") {
		t.Fatalf("host saw %v", rh.lines())
	}
	held.let()
	// Decided before the lock: the join stands, with the new settings.
	if err := wait(t, done, "join"); err != nil {
		t.Fatal(err)
	}
	if !rg.welcome.Settings.Locked || !rh.has("joined Gus") {
		t.Fatalf("welcome %+v, host saw %v", rg.welcome, rh.lines())
	}
}

// Someone who leaves while their media is set up is never announced, and
// the media just set up is closed.
func TestLeaveDuringAdmissionClosesMedia(t *testing.T) {
	m, f := newFakeManager(t, 0)
	h, rh := join(t, m, "m", "Hana", "u_host", guarded)
	w, rw := join(t, m, "m", "Wai", "", guarded)
	held := f.hold(t, rw)
	res := admitAsync(h, w.ID(), false)
	wait(t, held.started, "the media join")
	w.Leave()
	held.let()
	if r := wait(t, res, "admit"); r.err != nil || len(r.ids) != 0 {
		t.Fatalf("admit of someone who left: %v %v", r.ids, r.err)
	}
	if !f.media(t, w.ID()).isClosed() {
		t.Fatal("media of someone who left stays open")
	}
	if rh.has("joined Wai") || rw.welcome != nil || w.Media() != nil {
		t.Fatalf("announced after leaving: host saw %v, guest %v", rh.lines(), rw.lines())
	}
	if _, people := m.Count(); people != 1 {
		t.Fatalf("%d people, want the host alone", people)
	}
	w.Leave() // again: harmless
}

// A host can remove (and ban) someone just admitted whose media is still
// being set up: they hear why, nobody hears of them, and they stay out.
func TestRemoveDuringAdmission(t *testing.T) {
	m, f := newFakeManager(t, 0)
	h, rh := join(t, m, "m", "Hana", "u_host", guarded)
	req := JoinRequest{MeetingID: "m", Name: "Eve", DeviceHash: "d1", Policy: guarded}
	rw := &recorder{}
	w, err := m.Join(context.Background(), req, rw)
	if err != nil {
		t.Fatal(err)
	}
	f.offerOnJoin()
	held := f.hold(t, rw)
	res := admitAsync(h, w.ID(), false)
	wait(t, held.started, "the media join")
	if _, err := h.Remove(context.Background(), w.ID(), true); err != nil {
		t.Fatalf("remove during admission: %v", err)
	}
	held.let()
	if r := wait(t, res, "admit"); len(r.ids) != 0 {
		t.Fatalf("removed guest admitted: %v", r.ids)
	}
	if !rw.has("ended banned") || rw.welcome != nil || rw.has("offer m#0") || rh.has("joined Eve") {
		t.Fatalf("guest saw %v, host %v", rw.lines(), rh.lines())
	}
	if !f.media(t, w.ID()).isClosed() {
		t.Fatal("removed guest's media stays open")
	}
	if _, err := m.Join(context.Background(), req, &recorder{}); !errors.Is(err, ErrBanned) {
		t.Fatalf("banned device rejoins: %v", err)
	}
}

// Ending the meeting cancels admissions in progress: someone admitted from
// the waiting room is told it ended; a direct join had not been announced,
// so it enters the fresh meeting that follows, and never sees the offer of
// the media set up for the ended one.
func TestEndDuringAdmission(t *testing.T) {
	m, f := newFakeManager(t, 0)
	p := Policy{HostID: "u_host", JoinBeforeHost: true}
	h, rh := join(t, m, "m", "Hana", "u_host", p)
	f.offerOnJoin()
	rd := &recorder{}
	heldD := f.hold(t, rd)
	direct := make(chan error, 1)
	go func() {
		_, err := m.Join(context.Background(), JoinRequest{MeetingID: "m", Name: "Dee", Policy: p}, rd)
		direct <- err
	}()
	wait(t, heldD.started, "the direct media join")
	if err := h.End(); err != nil {
		t.Fatal(err)
	}
	heldD.let()
	if err := wait(t, direct, "direct join"); err != nil {
		t.Fatalf("join across the end: %v", err)
	}
	if got, want := rd.lines(), []string{"admitted guest", "offer m#1"}; !slices.Equal(got, want) || len(rd.welcome.Others) != 0 {
		t.Fatalf("direct joiner saw %v, want %v", got, want)
	}
	if rh.has("joined Dee") {
		t.Fatalf("host saw %v", rh.lines())
	}
	if !f.room(0).isClosed() || f.room(1).isClosed() {
		t.Fatal("want the ended meeting's media closed and the fresh one open")
	}
}

func TestEndDuringAdmissionFromWaitingRoom(t *testing.T) {
	m, f := newFakeManager(t, 0)
	h, _ := join(t, m, "m", "Hana", "u_host", guarded)
	w, rw := join(t, m, "m", "Wai", "", guarded)
	held := f.hold(t, rw)
	res := admitAsync(h, w.ID(), false)
	wait(t, held.started, "the media join")
	// End from another goroutine than the one admitting, as another
	// connection would (here the host's own, for brevity).
	if err := h.End(); err != nil {
		t.Fatal(err)
	}
	held.let()
	if r := wait(t, res, "admit"); len(r.ids) != 0 {
		t.Fatalf("admitted into an ended meeting: %v", r.ids)
	}
	if !rw.has("ended meeting_ended") || rw.welcome != nil {
		t.Fatalf("guest saw %v", rw.lines())
	}
	if rooms, _ := m.Count(); rooms != 0 {
		t.Fatal("ended meeting still live")
	}
}

// A slot taken by an admission in progress counts against the limit.
func TestCapacityCountsAdmissionsInProgress(t *testing.T) {
	m, f := newFakeManager(t, 2)
	h, rh := join(t, m, "m", "Hana", "u_host", guarded)
	w1, rw1 := join(t, m, "m", "W1", "", guarded)
	w2, _ := join(t, m, "m", "W2", "", guarded)
	held := f.hold(t, rw1)
	res := admitAsync(h, "", true)
	wait(t, held.started, "the media join")
	_, err := m.Join(context.Background(), JoinRequest{MeetingID: "m", Name: "Cora", UserID: "u_co", Policy: guarded}, &recorder{})
	if !errors.Is(err, ErrFull) {
		t.Fatalf("join while the last slot is being filled: %v, want ErrFull", err)
	}
	held.let()
	r := wait(t, res, "admit all")
	if !errors.Is(r.err, ErrFull) || !slices.Equal(r.ids, []string{w1.ID()}) {
		t.Fatalf("admit all into one slot: %v %v", r.ids, r.err)
	}
	if !w2.Waiting() || !slices.Equal(rh.lobbyIDs(), []string{w2.ID()}) {
		t.Fatalf("the one who did not fit: waiting=%v lobby %v", w2.Waiting(), rh.lobbyIDs())
	}
}

// When media cannot be set up, someone admitted from the waiting room waits
// again in their old place; a direct join is refused and leaves no room.
func TestMediaFailure(t *testing.T) {
	m, f := newFakeManager(t, 0)
	h, rh := join(t, m, "m", "Hana", "u_host", guarded)
	a, ra := join(t, m, "m", "A", "", guarded)
	b, _ := join(t, m, "m", "B", "", guarded)
	boom := errors.New("no peer connection")
	f.fail(ra, boom)
	ids, err := h.Admit(a.ID(), false)
	if !errors.Is(err, boom) || len(ids) != 0 {
		t.Fatalf("admit with failing media: %v %v", ids, err)
	}
	if !a.Waiting() || !slices.Equal(rh.lobbyIDs(), []string{a.ID(), b.ID()}) || ra.welcome != nil {
		t.Fatalf("after the failure: waiting=%v lobby %v", a.Waiting(), rh.lobbyIDs())
	}
	if ids, err := h.Admit(a.ID(), false); err != nil || len(ids) != 1 {
		t.Fatalf("second try: %v %v", ids, err)
	}

	rg := &recorder{}
	f.fail(rg, boom)
	if _, err := m.Join(context.Background(), JoinRequest{MeetingID: "other", Name: "G", Policy: open}, rg); !errors.Is(err, boom) {
		t.Fatalf("direct join with failing media: %v", err)
	}
	if rooms, _ := m.Count(); rooms != 1 {
		t.Fatalf("%d live rooms, want the failed join's room gone", rooms)
	}
}

// The media's speaker callback returns at once even while the room's lock
// is held; the room applies the change once it can.
func TestSpeakerCallbackNeverWaitsForTheRoom(t *testing.T) {
	m, f := newFakeManager(t, 0)
	h, rh := join(t, m, "m", "Hana", "", open)
	g, _ := join(t, m, "m", "Gus", "", open)
	r := h.room
	r.mu.Lock()
	done := make(chan struct{})
	go func() {
		f.room(0).onSpeaker(g.ID())
		f.room(0).onSpeaker(h.ID()) // a burst: the last value wins
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		r.mu.Unlock()
		t.Fatal("the speaker callback waited for the room's lock")
	}
	r.mu.Unlock()
	rh.waitFor(t, "speaker "+h.ID())
}

// Host mutes and the screen-share gate reach the member's media.
func TestMediaFollowsModeration(t *testing.T) {
	m, f := newFakeManager(t, 0)
	h, _ := join(t, m, "m", "Hana", "u_host", hosted)
	g, _ := join(t, m, "m", "Gus", "", hosted)
	media := f.media(t, g.ID())
	if !media.isBlocked(sfu.SourceScreen) {
		t.Fatal("a guest's screen share is forwarded")
	}
	if err := h.Mute(g.ID(), sfu.SourceAudio); err != nil || !media.isBlocked(sfu.SourceAudio) {
		t.Fatalf("mute: %v, blocked=%v", err, media.isBlocked(sfu.SourceAudio))
	}
	if err := g.SetMediaState(true, false, false); err != nil || media.isBlocked(sfu.SourceAudio) {
		t.Fatalf("unmute: %v, blocked=%v", err, media.isBlocked(sfu.SourceAudio))
	}
	g.Leave()
	if !media.isClosed() {
		t.Fatal("media of someone who left stays open")
	}
	h.Leave()
	if !f.room(0).isClosed() {
		t.Fatal("an empty meeting's media stays open")
	}
}
