package main

import (
	"strings"
	"testing"
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
