package config

import (
	"strings"
	"testing"
)

// TestReleaseFeedOffByDefault: without configuration there is no feed,
// and so nothing the server would fetch.
func TestReleaseFeedOffByDefault(t *testing.T) {
	if f := mustLoad(t, nil, noEnv).ReleaseFeed; f != "" {
		t.Fatalf("default release_feed %q, want none", f)
	}
}

func TestValidateReleaseFeed(t *testing.T) {
	for _, bad := range []string{"http://releases.example.org/feed.json?token=s3cret", "ftp://releases.example.org/?token=s3cret",
		"releases.example.org/feed.json?token=s3cret", "https://u:s3cret@releases.example.org/feed.json"} {
		cfg := valid()
		cfg.ReleaseFeed = bad
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), "release_feed") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	for _, ok := range []string{"https://releases.example.org/feed.json?token=t", "http://127.0.0.1:9000/feed.json", "http://localhost/feed"} {
		cfg := valid()
		cfg.ReleaseFeed = ok
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}
