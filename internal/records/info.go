package records

import (
	"strings"

	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/retention"
)

// Info returns the transparency page for participants (Art. 13): what is
// collected about them, where, who sees it, how long, and their rights.
func Info(in Inputs) Document {
	ds := in.declarations()
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
				"The controller is " + org + ". Contact for data protection: " + contact(in) + ".",
			}},
			collectedSection(ds),
			{ID: "where", Title: "Where it is stored", Paragraphs: []string{
				"Everything is stored on this server, run by " + org + ", and nowhere else. Your audio and video travel through this server to the other participants and are not stored. Your browser loads nothing from other websites.",
			}},
			{ID: "who-sees", Title: "Who can see it", List: whoSees(ds)},
			keptSection(in, ds),
			rightsSection(in),
		},
	}
}

func contact(in Inputs) string {
	if c := strings.TrimSpace(in.Config.PrivacyContact); c != "" {
		return c
	}
	return "ask the person who invited you (no contact is configured)"
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
	return Section{ID: "kept", Title: "How long it is kept", Table: t, Paragraphs: []string{
		"Data is deleted automatically when its period ends. A meeting's host may choose a shorter or longer period for that meeting's recordings, transcripts, chat and files, within limits the administrator sets.",
	}}
}

func rightsSection(in Inputs) Section {
	return Section{ID: "rights", Title: "Your rights", List: []string{
		"Access (Art. 15): ask for a copy of the data about you.",
		"Rectification (Art. 16): have wrong data corrected.",
		"Erasure (Art. 17): have your data deleted where it need not be kept.",
		"Restriction (Art. 18) and data portability (Art. 20): have processing limited, or get your data in a machine-readable form.",
		"Objection (Art. 21): object to processing based on legitimate interests.",
		"Withdraw consent at any time where you gave it, without affecting what was done before.",
		"Complaint (Art. 77): lodge a complaint with a data protection supervisory authority, in particular where you live or work.",
	}, Paragraphs: []string{"To exercise these rights, contact " + contact(in) + "."}}
}
