package records

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/privacy"
)

type kind struct{ d privacy.Declaration }

func (k kind) Declare() privacy.Declaration                                  { return k.d }
func (kind) Export(context.Context, privacy.Subject) ([]privacy.Item, error) { return nil, nil }
func (kind) Erase(context.Context, privacy.Subject) (privacy.Erased, error) {
	return privacy.Erased{}, nil
}
func (kind) Expire(context.Context, time.Time) (int, error) { return 0, nil }

func inputs(t *testing.T, mod func(*config.Config)) Inputs {
	t.Helper()
	cfg := config.Default()
	cfg.PublicURL = "https://meet.example.org"
	cfg.Organisation = "Example e.V."
	cfg.PrivacyContact = "dpo@example.org"
	if mod != nil {
		mod(&cfg)
	}
	reg := privacy.NewRegistry()
	for _, d := range []privacy.Declaration{
		{Name: "account", Category: privacy.CatAccount, Description: "Your account: e-mail | name", Purpose: "sign-in",
			LegalBasis: privacy.Contract, Storage: "table users", Fields: []string{"email", "name"}},
		{Name: "recording", Category: privacy.CatRecording, Description: "Recordings <b>", Purpose: "minutes",
			LegalBasis: privacy.Consent, Storage: "directory recordings/", Fields: []string{"video"}, Recipients: []string{"transcription service"}},
	} {
		if err := reg.Register(kind{d}); err != nil {
			t.Fatal(err)
		}
	}
	return Inputs{Config: cfg, Registry: reg, Now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), Version: "v1"}
}

func markdown(t *testing.T, d Document) string {
	t.Helper()
	var b strings.Builder
	if err := d.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func htmlOf(t *testing.T, d Document) string {
	t.Helper()
	var b strings.Builder
	if err := d.HTML(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestReportFollowsRegistryAndConfig(t *testing.T) {
	md := markdown(t, Report(inputs(t, func(c *config.Config) {
		c.RetentionRecording = 7 * 24 * time.Hour
		c.RetentionAccount = 0
		c.ForceWaitingRoom = true
		c.RequireSignedIn = true
		c.RequireE2EE = true
		c.Recording.Recording = true
		c.TLSCert, c.TLSKey = "c.pem", "k.pem"
	})))
	for _, want := range []string{
		"| Controller | Example e.V. |", "dpo@example.org",
		`| account | Your account: e-mail \| name | email, name | sign-in | contract (Art. 6(1)(b)) | account |`,
		"| recording | 7 days | 90 days | recording |", "| account | kept until deleted | – | account |",
		"| audit_log | 731 days | – |  |", "recording: transcription service",
		"TLS is on with the configured certificate", "forced by the administrator",
		"guests are refused (required by the administrator)",
		"end-to-end encrypted in the browsers (required by the administrator)",
		"only those who consent are recorded",
		"directory recordings/", "Recordings or transcripts are processed",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q\n%s", want, md)
		}
	}
	md = markdown(t, Report(inputs(t, nil)))
	for _, want := range []string{"TLS is off", "hosts may turn it off", "Hosts may restrict a meeting to signed-in accounts", "| recording | 30 days |",
		"Hosts may end-to-end encrypt", "Meetings marked sensitive (such as telehealth) are end-to-end encrypted unless", "Recording is off"} {
		if !strings.Contains(md, want) {
			t.Errorf("default report lacks %q", want)
		}
	}
}

func TestReportNamesWhatIsMissing(t *testing.T) {
	in := inputs(t, func(c *config.Config) { c.Organisation, c.PrivacyContact = "", "" })
	in.Registry = privacy.NewRegistry()
	md := markdown(t, Report(in))
	for _, want := range []string{"not configured (set organisation)", "not configured (set privacy_contact)", "No kind of personal data is registered", "Recipients\n\nNone."} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// TestHTMLIsSelfContained: the file handed to a DPO loads nothing, and the
// policy served with it admits exactly its stylesheet.
func TestHTMLIsSelfContained(t *testing.T) {
	// The example recording kind shows on the info page only where
	// recording is allowed (Inputs.collected).
	recOn := func(c *config.Config) { c.Recording.Recording = true }
	for name, d := range map[string]Document{"report": Report(inputs(t, nil)), "info": Info(inputs(t, recOn))} {
		page := htmlOf(t, d)
		if regexp.MustCompile(`(?i)<(script|link|img|iframe)|src=|href=|url\(|@import`).MatchString(page) {
			t.Errorf("%s loads external resources:\n%s", name, page)
		}
		if !strings.Contains(page, "Recordings &lt;b&gt;") {
			t.Errorf("%s does not escape", name)
		}
		if !strings.Contains(page, "@media print") {
			t.Errorf("%s has no print style", name)
		}
	}
	sum := sha256.Sum256([]byte(Stylesheet))
	if !strings.Contains(StyleCSP, "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") ||
		!strings.HasPrefix(StyleCSP, "default-src 'none'") {
		t.Fatalf("CSP %q", StyleCSP)
	}
}

func TestInfoTellsParticipantsTheirRights(t *testing.T) {
	md := markdown(t, Info(inputs(t, func(c *config.Config) { c.RetentionRecording, c.Recording.Recording = 48*time.Hour, true })))
	for _, want := range []string{
		"The controller is Example e.V.", "dpo@example.org", "| recording (recording) | 2 days |",
		"Access (Art. 15)", "Erasure (Art. 17)", "Rectification (Art. 16)", "Objection (Art. 21)", "Complaint (Art. 77)",
		"Outside the organisation: recording: transcription service",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("info lacks %q\n%s", want, md)
		}
	}
	if strings.Contains(md, "| audit_log") {
		t.Error("info lists a category nothing is stored in")
	}
	in := inputs(t, func(c *config.Config) { c.PrivacyContact = "" })
	if md := markdown(t, Info(in)); !strings.Contains(md, "No data protection contact is configured") {
		t.Error("missing contact not said")
	}
}

// TestTransfersNameEveryOutboundConnection: the records say the server
// calls out to nobody unless configured to, and name the release feed
// (by host, never its token) when it is.
func TestTransfersNameEveryOutboundConnection(t *testing.T) {
	section := func(in Inputs) string {
		for _, s := range Report(in).Sections {
			if s.ID == "transfers" {
				return strings.Join(s.Paragraphs, " ")
			}
		}
		t.Fatal("no transfers section")
		return ""
	}
	if got := section(inputs(t, nil)); !strings.HasPrefix(got, "None. The server makes no outbound connections") {
		t.Fatalf("default: %q", got)
	}
	got := section(inputs(t, func(c *config.Config) {
		c.ReleaseFeed = "https://releases.example.org/conclave.json?token=s3cret"
		c.ACMEDomain = "meet.example.org"
	}))
	if !strings.HasPrefix(got, "None of users' data.") || !strings.Contains(got, "release feed the operator chose from releases.example.org once a day") ||
		!strings.Contains(got, "Let's Encrypt") || strings.Contains(got, "s3cret") || strings.Contains(got, "no outbound connections") {
		t.Fatalf("with a feed and ACME: %q", got)
	}
}
