package authz

import "strings"

// Markdown renders the table as docs/security.md shows it, one table for
// meeting actions and one for organisation actions.
func Markdown() string {
	var b strings.Builder
	write(&b, MeetingActions, MeetingRoles)
	b.WriteString("\n")
	write(&b, OrgActions, OrgRoles)
	return b.String()
}

func write(b *strings.Builder, actions []Action, roles []Role) {
	b.WriteString("| action |")
	for _, r := range roles {
		b.WriteString(" " + string(r) + " |")
	}
	b.WriteString("\n|---|")
	for range roles {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, a := range actions {
		b.WriteString("| `" + string(a) + "` |")
		for _, r := range roles {
			b.WriteString(" " + Table[a][r].String() + " |")
		}
		b.WriteString("\n")
	}
}
