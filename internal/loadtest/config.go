// Package loadtest runs synthetic participants against a Conclave server
// and measures what it forwards: traffic, loss, latency through the server,
// time to first media, and (from the server's Prometheus metrics) the CPU
// and memory that cost. Participants use internal/client, so they join
// through the real signalling protocol and publish real VP8 simulcast and
// Opus like browsers do. docs/loadtest.md explains the figures.
package loadtest

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Scenario is the shape of a meeting.
type Scenario string

const (
	// ScenarioMeeting: every participant publishes audio and video and
	// subscribes to everyone else.
	ScenarioMeeting Scenario = "meeting"
	// ScenarioWebinar: presenters (usually one) publish audio and video to
	// subscribe-only attendees.
	ScenarioWebinar Scenario = "webinar"
	// ScenarioAudio: speakers publish audio only, listeners subscribe.
	ScenarioAudio Scenario = "audio"
)

// Config describes one load run.
type Config struct {
	// URL is the signalling websocket, ws://host:port/ws.
	URL string
	// URLs, instead of URL, names several signalling websockets (a
	// cluster's nodes): participants are assigned to them round-robin, so
	// that they reach their meetings through different nodes, as they do
	// behind one public name.
	URLs      []string
	MeetingID string
	Passcode  string
	// Meetings, instead of MeetingID and Passcode, runs several meetings at
	// once, each with the scenario's full set of participants, so that a
	// cluster can spread them over its nodes.
	Meetings []Meeting
	Scenario Scenario
	// NoticeVersion is the privacy notice version accepted for the
	// synthetic participants; 0: the current one, fetched from the server.
	NoticeVersion int
	// Publishers is the number of participants who publish (meeting
	// participants, webinar presenters, audio speakers). 0: the scenario's
	// default (4, 1, 2). Publishers subscribe too.
	Publishers int
	// Subscribers is the number of subscribe-only participants. 0: the
	// scenario's default (0 for a meeting, else 10).
	Subscribers int
	// Duration is the measured window (default 30 s).
	Duration time.Duration
	// Ramp spreads the joins evenly over this time; publishers join first.
	Ramp time.Duration
	// Settle is the wait between the last join and the measured window, for
	// connections, keyframes and simulcast layer choices to settle
	// (default 2 s; negative: none).
	Settle time.Duration
	// JoinTimeout bounds one participant's join (default 20 s).
	JoinTimeout time.Duration
	// VideoKbps is the camera's top-layer target in kbit/s; the low layer
	// aims at a quarter. Frames are padded up to it; the clips' own rate is
	// the floor (0: the clips as encoded).
	VideoKbps int
	// Simulcast publishes the camera as two layers (320x180 and 640x360);
	// otherwise only the top one. The command line defaults it to true.
	Simulcast bool
	// MetricsURL is the server's Prometheus endpoint (optional);
	// MetricsToken its bearer token, if it needs one.
	MetricsURL string
	// MetricsURLs, instead of MetricsURL, names one endpoint per node: the
	// server figures (CPU, memory, packets) are their sums.
	MetricsURLs  []string
	MetricsToken string
	// Media is what publishers send (nil: the embedded clips).
	Media *Media
	// Logger receives progress and problems (nil: slog.Default()).
	Logger *slog.Logger
}

// Meeting is one meeting of a run.
type Meeting struct {
	ID       string `json:"id"`
	Passcode string `json:"-"`
}

// maxParticipants keeps a mistyped flag from starting thousands of peer
// connections on one machine.
const maxParticipants = 500

// normalize fills defaults and checks the configuration.
func (c *Config) normalize() error {
	switch c.Scenario {
	case ScenarioMeeting, ScenarioWebinar, ScenarioAudio:
	case "":
		c.Scenario = ScenarioMeeting
	default:
		return fmt.Errorf("loadtest: unknown scenario %q (meeting, webinar or audio)", c.Scenario)
	}
	c.defaultCounts()
	if err := c.normalizeTargets(); err != nil {
		return err
	}
	switch {
	case c.Publishers < 1 || c.Subscribers < 0:
		return fmt.Errorf("loadtest: %d publishers and %d subscribers: need at least one publisher", c.Publishers, c.Subscribers)
	case len(c.Meetings)*(c.Publishers+c.Subscribers) > maxParticipants:
		return fmt.Errorf("loadtest: %d participants in all, at most %d", len(c.Meetings)*(c.Publishers+c.Subscribers), maxParticipants)
	case c.Duration < 0 || c.Ramp < 0 || c.VideoKbps < 0:
		return errors.New("loadtest: negative duration, ramp or bitrate")
	}
	c.defaultTimes()
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Media == nil {
		m, err := DefaultMedia()
		if err != nil {
			return err
		}
		c.Media = m
	}
	if len(c.Media.Layers) == 0 || c.Media.Audio == nil {
		return errors.New("loadtest: media needs at least one video layer and audio")
	}
	return nil
}

// normalizeTargets folds the single URL, meeting and metrics endpoint into
// their lists, which the run uses, and checks them.
func (c *Config) normalizeTargets() error {
	switch {
	case c.URL != "" && len(c.URLs) > 0:
		return errors.New("loadtest: set URL or URLs, not both")
	case c.MeetingID != "" && len(c.Meetings) > 0:
		return errors.New("loadtest: set MeetingID or Meetings, not both")
	case c.MetricsURL != "" && len(c.MetricsURLs) > 0:
		return errors.New("loadtest: set MetricsURL or MetricsURLs, not both")
	}
	if c.URL != "" || len(c.URLs) == 0 {
		c.URLs = []string{c.URL}
	}
	if len(c.Meetings) == 0 {
		c.Meetings = []Meeting{{ID: c.MeetingID, Passcode: c.Passcode}}
	}
	if c.MetricsURL != "" {
		c.MetricsURLs = []string{c.MetricsURL}
	}
	for _, u := range c.URLs {
		if !strings.HasPrefix(u, "ws://") && !strings.HasPrefix(u, "wss://") {
			return fmt.Errorf("loadtest: URL %q is not a ws:// or wss:// URL", u)
		}
	}
	for _, u := range c.MetricsURLs {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return fmt.Errorf("loadtest: metrics URL %q is not an http:// or https:// URL", u)
		}
	}
	return c.checkMeetings()
}

// checkMeetings refuses meetings without an ID, or given twice.
func (c *Config) checkMeetings() error {
	seen := map[string]bool{}
	for i, m := range c.Meetings {
		switch {
		case m.ID == "" && len(c.Meetings) == 1:
			return errors.New("loadtest: no meeting ID")
		case m.ID == "":
			return fmt.Errorf("loadtest: meeting %d has no ID", i+1)
		case seen[m.ID]:
			// Two runs in one meeting would count each other's media.
			return fmt.Errorf("loadtest: meeting %s given twice", m.ID)
		}
		seen[m.ID] = true
	}
	return nil
}

func (c *Config) defaultCounts() {
	if c.Publishers == 0 {
		c.Publishers = map[Scenario]int{ScenarioMeeting: 4, ScenarioWebinar: 1, ScenarioAudio: 2}[c.Scenario]
	}
	if c.Subscribers == 0 && c.Scenario != ScenarioMeeting {
		c.Subscribers = 10
	}
}

func (c *Config) defaultTimes() {
	if c.Duration == 0 {
		c.Duration = 30 * time.Second
	}
	if c.Settle == 0 {
		c.Settle = 2 * time.Second
	}
	c.Settle = max(c.Settle, 0)
	if c.JoinTimeout == 0 {
		c.JoinTimeout = 20 * time.Second
	}
}

// roles lists the participants in join order: meeting after meeting, so
// that a cluster's heartbeats can report one meeting's load before the
// next is placed; in each, publishers first, so that subscribers find
// media when they arrive, as in a real webinar. Participants are assigned
// to the URLs round-robin. With several meetings, names carry the
// meeting's number.
func (c *Config) roles() []role {
	var out []role
	video := c.Scenario != ScenarioAudio
	add := func(m int, name string, publish bool) {
		if len(c.Meetings) > 1 {
			name = fmt.Sprintf("m%d-%s", m+1, name)
		}
		url := c.URLs[len(out)%len(c.URLs)]
		out = append(out, role{name: name, meeting: m, url: url, audio: publish, video: publish && video})
	}
	for m := range c.Meetings {
		for i := range c.Publishers {
			add(m, fmt.Sprintf("pub-%d", i+1), true)
		}
		for i := range c.Subscribers {
			add(m, fmt.Sprintf("sub-%d", i+1), false)
		}
	}
	return out
}

// deadline bounds the whole run: joins, settling, the window, leaving.
func (c *Config) deadline() time.Duration {
	return c.Ramp + c.JoinTimeout + c.Settle + c.Duration + 30*time.Second
}
