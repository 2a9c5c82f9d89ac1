package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/client"
)

// role is what a synthetic participant publishes; every participant
// subscribes to whatever the server forwards, as a browser does.
type role struct {
	name         string
	meeting      int    // index into Config.Meetings
	url          string // the signalling URL it joins through
	audio, video bool
}

// participant is one synthetic browser.
type participant struct {
	role role
	env  *runEnv
	log  *slog.Logger

	c       atomic.Pointer[client.Client]
	joinErr error

	recv  receiver
	tiles *tiles
	sent  sentCounter
	// hintErrors counts video_size messages that could not be sent.
	hintErrors atomic.Int64
}

// runEnv is what all participants of a run share.
type runEnv struct {
	cfg    Config
	clock  clock
	window window
	log    *slog.Logger
}

func newParticipant(env *runEnv, r role) *participant {
	p := &participant{role: r, env: env, log: env.log.With("participant", r.name)}
	p.recv = receiver{clock: env.clock, window: &env.window}
	p.tiles = newTiles(func(err error) {
		if p.hintErrors.Add(1) == 1 {
			p.log.Warn("video_size not sent", "err", err)
		}
	})
	return p
}

// join connects and starts publishing; media loops run until ctx ends and
// are counted in wg.
func (p *participant) join(ctx, media context.Context, wg *sync.WaitGroup) error {
	cfg := p.env.cfg
	m := cfg.Meetings[p.role.meeting]
	c, err := client.Dial(ctx, p.role.url, client.Hello{MeetingID: m.ID, Passcode: m.Passcode, Name: p.role.name,
		NoticeVersion: cfg.NoticeVersion},
		client.Options{Simulcast: cfg.Simulcast, OnTrack: p.onTrack, OnMessage: p.onMessage})
	if err != nil {
		return fmt.Errorf("join as %s: %w", p.role.name, err)
	}
	p.c.Store(c)
	p.tiles.attach(c.Send)
	pub := &publisher{clock: p.env.clock, window: &p.env.window, sent: &p.sent, keyframe: c.TakeKeyframeRequest}
	if p.role.video {
		layers := p.layers()
		wg.Go(func() { pub.sendVideo(media, layers, c.WriteVideo) })
	}
	if p.role.audio {
		wg.Go(func() { pub.sendAudio(media, cfg.Media.Audio, c.WriteAudio) })
	}
	return nil
}

// layers builds the camera's sources: both clips with simulcast, else the
// top one. The top layer aims at VideoKbps, the low one at a quarter.
func (p *participant) layers() []*layerSource {
	cfg := p.env.cfg
	clips := cfg.Media.Layers
	if !cfg.Simulcast {
		clips = clips[len(clips)-1:]
	}
	out := make([]*layerSource, len(clips))
	for i, clip := range clips {
		target := float64(cfg.VideoKbps) * 1000
		for range len(clips) - 1 - i {
			target /= 4
		}
		out[i] = newLayerSource(clip, target)
	}
	return out
}

// onTrack runs for each forwarded track on a Pion goroutine, possibly
// before join has returned.
func (p *participant) onTrack(owner, source string, t *webrtc.TrackRemote) {
	if source == "camera" {
		p.tiles.show(owner)
		defer p.tiles.hide(owner)
	}
	p.recv.read(owner, source, t)
}

// onMessage hides the tile of a participant who left.
func (p *participant) onMessage(typ string, data json.RawMessage) {
	if typ != "participant_left" {
		return
	}
	var m struct {
		ID string `json:"participant_id"`
	}
	if json.Unmarshal(data, &m) == nil && m.ID != "" {
		p.tiles.hide(m.ID)
	}
}

// id is the server's participant ID ("" when not joined).
func (p *participant) id() string {
	if c := p.c.Load(); c != nil {
		return c.ID()
	}
	return ""
}

// leave closes the client, if it joined.
func (p *participant) leave() {
	p.tiles.close()
	if c := p.c.Load(); c != nil {
		c.Close()
	}
}
