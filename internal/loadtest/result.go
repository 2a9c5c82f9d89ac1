package loadtest

import (
	"time"
)

// Result is one run's measurements. Traffic, loss and latency cover the
// measured window only; join times cover the ramp.
type Result struct {
	Scenario Scenario `json:"scenario"`
	// Publishers and Subscribers are per meeting; Joined counts all
	// meetings.
	Publishers  int `json:"publishers"`
	Subscribers int `json:"subscribers"`
	Joined      int `json:"joined"`
	// URLs is the number of signalling URLs participants were spread over.
	URLs int `json:"urls"`
	// Meetings are the per-meeting figures when the run had several; the
	// other figures are totals over all of them.
	Meetings   []MeetingResult `json:"meetings,omitempty"`
	JoinErrors []string        `json:"join_errors,omitempty"`
	// Disconnected counts participants whose signalling connection ended
	// before the window closed (the server sent them away, or it failed).
	Disconnected int       `json:"disconnected"`
	VideoKbps    int       `json:"video_kbps"`
	Simulcast    bool      `json:"simulcast"`
	Ramp         float64   `json:"ramp_s"`
	Settle       float64   `json:"settle_s"`
	Start        time.Time `json:"window_start"`
	Window       float64   `json:"window_s"`

	// Sent is what all publishers wrote (RTP header and payload, trailer
	// included; no SRTP, UDP or IP overhead).
	Sent      Rates `json:"sent"`
	SentVideo Rates `json:"sent_video"`
	SentAudio Rates `json:"sent_audio"`
	// Received is what all participants read from their forwarded tracks,
	// duplicates (retransmissions) included.
	Received      Rates `json:"received"`
	ReceivedVideo Rates `json:"received_video"`
	ReceivedAudio Rates `json:"received_audio"`

	// Loss sums every received stream's sequence accounting.
	Loss      Loss    `json:"loss"`
	LossRatio float64 `json:"loss_ratio"`
	// WorstLossRatio is the highest loss ratio of one receiver.
	WorstLossRatio float64 `json:"worst_receiver_loss_ratio"`

	// Latency is publisher write to subscriber read, through the server, of
	// every first arrival in the window.
	Latency Percentiles `json:"latency"`
	// FirstMedia is, per receiver, the time from joining (hello sent, or the
	// first other publisher starting to send if that was later) to the
	// first complete video frame (audio packet in the audio scenario).
	FirstMedia        Percentiles `json:"join_to_first_media"`
	FirstMediaKind    string      `json:"first_media_kind"`
	FirstMediaMissing int         `json:"first_media_missing"`

	Server    *ServerMetrics   `json:"server,omitempty"`
	Receivers []ReceiverResult `json:"receivers"`
}

// ReceiverResult is one participant's receiving side.
type ReceiverResult struct {
	Name string `json:"name"`
	ID   string `json:"id"`
	// Expected* are the other publishers' streams the server should
	// forward; VideoStreams and AudioStreams those that delivered packets
	// in the window.
	ExpectedVideo int         `json:"expected_video"`
	ExpectedAudio int         `json:"expected_audio"`
	VideoStreams  int         `json:"video_streams"`
	AudioStreams  int         `json:"audio_streams"`
	Received      Rates       `json:"received"`
	Loss          Loss        `json:"loss"`
	LossRatio     float64     `json:"loss_ratio"`
	Latency       Percentiles `json:"latency"`
	// Foreign counts first arrivals without a plausible send-time trailer
	// (media from a publisher that is not this load tester).
	Foreign uint64 `json:"foreign_packets"`
	// FirstMedia is nil when no media arrived.
	FirstMedia *float64 `json:"join_to_first_media_ms"`
}

// MeetingResult is one meeting's share of a run with several meetings.
type MeetingResult struct {
	ID         string      `json:"id"`
	Joined     int         `json:"joined"`
	Received   Rates       `json:"received"`
	Loss       Loss        `json:"loss"`
	LossRatio  float64     `json:"loss_ratio"`
	Latency    Percentiles `json:"latency"`
	FirstMedia Percentiles `json:"join_to_first_media"`
}

// tally adds up the participants of one meeting, or of all.
type tally struct {
	joined                     int
	joinErrors                 []string
	sentV, sentA, recvV, recvA Traffic
	latency, first             Histogram
	loss                       Loss
	worst                      float64
	missing                    int
	receivers                  []ReceiverResult
}

// addMeeting counts the participants of one meeting: each receiver
// expects media from the other publishers of its own meeting only.
func (t *tally) addMeeting(ps []*participant, kind string, win time.Duration) {
	for _, p := range ps {
		if p.joinErr != nil {
			t.joinErrors = append(t.joinErrors, p.joinErr.Error())
			continue
		}
		t.joined++
		t.sentV = t.sentV.Add(p.sent.traffic(true))
		t.sentA = t.sentA.Add(p.sent.traffic(false))
		rr, ok := receiverResult(p, ps, kind, win)
		if !ok {
			continue
		}
		for _, s := range p.recv.snapshot() {
			if s.source == "audio" {
				t.recvA = t.recvA.Add(s.traffic)
			} else {
				t.recvV = t.recvV.Add(s.traffic)
			}
			t.latency.Merge(&s.latency)
		}
		t.loss = t.loss.Add(rr.Loss)
		t.worst = max(t.worst, rr.LossRatio)
		if rr.FirstMedia == nil {
			t.missing++
		} else {
			t.first.Record(time.Duration(*rr.FirstMedia * float64(time.Millisecond)))
		}
		t.receivers = append(t.receivers, rr)
	}
}

// merge adds another meeting's tally into t.
func (t *tally) merge(o *tally) {
	t.joined += o.joined
	t.joinErrors = append(t.joinErrors, o.joinErrors...)
	t.sentV, t.sentA = t.sentV.Add(o.sentV), t.sentA.Add(o.sentA)
	t.recvV, t.recvA = t.recvV.Add(o.recvV), t.recvA.Add(o.recvA)
	t.latency.Merge(&o.latency)
	t.first.Merge(&o.first)
	t.loss = t.loss.Add(o.loss)
	t.worst = max(t.worst, o.worst)
	t.missing += o.missing
	t.receivers = append(t.receivers, o.receivers...)
}

func (t *tally) meeting(id string, win time.Duration) MeetingResult {
	return MeetingResult{ID: id, Joined: t.joined, Received: t.recvV.Add(t.recvA).Rates(win),
		Loss: t.loss, LossRatio: t.loss.Ratio(), Latency: t.latency.Summary(), FirstMedia: t.first.Summary()}
}

// buildResult gathers the participants' counters after the window.
func buildResult(cfg Config, ps []*participant, w measured, disconnected int) *Result {
	win := w.end.Sub(w.start)
	r := &Result{
		Scenario: cfg.Scenario, Publishers: cfg.Publishers, Subscribers: cfg.Subscribers,
		VideoKbps: cfg.VideoKbps, Simulcast: cfg.Simulcast,
		Ramp: cfg.Ramp.Seconds(), Settle: cfg.Settle.Seconds(),
		Start: w.start, Window: win.Seconds(), Server: w.server, Disconnected: disconnected,
		FirstMediaKind: "video", URLs: len(cfg.URLs),
	}
	if cfg.Scenario == ScenarioAudio {
		r.FirstMediaKind = "audio"
	}
	byMeeting := make([][]*participant, len(cfg.Meetings))
	for _, p := range ps {
		byMeeting[p.role.meeting] = append(byMeeting[p.role.meeting], p)
	}
	var all tally
	for i, group := range byMeeting {
		var t tally
		t.addMeeting(group, r.FirstMediaKind, win)
		all.merge(&t)
		if len(cfg.Meetings) > 1 {
			r.Meetings = append(r.Meetings, t.meeting(cfg.Meetings[i].ID, win))
		}
	}
	r.Joined, r.JoinErrors, r.Receivers = all.joined, all.joinErrors, all.receivers
	r.SentVideo, r.SentAudio, r.Sent = all.sentV.Rates(win), all.sentA.Rates(win), all.sentV.Add(all.sentA).Rates(win)
	r.ReceivedVideo, r.ReceivedAudio, r.Received = all.recvV.Rates(win), all.recvA.Rates(win), all.recvV.Add(all.recvA).Rates(win)
	r.Loss, r.LossRatio, r.WorstLossRatio = all.loss, all.loss.Ratio(), all.worst
	r.Latency, r.FirstMedia, r.FirstMediaMissing = all.latency.Summary(), all.first.Summary(), all.missing
	return r
}

// receiverResult summarizes what p received; ok is false when nobody else
// publishes (a lone webinar presenter expects nothing).
func receiverResult(p *participant, ps []*participant, kind string, win time.Duration) (ReceiverResult, bool) {
	rr := ReceiverResult{Name: p.role.name, ID: p.id()}
	var firstSend int64 // earliest media from another publisher
	for _, o := range ps {
		if o == p || o.joinErr != nil || !(o.role.audio || o.role.video) {
			continue
		}
		if o.role.video {
			rr.ExpectedVideo++
		}
		if o.role.audio {
			rr.ExpectedAudio++
		}
		if f := o.sent.first.Load(); f != 0 && (firstSend == 0 || f < firstSend) {
			firstSend = f
		}
	}
	if rr.ExpectedVideo+rr.ExpectedAudio == 0 {
		return rr, false
	}
	var traffic Traffic
	var latency Histogram
	videoOwners, audioOwners := map[string]bool{}, map[string]bool{}
	for _, s := range p.recv.snapshot() {
		traffic = traffic.Add(s.traffic)
		rr.Loss = rr.Loss.Add(s.loss)
		latency.Merge(&s.latency)
		rr.Foreign += s.foreign
		if s.traffic.Packets > 0 {
			if s.source == "audio" {
				audioOwners[s.owner] = true
			} else {
				videoOwners[s.owner] = true
			}
		}
	}
	rr.VideoStreams, rr.AudioStreams = len(videoOwners), len(audioOwners)
	rr.Received = traffic.Rates(win)
	rr.LossRatio = rr.Loss.Ratio()
	rr.Latency = latency.Summary()
	rr.FirstMedia = firstMedia(p, kind, firstSend)
	return rr, true
}

// firstMedia is the wait for the first media of kind in milliseconds,
// counted from the later of joining and the first other publisher's first
// send: a participant who joins an empty meeting waits for company, which
// says nothing about the server.
func firstMedia(p *participant, kind string, firstSend int64) *float64 {
	at := p.recv.firstVideo.Load()
	if kind == "audio" {
		at = p.recv.firstAudio.Load()
	}
	c := p.c.Load()
	if at == 0 || c == nil {
		return nil
	}
	from := max(p.env.clock.FromTime(c.HelloSent()), firstSend)
	return ptr(ms(max(time.Duration(at-from), 0)))
}
