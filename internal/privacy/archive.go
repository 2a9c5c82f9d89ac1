package privacy

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"io"
	"path"
	"regexp"
	"strings"
	"text/template"
	"time"
)

// The archive's fixed entries; original files go under filesDir/<kind>/.
const (
	dataFile    = "data.json"
	summaryMD   = "summary.md"
	summaryHTML = "summary.html"
	filesDir    = "files"
)

// WriteArchive writes e as a zip: data.json (machine-readable, for
// portability under Art. 20), the kinds' original files, and a summary in
// Markdown and HTML for the person to read (Art. 15(1)).
func WriteArchive(w io.Writer, e Export) error {
	v := newView(e)
	zw := zip.NewWriter(w)
	if err := writeJSONEntry(zw, dataFile, e.GeneratedAt, v.data()); err != nil {
		return err
	}
	for _, k := range v.Kinds {
		for _, f := range k.files {
			if err := writeEntry(zw, f.path, e.GeneratedAt, func(w io.Writer) error {
				_, err := w.Write(f.data)
				return err
			}); err != nil {
				return err
			}
		}
	}
	if err := writeEntry(zw, summaryMD, e.GeneratedAt, func(w io.Writer) error { return mdSummary.Execute(w, v) }); err != nil {
		return err
	}
	if err := writeEntry(zw, summaryHTML, e.GeneratedAt, func(w io.Writer) error { return htmlSummary.Execute(w, v) }); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("privacy: archive: %w", err)
	}
	return nil
}

func writeEntry(zw *zip.Writer, name string, at time.Time, fill func(io.Writer) error) error {
	f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: at})
	if err != nil {
		return fmt.Errorf("privacy: archive %s: %w", name, err)
	}
	if err := fill(f); err != nil {
		return fmt.Errorf("privacy: archive %s: %w", name, err)
	}
	return nil
}

// writeJSONEntry dates the entry like the others, at the export's time: a
// zero time would be stored as the zip epoch, 1980.
func writeJSONEntry(zw *zip.Writer, name string, at time.Time, v any) error {
	return writeEntry(zw, name, at, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

// view is the export as the archive presents it.
type view struct {
	Subject     string
	GeneratedAt string
	Controller  string
	Contact     string
	Kinds       []kindView
}

type kindView struct {
	Declaration
	Retention string
	records   []any
	files     []archiveFile
}

type archiveFile struct {
	path string
	data []byte
}

// Count is the number of items, for the summaries.
func (k kindView) Count() int { return len(k.records) + len(k.files) }

// Files lists the archive paths of the kind's original files.
func (k kindView) Files() []string {
	out := make([]string, len(k.files))
	for i, f := range k.files {
		out[i] = f.path
	}
	return out
}

func newView(e Export) view {
	v := view{Subject: e.Subject.ID, GeneratedAt: e.GeneratedAt.UTC().Format(time.RFC3339),
		Controller: orNone(e.Controller), Contact: orNone(e.Contact)}
	for _, k := range e.Kinds {
		kv := kindView{Declaration: k.Declaration, Retention: RetentionText(k.Retention)}
		for i, it := range k.Items {
			if it.Record != nil {
				kv.records = append(kv.records, it.Record)
			}
			if it.File != nil {
				kv.files = append(kv.files, archiveFile{path: filePath(k.Declaration.Name, i, it.Name), data: it.File})
			}
		}
		v.Kinds = append(v.Kinds, kv)
	}
	return v
}

// dataJSON is data.json: per kind its declaration and items.
type dataJSON struct {
	Subject     string     `json:"subject"`
	GeneratedAt string     `json:"generated_at"`
	Controller  string     `json:"controller"`
	Contact     string     `json:"contact"`
	Kinds       []kindJSON `json:"kinds"`
}

type kindJSON struct {
	Name        string   `json:"name"`
	Category    Category `json:"category"`
	Description string   `json:"description"`
	Purpose     string   `json:"purpose"`
	LegalBasis  string   `json:"legal_basis"`
	Retention   string   `json:"retention"`
	Storage     string   `json:"storage"`
	Fields      []string `json:"fields"`
	Recipients  []string `json:"recipients"`
	Items       []any    `json:"items"`
	Files       []string `json:"files"`
}

func (v view) data() dataJSON {
	d := dataJSON{Subject: v.Subject, GeneratedAt: v.GeneratedAt, Controller: v.Controller, Contact: v.Contact,
		Kinds: []kindJSON{}}
	for _, k := range v.Kinds {
		d.Kinds = append(d.Kinds, kindJSON{
			Name: k.Name, Category: k.Category, Description: k.Description, Purpose: k.Purpose,
			LegalBasis: string(k.LegalBasis), Retention: k.Retention, Storage: k.Storage,
			Fields: k.Fields, Recipients: nonNil(k.Recipients), Items: nonNilAny(k.records), Files: k.Files(),
		})
	}
	return d
}

// unsafeName matches what may not appear in an archive path component, so
// that a stored file name cannot climb out of files/<kind>/ when unpacked.
var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func filePath(kind string, i int, name string) string {
	base := strings.Trim(unsafeName.ReplaceAllString(path.Base(name), "_"), ".")
	if base == "" {
		base = "file"
	}
	return path.Join(filesDir, unsafeName.ReplaceAllString(kind, "_"), fmt.Sprintf("%03d-%s", i+1, base))
}

// RetentionText describes a retention period in words.
func RetentionText(d time.Duration) string {
	if d <= 0 {
		return "kept until erased (no fixed period)"
	}
	if days := d / (24 * time.Hour); days >= 1 && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", days)
	}
	return d.String()
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(not configured)"
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilAny(s []any) []any {
	if s == nil {
		return []any{}
	}
	return s
}

const mdText = `# Personal data held on {{.Subject}}

Generated {{.GeneratedAt}} by Conclave for {{.Controller}}.
Questions and requests: {{.Contact}}.

The machine-readable copy of everything listed here is data.json in this
archive; original files are under files/.
{{range .Kinds}}
## {{.Name}}

{{.Description}}

- Items held: {{.Count}}
- Purpose: {{.Purpose}}
- Legal basis: {{.LegalBasis}}
- Retention: {{.Retention}}
- Stored in: {{.Storage}}
- Fields: {{join .Fields ", "}}
- Recipients outside this server: {{if .Recipients}}{{join .Recipients ", "}}{{else}}none{{end}}
{{- range .Files}}
- File: {{.}}
{{- end}}
{{end}}`

const htmlText = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Personal data held on {{.Subject}}</title></head>
<body>
<h1>Personal data held on {{.Subject}}</h1>
<p>Generated {{.GeneratedAt}} by Conclave for {{.Controller}}. Questions and requests: {{.Contact}}.</p>
<p>The machine-readable copy of everything listed here is <code>data.json</code> in this archive; original files are under <code>files/</code>.</p>
{{range .Kinds}}
<h2>{{.Name}}</h2>
<p>{{.Description}}</p>
<dl>
<dt>Items held</dt><dd>{{.Count}}</dd>
<dt>Purpose</dt><dd>{{.Purpose}}</dd>
<dt>Legal basis</dt><dd>{{.LegalBasis}}</dd>
<dt>Retention</dt><dd>{{.Retention}}</dd>
<dt>Stored in</dt><dd>{{.Storage}}</dd>
<dt>Fields</dt><dd>{{join .Fields ", "}}</dd>
<dt>Recipients outside this server</dt><dd>{{if .Recipients}}{{join .Recipients ", "}}{{else}}none{{end}}</dd>
{{range .Files}}<dt>File</dt><dd>{{.}}</dd>{{end}}
</dl>
{{end}}
</body></html>
`

var (
	funcs       = map[string]any{"join": strings.Join}
	mdSummary   = template.Must(template.New(summaryMD).Funcs(funcs).Parse(mdText))
	htmlSummary = htmltemplate.Must(htmltemplate.New(summaryHTML).Funcs(funcs).Parse(htmlText))
)
