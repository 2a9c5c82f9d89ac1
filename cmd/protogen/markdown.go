package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/conclave-meet/conclave/internal/protocol/schema"
)

// The message reference in docs/protocol.md, between these markers.
const (
	beginMarker = "<!-- BEGIN GENERATED: messages -->"
	endMarker   = "<!-- END GENERATED: messages -->"
)

// markdown generates the tables that go between the markers.
func markdown(m *model) string {
	var b strings.Builder
	b.WriteString("\n### Client → server\n\n")
	writeMessageTable(&b, m.client)
	b.WriteString("\n### Server → client\n\n")
	writeMessageTable(&b, m.server)
	b.WriteString("\n### Objects\n\n| object | fields |\n|--------|--------|\n")
	for _, s := range m.structs {
		if !nested(m, s) {
			continue // a payload only: its fields are in the tables above
		}
		fmt.Fprintf(&b, "| `%s` | %s |\n", s.Name, fieldsCell(s))
	}
	b.WriteString("\n")
	return b.String()
}

// nested reports whether s occurs inside another struct.
func nested(m *model, s *schema.Struct) bool {
	for _, o := range m.structs {
		for _, f := range o.Fields {
			for _, in := range structsIn(f.Node) {
				if in == s {
					return true
				}
			}
		}
	}
	return false
}

func writeMessageTable(b *strings.Builder, msgs []message) {
	b.WriteString("| type | data | meaning |\n|------|------|---------|\n")
	for _, msg := range msgs {
		fmt.Fprintf(b, "| `%s` | %s | %s |\n", msg.spec.Type, fieldsCell(msg.st), cell(msg.spec.Doc))
	}
}

// fieldsCell lists a struct's fields in one table cell.
func fieldsCell(s *schema.Struct) string {
	if len(s.Fields) == 0 {
		return "`{}`"
	}
	lines := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		line := fmt.Sprintf("`%s`: `%s`", f.JSON, cell(tsType(f.Node)))
		if l := limitText(f); l != "" {
			line += " — " + cell(l)
		}
		lines[i] = line
	}
	return strings.Join(lines, "<br>")
}

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(s, "|", `\|`)
}

// limitText describes a field's rules in words ("required, at most 64
// bytes"), for the docs and the TypeScript comments.
func limitText(f schema.Field) string {
	var parts []string
	n := f.Node
	if n.Kind == schema.KindPointer {
		if n.Rules.Required {
			parts = append(parts, "required")
		}
		n = n.Elem
	}
	r := n.Rules
	switch n.Kind {
	case schema.KindString:
		if r.Required {
			parts = append(parts, "required")
		}
		parts = append(parts, rangeText(r, " bytes")...)
	case schema.KindInt:
		parts = append(parts, rangeText(r, "")...)
	case schema.KindSlice, schema.KindMap:
		if r.Required {
			parts = append(parts, "required")
		}
		parts = append(parts, rangeText(r, " entries")...)
		for i, p := range parts {
			parts[i] = strings.Replace(p, " 1 entries", " 1 entry", 1)
		}
		if r.KeyMax > 0 {
			parts = append(parts, fmt.Sprintf("keys at most %d bytes", r.KeyMax))
		}
	case schema.KindTime:
		parts = append(parts, "RFC 3339 time")
	}
	if f.OmitEmpty {
		parts = append(parts, "omitted when empty")
	}
	return strings.Join(parts, ", ")
}

func rangeText(r schema.Rules, unit string) []string {
	switch {
	case r.HasMin && r.HasMax && r.Min == r.Max:
		return []string{fmt.Sprintf("exactly %d%s", r.Min, unit)}
	case r.HasMin && r.HasMax:
		return []string{fmt.Sprintf("%d to %d%s", r.Min, r.Max, unit)}
	case r.HasMin:
		return []string{fmt.Sprintf("at least %d%s", r.Min, unit)}
	case r.HasMax:
		return []string{fmt.Sprintf("at most %d%s", r.Max, unit)}
	}
	return nil
}

// splice replaces what lies between the markers in doc with generated.
func splice(doc []byte, generated string) ([]byte, error) {
	begin := bytes.Index(doc, []byte(beginMarker))
	end := bytes.Index(doc, []byte(endMarker))
	switch {
	case begin < 0 || end < 0:
		return nil, errors.New("the markers " + beginMarker + " and " + endMarker + " are missing")
	case end < begin || bytes.Count(doc, []byte(beginMarker)) > 1 || bytes.Count(doc, []byte(endMarker)) > 1:
		return nil, errors.New("the generated-section markers are out of order or repeated")
	}
	var out bytes.Buffer
	out.Write(doc[:begin+len(beginMarker)])
	out.WriteString("\n")
	out.WriteString(generated)
	out.Write(doc[end:])
	return out.Bytes(), nil
}
