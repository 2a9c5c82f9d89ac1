package records

import (
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/config"
)

// TestNoticeMarkdownIsComplete: the notice in force until an
// administrator publishes one names what the configuration knows, says
// plainly what it does not, and never shows placeholders or a note to
// administrators; it does not change with the time or the port.
func TestNoticeMarkdownIsComplete(t *testing.T) {
	in := inputs(t, nil)
	md := NoticeMarkdown(in)
	for _, want := range []string{"# Privacy notice", "Example e.V.", "dpo@example.org", "Your account", "## Your rights", "## How long it is kept"} {
		if !strings.Contains(md, want) {
			t.Errorf("notice lacks %q:\n%s", want, md)
		}
	}
	bare := inputs(t, func(c *config.Config) { c.Organisation, c.PrivacyContact = "", "" })
	plain := NoticeMarkdown(bare)
	for _, text := range []string{md, plain} {
		for _, bad := range []string{"[", "]", "Administrators", "not configured (set"} {
			if strings.Contains(text, bad) {
				t.Errorf("notice contains %q:\n%s", bad, text)
			}
		}
	}
	if !strings.Contains(plain, "No data protection contact is configured") || !strings.Contains(plain, "the organisation that invited you") {
		t.Errorf("notice without organisation or contact does not say so:\n%s", plain)
	}
	other := in
	other.Now = other.Now.AddDate(1, 0, 0)
	other.Version = "v2"
	other.Config.PublicURL = "https://other.example.org:8443"
	if NoticeMarkdown(other) != md {
		t.Error("the notice changes with the time, version or address")
	}
}
