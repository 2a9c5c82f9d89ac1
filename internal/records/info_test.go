package records

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/notice"
	"github.com/conclave-meet/conclave/internal/privacy"
)

// serverInputs are inputs with the kinds the running server registers
// (cmd/conclave newPrivacyRegistry); Declare needs no store.
func serverInputs(t *testing.T, mod func(*config.Config)) Inputs {
	t.Helper()
	in := inputs(t, mod)
	in.Registry = privacy.NewRegistry()
	for _, k := range []privacy.Kind{privacy.AccountKind{}, privacy.MeetingKind{}, privacy.AuditKind{}, privacy.SessionKind{},
		privacy.BanKind{}, privacy.SubjectRequestKind{}, notice.ConsentKind{}, privacy.GuestProofKind{}, privacy.ChatKind{}} {
		if err := in.Registry.Register(k); err != nil {
			t.Fatal(err)
		}
	}
	return in
}

// Without a privacy contact the page says so in a sentence of its own,
// never "contact ask the person who invited you".
func TestInfoWithoutContact(t *testing.T) {
	md := markdown(t, Info(serverInputs(t, func(c *config.Config) { c.PrivacyContact = "" })))
	for _, want := range []string{"No data protection contact is configured on this server: ask the person who invited you",
		"To exercise these rights, ask the person who invited you or Example e.V."} {
		if !strings.Contains(md, want) {
			t.Errorf("info lacks %q:\n%s", want, md)
		}
	}
	if regexp.MustCompile(`(?i)contact (for data protection: )?ask`).MatchString(md) {
		t.Errorf("info reads \"contact ask\":\n%s", md)
	}
	bare := markdown(t, Info(serverInputs(t, func(c *config.Config) { c.PrivacyContact, c.Organisation = "", "" })))
	if !strings.Contains(bare, "ask the person who invited you or the organisation that runs this server.") {
		t.Errorf("info without organisation or contact:\n%s", bare)
	}
}

// The server records nothing, transcribes nothing and stores no files:
// the transparency page and the default notice, generated from its
// registry, promise none of it. It stores chat, and both say so and who
// reads it; without a chat kind they say chat is not stored. A kind that
// stores recordings brings the words back, where recording is allowed
// (cmd/conclave TestPrivacyTextsFollowConfiguration checks the real
// registry, which always holds that kind).
func TestInfoOnlyDescribesWhatTheServerStores(t *testing.T) {
	in := serverInputs(t, nil)
	absent := regexp.MustCompile(`(?i)recording|transcri|\bfiles?\b|consents? to|relayed and not stored`)
	for name, text := range map[string]string{"info": markdown(t, Info(in)), "notice": NoticeMarkdown(in)} {
		if m := absent.FindString(text); m != "" {
			t.Errorf("%s mentions %q, which this server does not do:\n%s", name, m, text)
		}
		for _, want := range []string{"are not stored", "Chat messages written in a meeting", "can read the stored chat",
			"recorded in the audit log", "chat (chat_message)"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, text)
			}
		}
	}
	in.Registry = privacy.NewRegistry()
	if err := in.Registry.Register(privacy.AccountKind{}); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"info": markdown(t, Info(in)), "notice": NoticeMarkdown(in)} {
		if !strings.Contains(text, "Chat messages are relayed and not stored.") || strings.Contains(text, "stored chat") {
			t.Errorf("%s without a chat kind:\n%s", name, text)
		}
	}
	withRec := markdown(t, Info(inputs(t, func(c *config.Config) { c.Recording.Recording = true })))
	for _, want := range []string{"stored only as the recordings listed here", "that meeting's recordings, within limits"} {
		if !strings.Contains(withRec, want) {
			t.Errorf("info with a recording kind lacks %q:\n%s", want, withRec)
		}
	}
}

// TestInfoTellsGuestsHowToExerciseTheirRights: the page tells guests,
// who have no account, about the participant ID and the one-time proof,
// for how long it is valid (never longer than meeting data is kept), and
// tells account holders what their account page does.
func TestInfoTellsGuestsHowToExerciseTheirRights(t *testing.T) {
	md := markdown(t, Info(serverInputs(t, nil)))
	for _, want := range []string{"If you took part as a guest", "participant ID", "one-time code",
		"/api/privacy/guest-requests", "with the form at https://meet.example.org/privacy/request", "A code works once, only with its own participant ID, and for 90 days",
		"If you have an account, you can do much of this yourself on your account page", "correct your name and e-mail address"} {
		if !strings.Contains(md, want) {
			t.Errorf("info lacks %q:\n%s", want, md)
		}
	}
	short := markdown(t, Info(serverInputs(t, func(c *config.Config) { c.RetentionMeeting = 30 * 24 * time.Hour })))
	if !strings.Contains(short, "and for 30 days;") {
		t.Errorf("the proof's validity does not follow a shorter meeting retention:\n%s", short)
	}
	without := markdown(t, Info(inputs(t, nil)))
	if strings.Contains(without, "one-time code") {
		t.Error("the page promises guest proofs on a server that does not register them")
	}
}

// TestInfoSaysWhetherMediaIsEndToEndEncrypted: the page tells, per kind
// of meeting, whether the server could see and hear it, and says every
// meeting is end-to-end encrypted where the organisation requires it.
func TestInfoSaysWhetherMediaIsEndToEndEncrypted(t *testing.T) {
	md := markdown(t, Info(serverInputs(t, nil)))
	for _, want := range []string{"the server could see and hear those meetings", "cannot see, hear or record them", "safety code",
		"| Sensitive (such as telehealth) | end-to-end encrypted: the server cannot see or hear it, unless its host turned that off",
		"| Any other meeting | encrypted to the server: the server could see and hear it |"} {
		if !strings.Contains(md, want) {
			t.Errorf("info lacks %q:\n%s", want, md)
		}
	}
	md = markdown(t, Info(serverInputs(t, func(c *config.Config) { c.RequireE2EE = true })))
	if !strings.Contains(md, "Every meeting on this server is end-to-end encrypted") || strings.Contains(md, "could see and hear") ||
		!strings.Contains(md, "| Every meeting, sensitive or not | end-to-end encrypted") {
		t.Errorf("info under require_e2ee:\n%s", md)
	}
}
