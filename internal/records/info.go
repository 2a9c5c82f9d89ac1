package records

import (
	"strings"

	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/retention"
)

// Info returns the transparency page for participants (Art. 13): what is
// collected about them, where, who sees it, how long, and their rights.
func Info(in Inputs) Document {
	ds := in.collected()
	org := in.Config.Organisation
	if strings.TrimSpace(org) == "" {
		org = "the organisation that runs this server"
	}
	return Document{
		Title: "Privacy in Conclave",
		Intro: []string{"This page says what " + org + " stores about you when you use Conclave at " +
			in.Config.PublicURL + ", and what you can do about it."},
		Sections: []Section{
			{ID: "who", Title: "Who is responsible", Paragraphs: []string{
				"The controller is " + org + ". " + contactSentence(in),
			}},
			collectedSection(ds),
			{ID: "where", Title: "Where it is stored", Paragraphs: nonEmpty(
				"Everything is stored on this server, run by "+org+", and nowhere else. "+liveText(ds)+" Your browser loads nothing from other websites.",
				transcriptionText(in.Config),
			)},
			{ID: "encryption", Title: "How your audio and video are protected", Paragraphs: []string{encryptionText(in)},
				Table: encryptionTable(in)},
			{ID: "who-sees", Title: "Who can see it", List: whoSees(ds)},
			keptSection(in, ds),
			rightsSection(in, ds),
		},
	}
}

// encryptionText says, per kind of meeting, whether this server could see
// and hear the media (docs/e2ee.md).
func encryptionText(in Inputs) string {
	const e2ee = "In a meeting marked \"end-to-end encrypted\", your browser encrypts your microphone, camera and screen " +
		"with keys only the participants' browsers hold: this server passes them on but cannot see, hear or record them " +
		"(it still sees who takes part, when, and how much each sends). The chat of such a meeting is end-to-end encrypted " +
		"too: the server stores only ciphertext it cannot read, and only the people a message went to, while they were " +
		"in the meeting, can read it. Compare the safety code shown in the meeting to be sure."
	if in.Config.RequireE2EE {
		return "Every meeting on this server is end-to-end encrypted. " + e2ee
	}
	return "In other meetings, audio and video are encrypted between your browser and this server, which decrypts them to " +
		"pass them on: the server could see and hear those meetings. " + e2ee
}

// encryptionTable says, per type of meeting, whether the media is end-to-end
// encrypted: the issue's "per meeting type" (docs/e2ee.md, "Sensitive
// meetings").
func encryptionTable(in Inputs) *Table {
	const e2ee, server = "end-to-end encrypted: the server cannot see or hear it",
		"encrypted to the server: the server could see and hear it"
	if in.Config.RequireE2EE {
		return &Table{Columns: []string{"Meeting", "Audio, video and screen"}, Rows: [][]string{
			{"Every meeting, sensitive or not", e2ee + " (required by the administrator)"},
		}}
	}
	return &Table{Columns: []string{"Meeting", "Audio, video and screen"}, Rows: [][]string{
		{"Sensitive (such as telehealth)", e2ee + ", unless its host turned that off; the screen before joining says which"},
		{"Created end-to-end encrypted", e2ee},
		{"Any other meeting", server},
	}}
}

// contactSentence names the privacy contact, or says plainly that none
// is configured and whom to ask instead: "contact" cannot be followed by
// an instruction.
func contactSentence(in Inputs) string {
	if c := strings.TrimSpace(in.Config.PrivacyContact); c != "" {
		return "Contact for data protection: " + c + "."
	}
	return "No data protection contact is configured on this server: ask the person who invited you or the organisation's usual contact."
}

// liveText says what happens to what participants share live, from the
// kinds the server collects under its configuration (Inputs.collected): a
// promise of recording, transcripts or stored chat is made only where a
// kind stores them and the configuration lets meetings produce them.
func liveText(ds []privacy.Declaration) string {
	rec, tr := len(kindsIn(ds, privacy.CatRecording)) > 0, len(kindsIn(ds, privacy.CatTranscript)) > 0
	t := "Audio, video and screen sharing pass through this server to the other participants and are not stored."
	stored := "Audio, video and screen sharing pass through this server to the other participants; they are stored only as the "
	switch {
	case rec && tr:
		t = stored + "recordings and transcripts listed here."
	case rec:
		t = stored + "recordings listed here."
	case tr:
		t = stored + "transcripts listed here."
	}
	if len(kindsIn(ds, privacy.CatChat)) == 0 {
		t += " Chat messages are relayed and not stored."
	}
	return t
}

// chatReaders says who reads stored chat besides the people it was sent
// to (docs/privacy.md, "Chat"), where the server stores it.
const chatReaders = "Chat messages are stored, encrypted, until their retention period ends. Besides the people they were sent to, " +
	"administrators and privacy officers can read the stored chat of a meeting or of a person to answer a data protection request, " +
	"and every such reading is recorded in the audit log. Where a meeting's host chose so, participants with an account can read " +
	"the chat they were part of after the meeting, and people who join late see the earlier messages to everyone. " +
	"In an end-to-end encrypted meeting nobody can read its stored chat, not even afterwards: what is readable is only " +
	"who wrote to whom and when."

// meetingKept lists the categories a host may give their meeting its own
// period for (the meeting retention overrides), among those the server
// actually stores.
func meetingKept(ds []privacy.Declaration) []string {
	names := map[privacy.Category]string{privacy.CatRecording: "recordings", privacy.CatTranscript: "transcripts",
		privacy.CatChat: "chat", privacy.CatFile: "files"}
	var out []string
	for _, cat := range retention.Categories {
		if n, ok := names[cat]; ok && len(kindsIn(ds, cat)) > 0 {
			out = append(out, n)
		}
	}
	return out
}

func collectedSection(ds []privacy.Declaration) Section {
	t := &Table{Columns: []string{"What", "Why", "Legal basis"}}
	for _, d := range ds {
		t.Rows = append(t.Rows, []string{d.Description, d.Purpose, string(d.LegalBasis)})
	}
	return Section{ID: "collected", Title: "What is collected about you", Table: t, Paragraphs: []string{
		"In a meeting, the other participants see the name you give and hear and see what you share while you share it. The server keeps:",
	}}
}

func whoSees(ds []privacy.Declaration) []string {
	list := []string{
		"The people in your meeting see your name, your role and what you share, while you are there.",
		"The meeting's host and co-hosts decide who is let in and may remove participants.",
		"Administrators and privacy officers of the organisation can read the audit log (for example when you joined a meeting).",
	}
	if hasKind(ds, "chat_message") {
		list = append(list, chatReaders)
	}
	if r := recipients(ds); len(r) > 0 {
		return append(list, "Outside the organisation: "+strings.Join(r, "; ")+".")
	}
	return append(list, "Nobody outside the organisation: nothing is passed to third parties.")
}

func keptSection(in Inputs, ds []privacy.Declaration) Section {
	pol := in.policy()
	t := &Table{Columns: []string{"Data", "Kept for"}}
	for _, cat := range retention.Categories {
		kinds := kindsIn(ds, cat)
		if len(kinds) == 0 {
			continue
		}
		t.Rows = append(t.Rows, []string{string(cat) + " (" + strings.Join(kinds, ", ") + ")", periodText(pol, cat)})
	}
	p := "Data is deleted automatically when its period ends."
	if kinds := meetingKept(ds); len(kinds) > 0 {
		p += " A meeting's host may choose a shorter or longer period for that meeting's " + strings.Join(kinds, ", ") +
			", within limits the administrator sets."
	}
	return Section{ID: "kept", Title: "How long it is kept", Table: t, Paragraphs: []string{p}}
}

func rightsSection(in Inputs, ds []privacy.Declaration) Section {
	return Section{ID: "rights", Title: "Your rights", List: []string{
		"Access (Art. 15): ask for a copy of the data about you.",
		"Rectification (Art. 16): have wrong data corrected.",
		"Erasure (Art. 17): have your data deleted where it need not be kept.",
		"Restriction (Art. 18) and data portability (Art. 20): have processing limited, or get your data in a machine-readable form.",
		"Objection (Art. 21): object to processing based on legitimate interests.",
		"Withdraw consent at any time where you gave it, without affecting what was done before.",
		"Complaint (Art. 77): lodge a complaint with a data protection supervisory authority, in particular where you live or work.",
	}, Paragraphs: exerciseParagraphs(in, ds)}
}

// exerciseParagraphs say how to exercise the rights: through the contact,
// on the account page for those who have an account, and with the
// one-time proof for guests, each only where the server has it.
func exerciseParagraphs(in Inputs, ds []privacy.Declaration) []string {
	out := []string{exerciseText(in)}
	if hasKind(ds, "account") {
		out = append(out, "If you have an account, you can do much of this yourself on your account page: "+
			"download your data, correct your name and e-mail address, withdraw your acceptance of the privacy notice "+
			"(you are then asked to accept it again before your next meeting), and ask for erasure, restriction or "+
			"objection. Those requests go to the privacy officer, who must answer within one month; nothing is "+
			"erased or restricted until they do.")
	}
	if hasKind(ds, "guest_proof") {
		out = append(out, guestText(in))
	}
	return out
}

// guestText tells guests how they exercise their rights without an
// account: with the participant ID and the one-time proof the server gave
// them for it (privacy.Service.IssueGuestProof).
func guestText(in Inputs) string {
	valid := privacy.GuestProofTTL
	if d, ok := in.policy().Period(privacy.CatMeeting); ok && d > 0 && d < valid {
		valid = d
	}
	return "If you took part as a guest, Conclave stores neither your name nor an e-mail address: you are known only " +
		"by a participant ID, new for every meeting you join. So that you can show later that a participant ID was " +
		"yours, Conclave gives you a one-time code for it in the meeting; keep it with the participant ID. With both " +
		"you can ask for a copy of what is stored about that participation, its erasure or restriction, or object to " +
		"it, with the form at " + strings.TrimRight(in.Config.PublicURL, "/") + "/privacy/request (programs may send the same " +
		"request to /api/privacy/guest-requests): the request goes to the privacy officer's register, " +
		"and the officer answers within one month. A code works once, only with its own participant ID, and for " +
		retention.Text(valid) + "; the server keeps only a hash of it. Without it the organisation cannot tell that " +
		"the participant ID was yours."
}

func hasKind(ds []privacy.Declaration, name string) bool {
	for _, d := range ds {
		if d.Name == name {
			return true
		}
	}
	return false
}

func exerciseText(in Inputs) string {
	if c := strings.TrimSpace(in.Config.PrivacyContact); c != "" {
		return "To exercise these rights, contact " + c + "."
	}
	org := strings.TrimSpace(in.Config.Organisation)
	if org == "" {
		org = "the organisation that runs this server"
	}
	return "To exercise these rights, ask the person who invited you or " + org + "."
}
