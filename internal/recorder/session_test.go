package recorder

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/sfu"
	"github.com/conclave-meet/conclave/internal/testclock"
)

var epoch0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func newTestSession(t *testing.T, cat *memCatalog, tweak func(*Options)) (*Session, *testclock.Clock) {
	t.Helper()
	clk := testclock.New(epoch0)
	o := Options{RecordingID: "rec_1", MeetingID: "mtg_1", Catalog: cat, Clock: clk.Now, Logger: slog.New(slog.DiscardHandler)}
	if tweak != nil {
		tweak(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	return s, clk
}

func stop(t *testing.T, s *Session) {
	t.Helper()
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func attach(t *testing.T, s *Session, src *fakeSource) *sink {
	t.Helper()
	k := s.attach(src)
	if k == nil {
		t.Fatal("no sink")
	}
	return k
}

func TestRecordsEachConsentingTrack(t *testing.T) {
	cat := newMemCatalog(t)
	s, clk := newTestSession(t, cat, nil)
	s.Allow("p_ada", "acct_ada")
	cam, mic := newVideoSource("p_ada", ""), newAudioSource("p_ada")
	video := &feeder{k: attach(t, s, cam), l: cam.ls[0], s: newVideoStream(1111, "ADA-CAM"), adv: func(time.Duration) {}}
	audio := &feeder{k: attach(t, s, mic), l: mic.ls[0], s: newAudioStream(2222, "ADA-MIC"), adv: func(time.Duration) {}}
	clk.Advance(2 * time.Second)
	for i := range 150 { // 3 s: audio every 20 ms, video every 60 ms
		audio.one(false)
		if i%3 == 0 {
			video.one(video.n%30 == 0)
		}
		clk.Advance(20 * time.Millisecond)
	}
	stop(t, s)

	tracks := cat.tracks()
	if len(tracks) != 2 {
		t.Fatalf("%d track files, want 2", len(tracks))
	}
	for _, tr := range tracks {
		if !tr.Done || !tr.End.Complete {
			t.Fatalf("%s not finished complete: %+v", tr.ID, tr.End)
		}
		m := tr.Meta
		if m.RecordingID != "rec_1" || m.MeetingID != "mtg_1" || m.Owner != "p_ada" || m.Subject != "acct_ada" || m.Offset != 2*time.Second {
			t.Fatalf("meta %+v", m)
		}
		st, err := os.Stat(tr.File.Path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 || st.Size() != tr.End.Bytes {
			t.Fatalf("%s: mode %v, %d bytes, catalog says %d", tr.ID, st.Mode(), st.Size(), tr.End.Bytes)
		}
		d := decodeFile(t, tr.File)
		if !d.Complete || int64(len(d.Frames)) != tr.End.Frames {
			t.Fatalf("%s: complete %v, %d frames decoded, catalog %d", tr.ID, d.Complete, len(d.Frames), tr.End.Frames)
		}
		switch m.Kind {
		case "video":
			checkVideo(t, m, d)
		case "audio":
			checkAudio(t, m, d)
		default:
			t.Fatalf("kind %q", m.Kind)
		}
	}
	if st := s.Stats(); st.FilesOpened != 2 || st.FilesFinished != 2 || st.Frames != 200 {
		t.Fatalf("stats %+v", st)
	}
}

func checkVideo(t *testing.T, m TrackMeta, d decodedTrack) {
	t.Helper()
	if m.Codec != "VP8" || m.Source != "camera" || d.Entry.CodecID != "V_VP8" {
		t.Fatalf("video meta %+v, codec %s", m, d.Entry.CodecID)
	}
	if len(d.Frames) != 50 || !d.Frames[0].Key || !d.Frames[30].Key || d.Frames[1].Key {
		t.Fatalf("%d video frames", len(d.Frames))
	}
	for i, f := range d.Frames {
		if want := 2000 + int64(i)*3000*1000/90000; f.TC != want {
			t.Fatalf("video frame %d at %d ms, want %d", i, f.TC, want)
		}
	}
}

func checkAudio(t *testing.T, m TrackMeta, d decodedTrack) {
	t.Helper()
	if m.Codec != "opus" || m.Source != "microphone" || d.Entry.CodecID != "A_OPUS" {
		t.Fatalf("audio meta %+v, codec %s", m, d.Entry.CodecID)
	}
	if len(d.Frames) != 150 {
		t.Fatalf("%d audio frames", len(d.Frames))
	}
	for i, f := range d.Frames {
		if f.TC != 2000+int64(i)*20 {
			t.Fatalf("audio frame %d at %d ms", i, f.TC)
		}
	}
}

// TestDeclinedParticipantNeverReachesTheWriter: packets of someone who
// has not consented are refused in WriteRTP, and their bytes appear in no
// decrypted output and nowhere on disk.
func TestDeclinedParticipantNeverReachesTheWriter(t *testing.T) {
	cat := newMemCatalog(t)
	s, clk := newTestSession(t, cat, nil)
	s.Allow("p_ada", "acct_ada")
	s.Deny("p_bob")                                                                                    // declined
	ada, bob, cyd := newVideoSource("p_ada", ""), newVideoSource("p_bob", ""), newAudioSource("p_cyd") // cyd never answered
	fa := &feeder{k: attach(t, s, ada), l: ada.ls[0], s: newVideoStream(1, "ADA-OK"), adv: clk.Advance}
	fb := &feeder{k: attach(t, s, bob), l: bob.ls[0], s: newVideoStream(0xB0B, "BOB-SECRET"), adv: func(time.Duration) {}}
	fc := &feeder{k: attach(t, s, cyd), l: cyd.ls[0], s: newAudioStream(0xC1D, "CYD-SECRET"), adv: func(time.Duration) {}}
	for i := range 60 {
		fa.one(i%30 == 0)
		fb.one(i%30 == 0)
		fc.one(false)
	}
	if bob.asked(bob.ls[0]) != 0 {
		t.Fatal("a keyframe was asked of someone not recorded")
	}
	stop(t, s)

	if st := s.Stats(); st.Gated != 60*2+60 {
		t.Fatalf("%d packets gated, want %d", st.Gated, 60*2+60)
	}
	tracks := cat.tracks()
	if len(tracks) != 1 || tracks[0].Meta.Owner != "p_ada" {
		t.Fatalf("track files %+v", tracks)
	}
	d := decodeFile(t, tracks[0].File)
	if len(d.Frames) != 60 {
		t.Fatalf("%d frames of ada", len(d.Frames))
	}
	for _, secret := range []string{"BOB-SECRET", "CYD-SECRET", "\x00\x00\x0b\x0b", "\x00\x00\x0c\x1d"} {
		if strings.Contains(string(d.Plain), secret) {
			t.Fatalf("decrypted recording holds %q", secret)
		}
	}
	scanPlaintext(t, cat.dir, "BOB-SECRET", "CYD-SECRET", "ADA-OK")
}

// TestWithdrawnConsentEndsTheFile: after Deny nothing more is written,
// the file is finished as complete, and consent given again starts a new
// file at the next keyframe, with a later Offset.
func TestWithdrawnConsentEndsTheFile(t *testing.T) {
	cat := newMemCatalog(t)
	s, clk := newTestSession(t, cat, nil)
	s.Allow("p_ada", "acct_ada")
	cam := newVideoSource("p_ada", "")
	k := attach(t, s, cam)
	str := newVideoStream(7, "BEFORE")
	f := &feeder{k: k, l: cam.ls[0], s: str, adv: clk.Advance}
	f.frames(30, true, 0)
	eventually.True(t, "the queue to drain", func() bool { return len(k.queue) == 0 })

	s.Deny("p_ada")
	str.marker = "WITHDRAWN"
	f.frames(30, true, 10)
	eventually.True(t, "the first file to be finished", func() bool { return cat.finished() == 1 })

	s.Allow("p_ada", "acct_ada")
	str.marker = "AGAIN"
	asked := cam.asked(cam.ls[0])
	f.frames(5, false, 0)
	if cam.asked(cam.ls[0]) == asked {
		t.Fatal("consent given again did not ask for a keyframe")
	}
	f.frames(20, true, 0)
	stop(t, s)

	tracks := cat.tracks()
	if len(tracks) != 2 {
		t.Fatalf("%d files, want 2", len(tracks))
	}
	first, second := decodeFile(t, tracks[0].File), decodeFile(t, tracks[1].File)
	if !tracks[0].End.Complete || !first.Complete || len(first.Frames) == 0 {
		t.Fatalf("first file: %+v, %d frames", tracks[0].End, len(first.Frames))
	}
	for _, m := range first.markers() {
		if m != "BEFORE" {
			t.Fatalf("first file holds a frame marked %q", m)
		}
	}
	if len(second.Frames) != 20 || !second.Frames[0].Key {
		t.Fatalf("second file: %d frames", len(second.Frames))
	}
	for _, m := range second.markers() {
		if m != "AGAIN" {
			t.Fatalf("second file holds a frame marked %q", m)
		}
	}
	if o1, o2 := tracks[0].Meta.Offset, tracks[1].Meta.Offset; o1 != 0 || o2 <= time.Second || second.Frames[0].TC != o2.Milliseconds() {
		t.Fatalf("offsets %v, %v; second file starts at %d ms", o1, o2, second.Frames[0].TC)
	}
}

// TestFollowsTheBestLayer: a simulcast camera is recorded from its best
// layer, switching at a keyframe of the target (asked for) both up, when
// the high layer starts, and down, when it stops, with time going on
// across the switches.
func TestFollowsTheBestLayer(t *testing.T) {
	cat := newMemCatalog(t)
	s, clk := newTestSession(t, cat, nil)
	s.Allow("p_ada", "acct_ada")
	cam := newVideoSource("p_ada", "l", "h")
	lo, hi := cam.ls[0], cam.ls[1]
	k := attach(t, s, cam)
	fl := &feeder{k: k, l: lo, s: newVideoStream(10, "LOW"), adv: func(time.Duration) {}}
	fh := &feeder{k: k, l: hi, s: newVideoStream(20, "HIGH"), adv: func(time.Duration) {}}
	tick := func() { clk.Advance(time.Second / 30) }

	fl.frames(1, true, 0) // only the low layer so far
	tick()
	for range 10 {
		fl.one(false)
		tick()
	}
	for range 5 { // the high layer starts, without a keyframe yet
		fl.one(false)
		fh.one(false)
		tick()
	}
	if cam.asked(hi) == 0 {
		t.Fatal("no keyframe asked of the better layer")
	}
	fl.one(false)
	fh.one(true) // the switch
	tick()
	for range 20 {
		fl.one(false)
		fh.one(false)
		tick()
	}
	for range 40 { // the high layer stops; after a second the low one is best again
		fl.one(false)
		tick()
	}
	if cam.asked(lo) == 0 {
		t.Fatal("no keyframe asked of the low layer once the high one stopped")
	}
	fl.one(true)
	tick()
	for range 5 {
		fl.one(false)
		tick()
	}
	stop(t, s)

	tracks := cat.tracks()
	if len(tracks) != 1 {
		t.Fatalf("%d files, want 1", len(tracks))
	}
	d := decodeFile(t, tracks[0].File)
	var runs []string
	for i, m := range d.markers() {
		if len(runs) == 0 || runs[len(runs)-1] != m {
			if !d.Frames[i].Key {
				t.Fatalf("frame %d switches to %s without a keyframe", i, m)
			}
			runs = append(runs, m)
		}
		if i > 0 && d.Frames[i].TC <= d.Frames[i-1].TC {
			t.Fatalf("frame %d: %d ms after the one before", i, d.Frames[i].TC-d.Frames[i-1].TC)
		}
	}
	if strings.Join(runs, ",") != "LOW,HIGH,LOW" {
		t.Fatalf("layers recorded: %v", runs)
	}
	// Each layer's RTP clock has its own base, yet the file's time is the
	// capture time: the last frame was sent 82 frame times after the first.
	if got, want := d.Frames[len(d.Frames)-1].TC, int64(82*1000/30); got < want-2 || got > want+2 {
		t.Fatalf("last frame at %d ms, want %d", got, want)
	}
}

// TestReconnectStartsANewFile: a publisher's new track after a reconnect
// gets its own file; the recording goes on.
func TestReconnectStartsANewFile(t *testing.T) {
	cat := newMemCatalog(t)
	s, clk := newTestSession(t, cat, nil)
	s.Allow("p_ada", "acct_ada")
	for i, marker := range []string{"FIRST", "SECOND"} {
		cam := newVideoSource("p_ada", "")
		k := attach(t, s, cam)
		f := &feeder{k: k, l: cam.ls[0], s: newVideoStream(uint32(100+i), marker), adv: clk.Advance}
		f.frames(15, true, 0)
		k.Close()
		if k.offer(cam.ls[0], newVideoStream(1, "LATE").frame(true, 1)[0], true) {
			t.Fatal("a closed sink took a packet")
		}
		eventually.True(t, "the file to be finished", func() bool { return cat.finished() == i+1 })
	}
	stop(t, s)
	tracks := cat.tracks()
	if len(tracks) != 2 || tracks[1].Meta.Offset <= tracks[0].Meta.Offset {
		t.Fatalf("files %+v", tracks)
	}
	for i, tr := range tracks {
		d := decodeFile(t, tr.File)
		if !tr.End.Complete || len(d.Frames) != 15 || d.markers()[0] != []string{"FIRST", "SECOND"}[i] {
			t.Fatalf("file %d: %+v, %d frames", i, tr.End, len(d.Frames))
		}
	}
}

// TestLowDiskStopsCleanly: a recording does not start without MinFree
// bytes, and stops itself when free space runs low: every file finished,
// marked incomplete, still playable; OnFault hears ErrDiskLow once.
func TestLowDiskStopsCleanly(t *testing.T) {
	var free atomic.Int64
	free.Store(10)
	cat := newMemCatalog(t)
	_, err := New(Options{Catalog: cat, FreeSpace: func() (int64, error) { return free.Load(), nil }, MinFree: 1000})
	if !errors.Is(err, ErrDiskLow) {
		t.Fatalf("New with a full disk: %v", err)
	}

	free.Store(1 << 30)
	faults := make(chan error, 2)
	s, clk := newTestSession(t, cat, func(o *Options) {
		o.FreeSpace = func() (int64, error) { return free.Load(), nil }
		o.MinFree = 1000
		o.OnFault = func(err error) { faults <- err }
	})
	s.Allow("p_ada", "acct_ada")
	cam, mic := newVideoSource("p_ada", ""), newAudioSource("p_ada")
	fv := &feeder{k: attach(t, s, cam), l: cam.ls[0], s: newVideoStream(1, "CAM"), adv: func(time.Duration) {}}
	fa := &feeder{k: attach(t, s, mic), l: mic.ls[0], s: newAudioStream(2, "MIC"), adv: clk.Advance}
	for i := range 100 {
		fa.one(false)
		fv.one(i%30 == 0)
	}
	eventually.True(t, "the queues to drain", func() bool { return len(fv.k.queue)+len(fa.k.queue) == 0 })
	free.Store(10)
	for i := 0; len(faults) == 0; i++ {
		fa.one(false)
		fv.one(i%30 == 0)
		if i > 100_000 {
			t.Fatal("low disk never noticed")
		}
	}
	if err := <-faults; !errors.Is(err, ErrDiskLow) {
		t.Fatalf("OnFault(%v)", err)
	}
	tracks := cat.tracks()
	if len(tracks) != 2 {
		t.Fatalf("%d files", len(tracks))
	}
	for _, tr := range tracks {
		if !tr.Done || tr.End.Complete {
			t.Fatalf("%s: %+v, want finished incomplete", tr.ID, tr.End)
		}
		if d := decodeFile(t, tr.File); len(d.Frames) < 100 {
			t.Fatalf("%s: %d frames playable", tr.ID, len(d.Frames))
		}
	}
	if s.attach(newAudioSource("p_bob")) != nil {
		t.Fatal("a stopped recording took a new track")
	}
	stop(t, s)
	if len(faults) != 0 {
		t.Fatal("OnFault called twice")
	}
}

// TestNoPlaintextOnDisk scans every file the recording wrote, while it
// runs (after flushes) and after it stopped.
func TestNoPlaintextOnDisk(t *testing.T) {
	cat := newMemCatalog(t)
	s, clk := newTestSession(t, cat, nil)
	s.Allow("p_ada", "acct_ada")
	cam, mic := newVideoSource("p_ada", ""), newAudioSource("p_ada")
	fv := &feeder{k: attach(t, s, cam), l: cam.ls[0], s: newVideoStream(1, "PLAIN-VIDEO-PATTERN"), adv: func(time.Duration) {}}
	fa := &feeder{k: attach(t, s, mic), l: mic.ls[0], s: newAudioStream(2, "PLAIN-AUDIO-PATTERN"), adv: clk.Advance}
	for i := range 200 {
		fa.one(false)
		fv.one(i%30 == 0)
	}
	eventually.True(t, "both files to hold flushed chunks", func() bool {
		for _, tr := range cat.tracks() {
			if st, err := os.Stat(tr.File.Path); err != nil || st.Size() < 1000 {
				return false
			}
		}
		return len(cat.tracks()) == 2
	})
	scanPlaintext(t, cat.dir, "PLAIN-VIDEO-PATTERN", "PLAIN-AUDIO-PATTERN", "OpusHead", "webm")
	stop(t, s)
	scanPlaintext(t, cat.dir, "PLAIN-VIDEO-PATTERN", "PLAIN-AUDIO-PATTERN", "OpusHead", "webm")
}

// TestCrashCutFilePlays copies a track file while it is being written, as
// kill -9 would leave it: it opens as incomplete and plays up to the last
// flush.
func TestCrashCutFilePlays(t *testing.T) {
	cat := newMemCatalog(t)
	s, clk := newTestSession(t, cat, nil)
	s.Allow("p_ada", "acct_ada")
	cam := newVideoSource("p_ada", "")
	k := attach(t, s, cam)
	f := &feeder{k: k, l: cam.ls[0], s: newVideoStream(1, "CUT"), adv: clk.Advance}
	f.frames(95, true, 30) // keyframes at 0, 30, 60, 90: flushed there
	eventually.True(t, "the queue to drain", func() bool { return len(k.queue) == 0 && len(cat.tracks()) == 1 })
	tr := cat.tracks()[0]
	var d decodedTrack
	eventually.True(t, "the fourth keyframe on disk", func() bool {
		b, err := os.ReadFile(tr.File.Path)
		if err != nil {
			t.Fatal(err)
		}
		cut := tr.File
		cut.Path = tr.File.Path + ".cut"
		os.Remove(cut.Path)
		if err := os.WriteFile(cut.Path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		d = decodeFile(t, cut)
		return len(d.Frames) >= 91
	})
	if d.Complete || len(d.Frames) > 95 || !d.Frames[90].Key {
		t.Fatalf("cut file: complete %v, %d frames", d.Complete, len(d.Frames))
	}
	stop(t, s)
}

// TestFullQueueDropsAndResyncsAtAKeyframe: while the sink's goroutine is
// stuck (a slow catalog), WriteRTP drops instead of blocking, then asks
// for a keyframe and resumes there.
func TestFullQueueDropsAndResyncsAtAKeyframe(t *testing.T) {
	cat := newMemCatalog(t)
	cat.gate = make(chan struct{})
	s, clk := newTestSession(t, cat, nil)
	s.queueLen = 8
	s.Allow("p_ada", "acct_ada")
	cam := newVideoSource("p_ada", "")
	f := &feeder{k: attach(t, s, cam), l: cam.ls[0], s: newVideoStream(1, "Q"), adv: clk.Advance}
	f.frames(20, true, 0) // 40 packets into a queue of 8 behind a stuck goroutine
	if s.Stats().Dropped == 0 {
		t.Fatal("nothing dropped")
	}
	asked := cam.asked(cam.ls[0])
	close(cat.gate)
	eventually.True(t, "the queue to drain", func() bool { return len(f.k.queue) == 0 })
	f.frames(3, false, 0)
	if cam.asked(cam.ls[0]) == asked {
		t.Fatal("no keyframe asked after the drops")
	}
	for i := range 10 { // at the goroutine's pace now: the queue is tiny
		f.one(i == 0)
		eventually.True(t, "the queue to drain", func() bool { return len(f.k.queue) == 0 })
	}
	stop(t, s)
	d := decodeFile(t, cat.tracks()[0].File)
	if len(d.Frames) < 11 || !d.Frames[0].Key {
		t.Fatalf("%d frames: %v, %+v", len(d.Frames), d.markers(), s.Stats())
	}
	if tail := d.Frames[len(d.Frames)-10:]; !tail[0].Key {
		t.Fatal("the recording did not resume at the keyframe")
	}
}

func TestStopIsIdempotent(t *testing.T) {
	cat := newMemCatalog(t)
	s, _ := newTestSession(t, cat, nil)
	stop(t, s)
	stop(t, s)
	if s.attach(newVideoSource("p", "")) != nil {
		t.Fatal("a stopped recording took a new track")
	}
}

// precreating is a catalog whose first path already exists: the recorder
// must not write over it (O_EXCL), and tells the catalog the file ended
// empty.
type precreating struct{ *memCatalog }

func (c precreating) AddTrack(ctx context.Context, m TrackMeta) (TrackFile, error) {
	tf, err := c.memCatalog.AddTrack(ctx, m)
	if err == nil && tf.ID == "trk_1" {
		err = os.WriteFile(tf.Path, []byte("someone else's"), 0o600)
	}
	return tf, err
}

func TestExistingFileIsNotOverwritten(t *testing.T) {
	cat := newMemCatalog(t)
	clk := testclock.New(epoch0)
	s, err := New(Options{Catalog: precreating{cat}, Clock: clk.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	s.Allow("p_ada", "acct_ada")
	cam := newVideoSource("p_ada", "")
	f := &feeder{k: attach(t, s, cam), l: cam.ls[0], s: newVideoStream(1, "X"), adv: clk.Advance}
	f.frames(10, true, 3)
	stop(t, s)
	tracks := cat.tracks()
	if len(tracks) != 1 || !tracks[0].Done || tracks[0].End != (TrackEnd{}) {
		t.Fatalf("tracks %+v", tracks)
	}
	if b, _ := os.ReadFile(tracks[0].File.Path); string(b) != "someone else's" {
		t.Fatal("an existing file was overwritten")
	}
	if st := s.Stats(); st.FilesOpened != 0 {
		t.Fatalf("stats %+v (the refusal is not retried before consent changes)", st)
	}
}

// TestRecordsAScreenShare: a screen share is one more consenting video
// track: it gets its own file, catalogued as the "screen" source beside
// the same person's camera, and plays as VP8 WebM from the recording's
// clock like the camera does.
func TestRecordsAScreenShare(t *testing.T) {
	cat := newMemCatalog(t)
	s, clk := newTestSession(t, cat, nil)
	s.Allow("p_ada", "acct_ada")
	cam, screen := newVideoSource("p_ada", ""), newVideoSource("p_ada", "")
	screen.source = sfu.SourceScreen
	fc := &feeder{k: attach(t, s, cam), l: cam.ls[0], s: newVideoStream(1111, "ADA-CAM"), adv: func(time.Duration) {}}
	fs := &feeder{k: attach(t, s, screen), l: screen.ls[0], s: newVideoStream(3333, "ADA-SCREEN"), adv: func(time.Duration) {}}
	clk.Advance(time.Second)
	for i := range 60 { // 2 s at 30 frames a second
		fc.one(i%30 == 0)
		fs.one(i%30 == 0)
		clk.Advance(time.Second / 30)
	}
	stop(t, s)

	sources := map[string]decodedTrack{}
	for _, tr := range cat.tracks() {
		if !tr.Done || !tr.End.Complete || tr.Meta.Kind != "video" || tr.Meta.Codec != "VP8" || tr.Meta.Subject != "acct_ada" {
			t.Fatalf("%s: %+v, %+v", tr.ID, tr.Meta, tr.End)
		}
		d := decodeFile(t, tr.File)
		if !d.Complete || d.Cut || d.Entry.CodecID != "V_VP8" || int64(len(d.Frames)) != tr.End.Frames {
			t.Fatalf("%s (%s): complete %v, cut %v, codec %s, %d frames, catalog %d",
				tr.ID, tr.Meta.Source, d.Complete, d.Cut, d.Entry.CodecID, len(d.Frames), tr.End.Frames)
		}
		sources[tr.Meta.Source] = d
	}
	d, screenOK := sources["screen"]
	if _, camOK := sources["camera"]; len(sources) != 2 || !screenOK || !camOK {
		t.Fatalf("sources %v, want camera and screen", keys(sources))
	}
	if len(d.Frames) != 60 || !d.Frames[0].Key || !d.Frames[30].Key || d.Frames[1].Key || d.Frames[0].TC != 1000 {
		t.Fatalf("screen: %d frames, first at %d ms", len(d.Frames), d.Frames[0].TC)
	}
	for i, m := range d.markers() {
		if m != "ADA-SCREEN" {
			t.Fatalf("screen frame %d carries %q", i, m)
		}
	}
	scanPlaintext(t, cat.dir, "ADA-CAM", "ADA-SCREEN")
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
