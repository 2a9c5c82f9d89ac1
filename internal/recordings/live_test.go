package recordings_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/client"
	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/recordings"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/sfu"
	"github.com/conclave-meet/conclave/internal/signal"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
	"github.com/conclave-meet/conclave/internal/testserver"
	"github.com/conclave-meet/conclave/internal/webmtest"
)

// The whole path of a recording with real parts: signalling, the room's
// consent, the SFU's tap, the recorder, the catalog on SQLite and the
// ledger in the audit log, with Pion clients publishing media that carries
// a marker naming its sender.

var liveHost = store.User{ID: "u_host", Email: "h@example.org", Name: "Hana", Role: store.RoleMember, PasswordHash: "x"}

type liveEnv struct {
	srv  *testserver.Server
	st   *sqlite.Store
	svc  *recordings.Service
	log  *audit.Log
	dir  string
	data string
	taps *tapLog
}

func newLiveEnv(t *testing.T) *liveEnv {
	t.Helper()
	ctx := context.Background()
	data := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(data, "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	host := liveHost
	host.CreatedAt = time.Now()
	if err := st.CreateUser(ctx, host); err != nil {
		t.Fatal(err)
	}
	m := store.Meeting{ID: testserver.MeetingID, Title: "Recorded", Passcode: testserver.Passcode, HostID: host.ID,
		CreatedAt: time.Now(), JoinBeforeHost: true, ScreenShare: store.ScreenShareEveryone, Recurrence: store.RecurrenceNone,
		Recording: true}
	if err := st.CreateMeeting(ctx, m); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(data, "recordings")
	svc, err := recordings.New(recordings.Options{Dir: dir, Store: st, Enabled: true, Max: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	log := audit.New(st, audit.Options{Key: []byte("recordings live test audit key!!")})
	live := recordings.NewLive(svc, recordings.LiveOptions{Audit: log,
		Retention: func(context.Context, string) time.Duration { return 7 * 24 * time.Hour }})
	taps := &tapLog{offered: map[string]map[uint32]bool{}, taken: map[string]map[uint32]bool{}}
	m.ID, m.Passcode = "", ""
	srv := testserver.Start(t, testserver.Options{Meeting: &m, Users: []store.User{host},
		OrgPolicy: room.OrgPolicy{Recording: true}, Recordings: watched{live, taps}, Consents: log, Audit: log})
	return &liveEnv{srv: srv, st: st, svc: svc, log: log, dir: dir, data: data, taps: taps}
}

// tapLog notes, per publisher, the SSRCs the SFU offered to the recorder
// and those the recorder took, that is queued for its file writer (a
// superset of what it wrote: it checks consent again before writing). A
// WebM file holds no SSRCs, so this is where "none of the decliner's
// streams reached the recorder" can be seen.
type tapLog struct {
	mu             sync.Mutex
	offered, taken map[string]map[uint32]bool // owner → SSRCs
}

func (l *tapLog) note(owner string, ssrc uint32, took bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	add := func(m map[string]map[uint32]bool) {
		if m[owner] == nil {
			m[owner] = map[uint32]bool{}
		}
		m[owner][ssrc] = true
	}
	add(l.offered)
	if took {
		add(l.taken)
	}
}

// ssrcs returns copies of owner's offered and taken SSRCs.
func (l *tapLog) ssrcs(owner string) (offered, taken []uint32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for s := range l.offered[owner] {
		offered = append(offered, s)
	}
	for s := range l.taken[owner] {
		taken = append(taken, s)
	}
	return offered, taken
}

// watched is the live recordings service with every recorder sink wrapped
// to note into log what it was offered and took; the recorder itself is
// the real one.
type watched struct {
	*recordings.Live
	log *tapLog
}

var _ signal.Recordings = watched{}

func (w watched) Start(ctx context.Context, req room.RecordingRequest, onFault func(string, string)) (room.Recorder, room.RecordingInfo, error) {
	r, info, err := w.Live.Start(ctx, req, onFault)
	if err != nil {
		return r, info, err
	}
	return watchedRecorder{r, w.log}, info, nil
}

type watchedRecorder struct {
	room.Recorder
	log *tapLog
}

func (w watchedRecorder) Tap(t sfu.Track) sfu.Sink {
	k := w.Recorder.Tap(t)
	if k == nil {
		return nil
	}
	return watchedSink{k, t.Owner(), w.log}
}

type watchedSink struct {
	sfu.Sink
	owner string
	log   *tapLog
}

func (w watchedSink) WriteRTP(l sfu.Layer, pkt *rtp.Packet, keyframe bool) bool {
	took := w.Sink.WriteRTP(l, pkt, keyframe)
	w.log.note(w.owner, pkt.SSRC, took)
	return took
}

// publisher dials as a guest (or the host) and publishes a camera and a
// microphone whose every payload carries its marker; the camera answers
// keyframe requests with a VP8 keyframe, as an encoder does.
type publisher struct {
	c       *client.Client
	marker  string
	mu      sync.Mutex
	state   map[string]any // last `recording` message
	stateCh chan struct{}
}

func dialPublisher(t *testing.T, e *liveEnv, name, user string) *publisher {
	t.Helper()
	p := &publisher{marker: "MARK-" + name, stateCh: make(chan struct{}, 16)}
	h := http.Header{}
	if user != "" {
		h.Set("X-Test-User", user)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, e.srv.WS, client.Hello{MeetingID: testserver.MeetingID, Passcode: testserver.Passcode, Name: name},
		client.Options{Header: h, OnMessage: func(typ string, data json.RawMessage) {
			if typ != "recording" {
				return
			}
			var s map[string]any
			_ = json.Unmarshal(data, &s)
			p.mu.Lock()
			p.state = s
			p.mu.Unlock()
			p.stateCh <- struct{}{}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	p.c = c
	return p
}

func (p *publisher) recording() map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// run publishes until stop: video every 20 ms, audio every 20 ms.
func (p *publisher) run(stop <-chan struct{}) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for n := 1; ; n++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		body := fmt.Appendf(nil, "%s#%06d", p.marker, n)
		vp8 := []byte{0x10, 0x01, 0x00, 0x00} // descriptor, inter frame
		if n == 1 || p.c.TakeKeyframeRequest() {
			vp8 = []byte{0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00} // 320x180
		}
		_ = p.c.WriteVideo(0, &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(n), Timestamp: uint32(n) * 1800, Marker: true},
			Payload: append(vp8, body...)})
		_ = p.c.WriteAudio(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(n), Timestamp: uint32(n) * 960},
			Payload: body}, 40)
	}
}

func (p *publisher) send(t *testing.T, typ string, data any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.c.Send(ctx, typ, data); err != nil {
		t.Fatalf("send %s: %v", typ, err)
	}
}

// TestRecordingOnlyOfThoseWhoConsent: the host records, Ada consents and
// Bob declines; the recording holds Ada's camera and microphone and
// nothing of Bob's: no file of his, not his marker, and none of his SSRCs
// ever taken by the recorder (though the SFU offered them), and no plain media
// reaches the data directory while it runs or after. Ada then withdraws:
// her files end there. The ledger holds Ada's consent and withdrawal and
// Bob's decline.
func TestRecordingOnlyOfThoseWhoConsent(t *testing.T) {
	e := newLiveEnv(t)
	host := dialPublisher(t, e, "Hana", liveHost.ID)
	ada := dialPublisher(t, e, "Ada", "")
	bob := dialPublisher(t, e, "Bob", "")
	stop := make(chan struct{})
	defer close(stop)
	go ada.run(stop)
	go bob.run(stop)

	host.send(t, "recording_start", map[string]string{"purpose": "integration test"})
	eventually.True(t, "everyone asked", func() bool {
		for _, p := range []*publisher{ada, bob} {
			if s := p.recording(); s == nil || s["consent"] != "pending" {
				return false
			}
		}
		return true
	})
	id := ada.recording()["id"].(string)
	ada.send(t, "recording_consent", map[string]any{"id": id, "consent": true})
	bob.send(t, "recording_consent", map[string]any{"id": id, "consent": false})

	ctx := context.Background()
	eventually.True(t, "Ada's camera and microphone written", func() bool {
		ts, err := e.st.RecordingTracks(ctx, id)
		return err == nil && len(ts) == 2 && bigger(e.dir, 4000)
	})
	scanPlain(t, e.data, ada.marker, bob.marker)

	ada.send(t, "recording_consent", map[string]any{"id": id, "consent": false})
	eventually.True(t, "Ada's files finished on withdrawal", func() bool {
		ts, err := e.st.RecordingTracks(ctx, id)
		if err != nil || len(ts) != 2 {
			return false
		}
		for _, tr := range ts {
			if !tr.Finished {
				return false
			}
		}
		return true
	})
	host.send(t, "recording_stop", map[string]string{"id": id})
	eventually.True(t, "the recording ended", func() bool {
		r, err := e.st.Recording(ctx, id)
		return err == nil && !r.EndedAt.IsZero()
	})

	ts, err := e.st.RecordingTracks(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int64{}
	for _, tr := range ts {
		if tr.Owner != ada.c.ID() || tr.Subject != ada.c.ID() || !tr.Complete {
			t.Fatalf("track %+v: want only Ada's, complete", tr)
		}
		plain := readTrack(t, e.svc, id, tr.ID)
		frames := countFrames(t, plain)
		if frames < 10 || frames != tr.Frames {
			t.Fatalf("%s: %d frames decoded, %d in the catalog", tr.Kind, frames, tr.Frames)
		}
		if !bytes.Contains(plain, []byte(ada.marker)) || bytes.Contains(plain, []byte(bob.marker)) {
			t.Fatalf("%s holds the wrong person's media", tr.Kind)
		}
		kinds[tr.Kind] = frames
	}
	if len(kinds) != 2 {
		t.Fatalf("kinds %v, want audio and video", kinds)
	}
	offered, taken := e.taps.ssrcs(bob.c.ID())
	if len(offered) != 2 || len(taken) != 0 {
		t.Fatalf("Bob's SSRCs: %v offered to the recorder (want his camera and microphone), %v taken (want none)", offered, taken)
	}
	adaOffered, adaTaken := e.taps.ssrcs(ada.c.ID())
	if len(adaOffered) != 2 || len(adaTaken) != 2 {
		t.Fatalf("Ada's SSRCs: %v offered, %v taken; want both of hers taken", adaOffered, adaTaken)
	}
	for _, b := range offered {
		for _, a := range adaTaken {
			if a == b {
				t.Fatalf("SSRC %d taken for Ada is Bob's", b)
			}
		}
	}
	scanPlain(t, e.data, ada.marker, bob.marker)

	cs, err := e.st.ConsentsBySubject(ctx, ada.c.ID())
	if err != nil || len(cs) != 1 || cs[0].Kind != store.ConsentRecording || cs[0].WithdrawnAt.IsZero() {
		t.Fatalf("Ada's ledger %+v, %v", cs, err)
	}
	cs, err = e.st.ConsentsBySubject(ctx, bob.c.ID())
	if err != nil || len(cs) != 1 || !cs[0].WithdrawnAt.Equal(cs[0].GivenAt) {
		t.Fatalf("Bob's ledger %+v, %v", cs, err)
	}
	if rep, err := e.log.Verify(ctx, nil); err != nil || !rep.OK() || rep.Entries < 5 {
		t.Fatalf("audit chain: %+v, %v", rep, err)
	}
}

func bigger(dir string, n int64) bool {
	total := int64(0)
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	return total >= n
}

func readTrack(t *testing.T, svc *recordings.Service, rec, track string) []byte {
	t.Helper()
	pb, err := svc.OpenTrack(context.Background(), recordings.Viewer{Any: true}, rec, track)
	if err != nil {
		t.Fatal(err)
	}
	defer pb.Close()
	b, err := io.ReadAll(pb.Content())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func countFrames(t *testing.T, plain []byte) int64 {
	t.Helper()
	d := webmtest.Decode(t, plain)
	if d.Cut {
		t.Fatal("a track finished normally ends inside a block")
	}
	return int64(len(d.Frames))
}

// scanPlain fails when a file under dir holds the EBML magic or a marker.
func scanPlain(t *testing.T, dir string, markers ...string) {
	t.Helper()
	webmtest.ScanPlain(t, dir, markers...)
}
