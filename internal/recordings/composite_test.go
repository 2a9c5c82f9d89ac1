package recordings

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// synth makes a short WebM with ffmpeg's test sources: VP8 video or Opus
// audio, as the recorder writes them.
func synth(t *testing.T, kind string) []byte {
	t.Helper()
	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-f", "lavfi"}
	if kind == store.TrackVideo {
		args = append(args, "-i", "testsrc=size=320x240:rate=15", "-t", "1", "-c:v", "libvpx", "-deadline", "realtime")
	} else {
		args = append(args, "-i", "sine=frequency=440:sample_rate=48000", "-t", "1", "-c:a", "libopus")
	}
	out, err := exec.Command("ffmpeg", append(args, "-f", "webm", "pipe:1")...).Output()
	if err != nil {
		t.Fatalf("synthesise %s: %v", kind, err)
	}
	return out
}

type probe struct {
	Streams []struct {
		CodecType string `json:"codec_type"`
		CodecName string `json:"codec_name"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
	} `json:"streams"`
	Format struct {
		Duration string `json:"duration"`
	} `json:"format"`
}

// TestCompositeWithFFmpeg: two videos and two audio tracks at offsets
// become one WebM, sealed, with a 2×1 grid and mixed audio, listed with
// the recording and naming the people in it.
func TestCompositeWithFFmpeg(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	ctx := context.Background()
	e := newEnv(t)
	id := e.begin(t, meetingA)
	e.record(t, id, "p_a", "u_ana", store.TrackVideo, 0, synth(t, store.TrackVideo))
	e.record(t, id, "p_a", "u_ana", store.TrackAudio, 0, synth(t, store.TrackAudio))
	e.record(t, id, "p_g", "p_g", store.TrackVideo, 500*time.Millisecond, synth(t, store.TrackVideo))
	e.record(t, id, "p_g", "p_g", store.TrackAudio, 500*time.Millisecond, synth(t, store.TrackAudio))
	if _, err := e.svc.Composite(ctx, host, id); !errors.Is(err, ErrActive) {
		t.Fatalf("composite of a running recording: %v", err)
	}
	if err := e.svc.End(ctx, id, "stopped"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Composite(ctx, Viewer{AccountID: "u_ana"}, id); !errors.Is(err, ErrForbidden) {
		t.Fatalf("composite by a non-host: %v", err)
	}
	comp, err := e.svc.Composite(ctx, host, id)
	if err != nil {
		t.Fatal(err)
	}
	if comp.Kind != store.TrackComposite || comp.Codec != "VP8+opus" || strings.Join(comp.Subjects, ",") != "u_ana,p_g" {
		t.Fatalf("composite %+v", comp)
	}
	plain := readAll(t, mustOpen(t, e, host, id, comp.ID))
	cmd := exec.Command("ffprobe", "-v", "error", "-of", "json", "-show_streams", "-show_format", "-i", "pipe:0")
	cmd.Stdin = bytes.NewReader(plain)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	var p probe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	var video, audio bool
	for _, s := range p.Streams {
		video = video || (s.CodecType == "video" && s.CodecName == "vp8" && s.Width == 2*cellW && s.Height == cellH)
		audio = audio || (s.CodecType == "audio" && s.CodecName == "opus")
	}
	if !video || !audio {
		t.Fatalf("composite streams: %s", out)
	}
	sum, err := e.svc.Get(ctx, host, id)
	if err != nil || len(sum.Tracks) != 5 || sum.Tracks[4].ID != comp.ID {
		t.Fatalf("listed: %+v %v", sum.Tracks, err)
	}
}

// TestCompositeInBackground: StartComposite returns at once; the
// recording shows as exporting until the composite is listed.
func TestCompositeInBackground(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	ctx := context.Background()
	e := newEnv(t)
	id := e.begin(t, meetingA)
	e.record(t, id, "p_a", "u_ana", store.TrackAudio, 0, synth(t, store.TrackAudio))
	if err := e.svc.End(ctx, id, "stopped"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.StartComposite(ctx, host, id); err != nil {
		t.Fatal(err)
	}
	e.svc.wg.Wait() // the background run
	sum, err := e.svc.Get(ctx, host, id)
	if err != nil || sum.Exporting || len(sum.Tracks) != 2 || sum.Tracks[1].Kind != store.TrackComposite || sum.Tracks[1].Codec != "opus" {
		t.Fatalf("after background composite: %+v %v", sum, err)
	}
}

func TestNoFFmpeg(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.FFmpeg = "off" })
	if ok, what := e.svc.FFmpeg(); ok || !strings.Contains(what, "not installed") {
		t.Fatalf("FFmpeg() = %v %q", ok, what)
	}
	id := e.begin(t, meetingA)
	if err := e.svc.StartComposite(context.Background(), host, id); !errors.Is(err, ErrNoFFmpeg) {
		t.Fatalf("without ffmpeg: %v", err)
	}
}

func TestFFmpegArgsRespectOffsets(t *testing.T) {
	args := strings.Join(ffmpegArgs([]store.RecordingTrack{
		{Kind: store.TrackVideo}, {Kind: store.TrackAudio, Offset: 1500 * time.Millisecond},
		{Kind: store.TrackVideo, Offset: 2 * time.Second}, {Kind: store.TrackVideo}, {Kind: store.TrackAudio},
	}), " ")
	for _, want := range []string{"-i pipe:3", "-i pipe:7", "adelay=1500:all=1", "tpad=start_duration=2.000",
		"xstack=inputs=3:layout=0_0|640_0|0_360", "amix=inputs=2", "-f webm pipe:1"} {
		if !strings.Contains(args, want) {
			t.Errorf("args lack %q: %s", want, args)
		}
	}
}
