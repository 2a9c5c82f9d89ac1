package records

import (
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/config"
)

// TestChatInEncryptedMeetingsIsSaid: the records of processing and the
// transparency page say that chat in an end-to-end encrypted meeting is
// end-to-end encrypted too, and that nobody reads it from storage
// (docs/e2ee.md, "Chat").
func TestChatInEncryptedMeetingsIsSaid(t *testing.T) {
	for _, c := range []struct {
		name string
		md   string
		want []string
	}{
		{"report", markdown(t, Report(inputs(t, nil))),
			[]string{"Chat in an end-to-end encrypted meeting is end-to-end encrypted too: the server stores only ciphertext it cannot read."}},
		{"report, E2EE required", markdown(t, Report(inputs(t, func(c *config.Config) { c.RequireE2EE = true }))),
			[]string{"Chat in these meetings is end-to-end encrypted too"}},
		{"transparency page", markdown(t, Info(serverInputs(t, nil))),
			[]string{"The chat of such a meeting is end-to-end encrypted too", "nobody can read its stored chat"}},
	} {
		for _, w := range c.want {
			if !strings.Contains(c.md, w) {
				t.Errorf("%s lacks %q:\n%s", c.name, w, c.md)
			}
		}
	}
}
