package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/loadtest"
)

func TestWebsocketURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080":           "ws://127.0.0.1:8080/ws",
		"http://127.0.0.1:8080/":          "ws://127.0.0.1:8080/ws",
		"https://meet.example.org":        "wss://meet.example.org/ws",
		"https://meet.example.org/ws":     "wss://meet.example.org/ws",
		"http://127.0.0.1:8080/m/x#pwd=1": "ws://127.0.0.1:8080/ws",
		"ws://127.0.0.1:8080/ws":          "ws://127.0.0.1:8080/ws",
	} {
		if got, err := websocketURL(in); err != nil || got != want {
			t.Errorf("websocketURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"127.0.0.1:8080", "ftp://x", "http://", "::"} {
		if got, err := websocketURL(bad); err == nil {
			t.Errorf("websocketURL(%q) = %q, want an error", bad, got)
		}
	}
}

func TestLoadtestFlags(t *testing.T) {
	if r := cli(t, nil, "", "loadtest", "--help"); r.code != 0 || !strings.Contains(r.stderr, "-video-kbps") {
		t.Fatalf("--help: %+v", r)
	}
	for _, args := range [][]string{
		{"loadtest"}, // no meeting
		{"loadtest", "--meeting", "m", "--url", "x:80"},  // not a URL with a scheme
		{"loadtest", "--meeting", "m", "--bogus"},        // unknown flag
		{"loadtest", "--meeting", "m", "extra-argument"}, // positional
	} {
		if r := cli(t, nil, "", args...); r.code != 2 || !strings.Contains(r.stderr, "Usage:") {
			t.Errorf("%q: %+v", args, r)
		}
	}
	if r := cli(t, nil, "", "loadtest", "--meeting", "m", "--scenario", "party"); r.code != 1 || !strings.Contains(r.stderr, "unknown scenario") {
		t.Fatalf("bad scenario: %+v", r)
	}
	if r := cli(t, nil, "", "help"); !strings.Contains(r.stdout, "conclave loadtest") {
		t.Fatalf("usage does not list loadtest: %s", r.stdout)
	}
}

func TestLoadtestTargets(t *testing.T) {
	var one loadtest.Config
	if err := loadtestTargets(&one, "http://a:1", "m", "p", "http://a:2/metrics"); err != nil {
		t.Fatal(err)
	}
	if one.URL != "ws://a:1/ws" || one.MeetingID != "m" || one.Passcode != "p" || one.MetricsURL != "http://a:2/metrics" ||
		one.URLs != nil || one.Meetings != nil || one.MetricsURLs != nil {
		t.Fatalf("one of each must keep the single fields: %+v", one)
	}
	var many loadtest.Config
	if err := loadtestTargets(&many, "http://a:1, http://b:1,https://c", "m1,m2,m3", "p1,p2,p3", "http://a:2/metrics,http://b:2/metrics"); err != nil {
		t.Fatal(err)
	}
	wantURLs := []string{"ws://a:1/ws", "ws://b:1/ws", "wss://c/ws"}
	wantMeetings := []loadtest.Meeting{{ID: "m1", Passcode: "p1"}, {ID: "m2", Passcode: "p2"}, {ID: "m3", Passcode: "p3"}}
	if !slices.Equal(many.URLs, wantURLs) || !slices.Equal(many.Meetings, wantMeetings) || len(many.MetricsURLs) != 2 || many.URL != "" {
		t.Fatalf("lists: %+v", many)
	}
	var open loadtest.Config
	if err := loadtestTargets(&open, "http://a:1", "m1,m2", "", ""); err != nil || len(open.Meetings) != 2 || open.Meetings[1].Passcode != "" {
		t.Fatalf("meetings without passcodes: %v %+v", err, open.Meetings)
	}
	for _, tc := range []struct{ urls, meetings, passcodes, want string }{
		{"http://a", "", "", "--meeting is required"},
		{"http://a,b:80", "m", "", `--url: "b:80"`},
		{"http://a,", "m", "", "--url"},
		{"http://a", "m1,m2", "p1", "2 meetings but 1 passcodes"},
		{"http://a", "m1", "p1,p2", "1 meetings but 2 passcodes"},
		{"http://a", "m1,,m3", "", "meeting 2 of"},
	} {
		var cfg loadtest.Config
		if err := loadtestTargets(&cfg, tc.urls, tc.meetings, tc.passcodes, ""); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error with %q", tc, err, tc.want)
		}
	}
}

func TestLoadtestListFlagsAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"loadtest", "--meeting", "m1,m2", "--passcode", "p1"},
		{"loadtest", "--meeting", "m", "--url", "http://a:1,ftp://b"},
	} {
		if r := cli(t, nil, "", args...); r.code != 2 || !strings.Contains(r.stderr, "Usage:") {
			t.Errorf("%q: %+v", args, r)
		}
	}
	r := cli(t, nil, "", "loadtest", "--meeting", "m1,m1", "--url", "http://127.0.0.1:1")
	if r.code != 1 || !strings.Contains(r.stderr, "m1 given twice") {
		t.Fatalf("the same meeting twice: %+v", r)
	}
}
