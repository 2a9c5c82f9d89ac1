// Package records writes what Conclave tells people about its processing
// of personal data, from the running configuration and the privacy
// registry: the records of processing for the controller and its data
// protection officer (GDPR Art. 30, input to a DPIA under Art. 35), and the
// transparency page for everyone in a meeting (Art. 13). Both are built as
// a Document, which renders as Markdown, as self-contained HTML (no
// external resources, print-friendly) or as JSON for the browser client.
package records

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"strings"
)

// Document is a titled list of sections.
type Document struct {
	Title string `json:"title"`
	// Intro is shown under the title, e.g. when it was generated.
	Intro    []string  `json:"intro,omitempty"`
	Sections []Section `json:"sections"`
}

// Section has paragraphs, then a bulleted list, then a table, each optional.
type Section struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Paragraphs []string `json:"paragraphs,omitempty"`
	List       []string `json:"list,omitempty"`
	Table      *Table   `json:"table,omitempty"`
}

// Table is a header row and data rows of the same width.
type Table struct {
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
}

// Markdown writes d as CommonMark with pipe tables.
func (d Document) Markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", d.Title)
	for _, p := range d.Intro {
		fmt.Fprintf(&b, "%s\n\n", p)
	}
	for _, s := range d.Sections {
		fmt.Fprintf(&b, "## %s\n\n", s.Title)
		for _, p := range s.Paragraphs {
			fmt.Fprintf(&b, "%s\n\n", p)
		}
		for _, item := range s.List {
			fmt.Fprintf(&b, "* %s\n", item)
		}
		if len(s.List) > 0 {
			b.WriteString("\n")
		}
		if s.Table != nil {
			writeMarkdownTable(&b, *s.Table)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeMarkdownTable(b *strings.Builder, t Table) {
	row := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + mdCell(c) + " |")
		}
		b.WriteString("\n")
	}
	row(t.Columns)
	b.WriteString("|" + strings.Repeat("---|", len(t.Columns)) + "\n")
	for _, r := range t.Rows {
		row(r)
	}
	b.WriteString("\n")
}

// mdCell keeps a value inside its table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// Stylesheet is the HTML rendering's only style, inline so the file can be
// handed on and printed as it is. StyleCSP is the Content-Security-Policy
// that lets a browser apply it and nothing else.
const Stylesheet = `body{font:11pt/1.45 system-ui,sans-serif;color:#111;background:#fff;max-width:60em;margin:2em auto;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #999}
table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #999;padding:.3em .5em;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#eee}.intro{color:#333}
@media print{body{margin:0;max-width:none;font-size:10pt}h2{break-after:avoid}tr{break-inside:avoid}a{color:inherit}}`

// StyleCSP allows the inline stylesheet by its hash and nothing else: no
// scripts, no images, no requests anywhere.
var StyleCSP = func() string {
	sum := sha256.Sum256([]byte(Stylesheet))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}()

// HTML writes d as one self-contained page.
func (d Document) HTML(w io.Writer) error {
	var b strings.Builder
	e := html.EscapeString
	fmt.Fprintf(&b, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"+
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"+
		"<meta name=\"referrer\" content=\"no-referrer\">\n<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n<h1>%s</h1>\n",
		e(d.Title), Stylesheet, e(d.Title))
	for _, p := range d.Intro {
		fmt.Fprintf(&b, "<p class=\"intro\">%s</p>\n", e(p))
	}
	for _, s := range d.Sections {
		fmt.Fprintf(&b, "<section id=\"%s\">\n<h2>%s</h2>\n", e(s.ID), e(s.Title))
		for _, p := range s.Paragraphs {
			fmt.Fprintf(&b, "<p>%s</p>\n", e(p))
		}
		if len(s.List) > 0 {
			b.WriteString("<ul>\n")
			for _, item := range s.List {
				fmt.Fprintf(&b, "<li>%s</li>\n", e(item))
			}
			b.WriteString("</ul>\n")
		}
		if s.Table != nil {
			writeHTMLTable(&b, *s.Table)
		}
		b.WriteString("</section>\n")
	}
	b.WriteString("</main>\n</body>\n</html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeHTMLTable(b *strings.Builder, t Table) {
	b.WriteString("<table>\n<thead><tr>")
	for _, c := range t.Columns {
		fmt.Fprintf(b, "<th scope=\"col\">%s</th>", html.EscapeString(c))
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, r := range t.Rows {
		b.WriteString("<tr>")
		for _, c := range r {
			fmt.Fprintf(b, "<td>%s</td>", html.EscapeString(c))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n")
}
