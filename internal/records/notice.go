package records

import (
	"strings"

	"github.com/conclave-meet/conclave/internal/retention"
)

// NoticeMarkdown is the privacy notice in force until an administrator
// publishes one (package notice): a complete, neutral text built from the
// same facts as the transparency page (who runs the server, what is
// stored, who sees it, how long it is kept, the rights), so that nobody is
// ever shown placeholders. Where the configuration leaves something out
// (no organisation, no privacy contact) it says so in plain words.
//
// The text depends only on the configuration and the registry, never on
// the time, the version or the port the server happens to listen on: the
// notice service publishes it again as a new version when, and only when,
// it changes.
func NoticeMarkdown(in Inputs) string {
	ds := in.collected()
	org := strings.TrimSpace(in.Config.Organisation)
	who := "This video conferencing server is run by " + org + ", the controller of your personal data."
	if org == "" {
		org = "the organisation that runs this server"
		who = "This video conferencing server is run by the organisation that invited you to a meeting; it is the controller of your personal data."
	}
	var b strings.Builder
	b.WriteString("# Privacy notice\n\n")
	b.WriteString("## Who is responsible\n\n")
	b.WriteString(who + " ")
	if c := strings.TrimSpace(in.Config.PrivacyContact); c != "" {
		b.WriteString("Contact for data protection: " + c + ".\n\n")
	} else {
		b.WriteString("No data protection contact is configured on this server: ask the person who invited you or " +
			"the organisation's usual contact.\n\n")
	}

	b.WriteString("## What this server stores\n\n")
	b.WriteString("In a meeting, the other participants see the name you give and hear and see what you share, while you share it. " +
		liveText(ds) + "\n\n")
	if len(ds) > 0 {
		b.WriteString("The server keeps:\n\n")
		for _, d := range ds {
			b.WriteString("- " + noticeLine(d.Description) + " Why: " + noticeLine(d.Purpose) + "\n")
		}
		b.WriteString("\n")
	}

	if hasKind(ds, "chat_message") {
		b.WriteString(chatReaders + "\n\n")
	}

	b.WriteString("## Who receives your data\n\n")
	if r := recipients(ds); len(r) > 0 {
		b.WriteString("Outside " + org + ": " + noticeLine(strings.Join(r, "; ")) + "\n\n")
	} else {
		b.WriteString("Nobody outside " + org + ". This server contacts no third parties: no analytics, " +
			"no external fonts or scripts, no external STUN or TURN servers. The meeting's host and co-hosts decide who is let in; " +
			"administrators and privacy officers can read the audit log.\n\n")
	}

	b.WriteString("## How long it is kept\n\n")
	pol := in.policy()
	kept := false
	for _, cat := range retention.Categories {
		kinds := kindsIn(ds, cat)
		if len(kinds) == 0 {
			continue
		}
		kept = true
		b.WriteString("- " + string(cat) + " (" + strings.Join(kinds, ", ") + "): " + periodText(pol, cat) + "\n")
	}
	if kept {
		b.WriteString("\n")
	}
	b.WriteString("Data is deleted automatically when its period ends.\n\n")

	b.WriteString("## Your rights\n\n")
	b.WriteString("You may ask for access to your data, its correction or erasure, the restriction of processing and a copy of your data " +
		"(data portability), and object to processing. Where you gave consent, you may withdraw it at any time. ")
	if c := strings.TrimSpace(in.Config.PrivacyContact); c != "" {
		b.WriteString("To do so, contact " + c + ". ")
	} else {
		b.WriteString("To do so, ask the person who invited you or " + org + ". ")
	}
	b.WriteString("You may also complain to a data protection supervisory authority.\n")
	return b.String()
}

// noticeLine makes a registry sentence safe to put into a Markdown list
// item: one line, ending with a full stop, and no square brackets (which
// Markdown reads as links and readers as placeholders).
func noticeLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.NewReplacer("[", "(", "]", ")").Replace(s)
	if s != "" && !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
