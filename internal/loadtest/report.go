package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
)

// WriteJSON writes the result, indented, to path.
func WriteJSON(path string, r *Result) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("loadtest: encode result: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("loadtest: write result: %w", err)
	}
	return nil
}

// WriteTable prints the result for people: a summary, then one line per
// receiver.
func WriteTable(w io.Writer, r *Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(format string, args ...any) { fmt.Fprintf(tw, format+"\n", args...) }
	meetings := max(len(r.Meetings), 1)
	row("scenario\t%s: %d publishers, %d subscribe-only; %d of %d joined; %s",
		r.Scenario, r.Publishers, r.Subscribers, r.Joined, (r.Publishers+r.Subscribers)*meetings, media(r))
	if meetings > 1 || r.URLs > 1 {
		row("spread\t%d meetings (publishers and subscribers per meeting), participants round-robin over %d URLs", meetings, r.URLs)
	}
	row("window\t%.1f s\t(after a %.1f s ramp and %.1f s settle)", r.Window, r.Ramp, r.Settle)
	row("\tpackets/s\tMbit/s\tpackets\t(video / audio packets/s)")
	traffic := func(name string, all, v, a Rates) {
		row("%s\t%.0f\t%.2f\t%d\t(%.0f / %.0f)", name, all.PacketsPerSec, all.BitsPerSec/1e6, all.Packets, v.PacketsPerSec, a.PacketsPerSec)
	}
	traffic("sent", r.Sent, r.SentVideo, r.SentAudio)
	traffic("received", r.Received, r.ReceivedVideo, r.ReceivedAudio)
	row("loss\t%s\t(%d of %d lost, %d duplicates; worst receiver %s)",
		pct(r.LossRatio), r.Loss.Lost, r.Loss.Expected, r.Loss.Duplicates, pct(r.WorstLossRatio))
	row("latency\t%s", percentiles(r.Latency))
	row("join to first %s\t%s\t(%d receivers without)", r.FirstMediaKind, percentiles(r.FirstMedia), r.FirstMediaMissing)
	writeServer(row, r.Server)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("loadtest: write table: %w", err)
	}
	if err := writeMeetings(w, r.Meetings); err != nil {
		return err
	}
	for _, e := range r.JoinErrors {
		fmt.Fprintf(w, "join error: %s\n", e)
	}
	if r.Disconnected > 0 {
		fmt.Fprintf(w, "%d participants were disconnected before the window closed\n", r.Disconnected)
	}
	for _, rr := range r.Receivers {
		if rr.Foreign > 0 {
			fmt.Fprintf(w, "%s received %d packets without a load-test trailer (another client in the meeting?): not in the latency figures\n", rr.Name, rr.Foreign)
		}
	}
	return writeReceivers(w, r.Receivers)
}

func writeServer(row func(string, ...any), s *ServerMetrics) {
	if s == nil {
		row("server\tn/a (no --metrics-url)")
		return
	}
	if s.Nodes > 1 {
		row("server nodes\t%d\t(figures below are sums over them; RSS: peak of the sum)", s.Nodes)
	}
	if s.Failures > 0 {
		row("server scrapes\t%d of %d failed: %s", s.Failures, s.Scrapes, s.LastError)
	}
	row("server CPU\t%s s\t(%s cores over %.1f s)", num(s.CPUSeconds, "%.2f"), num(s.CPUCores, "%.2f"), s.Interval)
	row("server peak RSS\t%s MiB", num(scale(s.PeakRSSBytes, 1.0/(1<<20)), "%.1f"))
	row("server forwarded\t%s packets\t%s Mbit\t(%s packets per CPU-second)",
		num(s.ForwardedPackets, "%.0f"), num(scale(s.ForwardedBytes, 8e-6), "%.1f"), num(s.ForwardedPacketsPerCPUSecond, "%.0f"))
	row("server allocations\t%s\t(%s per forwarded packet)", num(s.Mallocs, "%.0f"), num(s.AllocsPerForwardedPacket, "%.2f"))
	row("server received\t%s packets\t%s Mbit", num(s.ReceivedPackets, "%.0f"), num(scale(s.ReceivedBytes, 8e-6), "%.1f"))
	row("server participants\t%s\t(meetings %s)", num(s.Participants, "%.0f"), num(s.Meetings, "%.0f"))
	if l := s.ForwardLatency; l != nil {
		row("server forward latency\tmean %.3f ms\tp50 %.3f ms\tp99 %.3f ms\t(%.0f samples)", l.Mean, l.P50, l.P99, l.Count)
	} else {
		row("server forward latency\tn/a")
	}
}

// writeMeetings prints one line per meeting of a run with several.
func writeMeetings(w io.Writer, ms []MeetingResult) error {
	if len(ms) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w)
	fmt.Fprintln(tw, "meeting\tjoined\tpackets/s\tMbit/s\tloss\tp99 ms\tfirst media p50 ms\tp99 ms\t")
	for _, m := range ms {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f\t%s\t%.2f\t%.0f\t%.0f\t\n", m.ID, m.Joined,
			m.Received.PacketsPerSec, m.Received.BitsPerSec/1e6, pct(m.LossRatio), m.Latency.P99,
			m.FirstMedia.P50, m.FirstMedia.P99)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("loadtest: write table: %w", err)
	}
	return nil
}

func writeReceivers(w io.Writer, rs []ReceiverResult) error {
	if len(rs) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w)
	fmt.Fprintln(tw, "receiver\tvideo\taudio\tpackets/s\tMbit/s\tloss\tp50 ms\tp99 ms\tmax ms\tfirst media ms\t")
	for _, rr := range rs {
		fmt.Fprintf(tw, "%s\t%d/%d\t%d/%d\t%.0f\t%.2f\t%s\t%.2f\t%.2f\t%.2f\t%s\t\n",
			rr.Name, rr.VideoStreams, rr.ExpectedVideo, rr.AudioStreams, rr.ExpectedAudio,
			rr.Received.PacketsPerSec, rr.Received.BitsPerSec/1e6, pct(rr.LossRatio),
			rr.Latency.P50, rr.Latency.P99, rr.Latency.Max, num(rr.FirstMedia, "%.0f"))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("loadtest: write table: %w", err)
	}
	return nil
}

func percentiles(p Percentiles) string {
	if p.Count == 0 {
		return "n/a"
	}
	return fmt.Sprintf("p50 %.2f ms\tp99 %.2f ms\tmax %.2f ms\t(%d samples)", p.P50, p.P99, p.Max, p.Count)
}

func pct(ratio float64) string { return fmt.Sprintf("%.3f%%", ratio*100) }

// media describes what publishers send.
func media(r *Result) string {
	if r.Scenario == ScenarioAudio {
		return "audio only"
	}
	rate := "as encoded"
	if r.VideoKbps > 0 {
		rate = fmt.Sprintf("%d kbit/s", r.VideoKbps)
	}
	layers := "simulcast"
	if !r.Simulcast {
		layers = "one layer"
	}
	return fmt.Sprintf("video %s, %s", rate, layers)
}

// num formats an optional figure; a missing one is "n/a".
func num(v *float64, format string) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf(format, *v)
}

func scale(v *float64, f float64) *float64 {
	if v == nil {
		return nil
	}
	return ptr(*v * f)
}
