package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/records"
)

// TestPrivacyTextsFollowConfiguration builds the registry as serve does,
// which always holds the recording and transcript kinds (so that export
// and erasure reach what was made while they were on), and checks that
// the transparency page and the default notice promise recordings and
// transcripts only where the configuration allows them, and that the
// records of processing say which is on (issue 16, defect 3).
func TestPrivacyTextsFollowConfiguration(t *testing.T) {
	texts := func(mod func(*config.Config)) (info, notice, report string) {
		t.Helper()
		cfg := config.Default()
		cfg.PublicURL, cfg.Organisation = "https://meet.example.org", "Example e.V."
		if mod != nil {
			mod(&cfg)
		}
		// Declare needs no store: the deps may be empty.
		reg, err := newPrivacyRegistry(privacyDeps{Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		in := records.Inputs{Config: cfg, Registry: reg, Now: time.Now(), Version: "test"}
		var b strings.Builder
		if err := records.Info(in).Markdown(&b); err != nil {
			t.Fatal(err)
		}
		var r strings.Builder
		if err := records.Report(in).Markdown(&r); err != nil {
			t.Fatal(err)
		}
		return b.String(), records.NoticeMarkdown(in), r.String()
	}

	info, notice, report := texts(nil)
	absent := regexp.MustCompile(`(?i)recording|transcri`)
	for name, text := range map[string]string{"info": info, "notice": notice} {
		if m := absent.FindString(text); m != "" {
			t.Errorf("default config: %s mentions %q:\n%s", name, m, text)
		}
		if !strings.Contains(text, "Audio, video and screen sharing pass through this server to the other participants and are not stored.") {
			t.Errorf("default config: %s does not say media is not stored:\n%s", name, text)
		}
	}
	for _, want := range []string{"Recording is off: no meeting can be recorded.", "Transcription is off",
		"are not stored: recording and transcription are off", "table transcript_segments"} {
		if !strings.Contains(report, want) {
			t.Errorf("default config: report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, "Recordings or transcripts are processed") {
		t.Errorf("default config: report asks to assess recordings:\n%s", report)
	}

	info, notice, report = texts(func(c *config.Config) { c.Recording.Recording, c.Transcription.Transcription = true, true })
	for name, text := range map[string]string{"info": info, "notice": notice} {
		for _, want := range []string{"Recordings of meetings", "stored only as the recordings and transcripts listed here",
			"recording (recording)", "transcript (transcript)"} {
			if !strings.Contains(text, want) {
				t.Errorf("recording and transcription on: %s lacks %q:\n%s", name, want, text)
			}
		}
	}
	for _, want := range []string{"Recording is allowed", "Transcription is allowed", "Recordings or transcripts are processed",
		"stored only as recordings and transcripts of the participants who consent"} {
		if !strings.Contains(report, want) {
			t.Errorf("recording and transcription on: report lacks %q:\n%s", want, report)
		}
	}

	info, _, _ = texts(func(c *config.Config) { c.Recording.Recording = true })
	if !strings.Contains(info, "Recordings of meetings") || !strings.Contains(info, "stored only as the recordings listed here.") ||
		strings.Contains(info, "transcript (transcript)") {
		t.Errorf("recording on, transcription off:\n%s", info)
	}
}
