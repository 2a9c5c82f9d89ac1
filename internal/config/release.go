package config

import "github.com/conclave-meet/conclave/internal/release"

// releaseOptions: the release feed is off by default, and while it is off
// the server contacts nothing to learn about updates (docs/operations.md,
// "Updates"). load.go appends these to options.
var releaseOptions = []option{
	{"release-feed", "CONCLAVE_RELEASE_FEED", "https URL of a release feed checked daily for newer releases, shown to administrators (default off: nothing is fetched)",
		str(func(c *Config) *string { return &c.ReleaseFeed })},
}

// validateReleaseFeed applies the feed's one rule (release.CheckURL):
// https, or http to loopback. Errors do not quote the URL: it may carry a
// token.
func (c Config) validateReleaseFeed() error {
	if c.ReleaseFeed == "" {
		return nil
	}
	return release.CheckURL(c.ReleaseFeed)
}
