package audit

import (
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// Record is the exported form of an entry (JSON and CSV). It carries
// everything needed to recompute the hashes elsewhere, given the key.
type Record struct {
	Seq        int64             `json:"seq"`
	Time       time.Time         `json:"time"`
	Action     string            `json:"action"`
	Actor      string            `json:"actor"`
	Target     string            `json:"target"`
	Meeting    string            `json:"meeting"`
	ClientAddr string            `json:"client_addr"`
	Outcome    string            `json:"outcome"`
	Details    map[string]string `json:"details"`
	AddrSalt   string            `json:"addr_salt"`
	AddrHash   string            `json:"addr_hash"`
	PrevHash   string            `json:"prev_hash"`
	Hash       string            `json:"hash"`
}

// ToRecord converts e; hashes become lower-case hex, details never null.
func ToRecord(e Entry) Record {
	d := e.Details
	if d == nil {
		d = map[string]string{}
	}
	return Record{
		Seq: e.Seq, Time: e.Time.UTC(), Action: e.Action, Actor: e.Actor, Target: e.Target,
		Meeting: e.Meeting, ClientAddr: e.ClientAddr, Outcome: e.Outcome, Details: d,
		AddrSalt: hex.EncodeToString(e.AddrSalt), AddrHash: hex.EncodeToString(e.AddrHash),
		PrevHash: hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash),
	}
}

// Format is an export format.
type Format string

const (
	CSV  Format = "csv"
	JSON Format = "json"
)

// ParseFormat accepts "csv" and "json".
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case CSV, JSON:
		return f, nil
	}
	return "", fmt.Errorf("format must be csv or json, not %q", s)
}

// ContentType is the MIME type of f.
func (f Format) ContentType() string {
	if f == CSV {
		return "text/csv; charset=utf-8"
	}
	return "application/json; charset=utf-8"
}

// csvHeader names the CSV columns, in Record order.
var csvHeader = []string{"seq", "time", "action", "actor", "target", "meeting", "client_addr",
	"outcome", "details", "addr_salt", "addr_hash", "prev_hash", "hash"}

// Export writes the entries matching f (its paging fields are ignored) to w
// in chain order and returns how many it wrote. It reads the log in pages,
// so exports of any size use little memory. JSON is one array with an entry
// per line; CSV has a header row and the details as a JSON object.
func (l *Log) Export(ctx context.Context, w io.Writer, format Format, f store.AuditFilter) (int64, error) {
	out, err := newExporter(w, format)
	if err != nil {
		return 0, err
	}
	f.Newest, f.Limit, f.Offset, f.AfterSeq = false, verifyPage, 0, 0
	var n int64
	for {
		page, err := l.Entries(ctx, f)
		if err != nil {
			return n, err
		}
		for _, e := range page {
			if err := out.write(ToRecord(e)); err != nil {
				return n, fmt.Errorf("audit: export: %w", err)
			}
			n++
		}
		if len(page) < verifyPage {
			break
		}
		f.AfterSeq = page[len(page)-1].Seq
	}
	if err := out.end(); err != nil {
		return n, fmt.Errorf("audit: export: %w", err)
	}
	return n, nil
}

type exporter interface {
	write(Record) error
	end() error
}

func newExporter(w io.Writer, format Format) (exporter, error) {
	switch format {
	case CSV:
		cw := csv.NewWriter(w)
		return &csvExporter{w: cw}, cw.Write(csvHeader)
	case JSON:
		_, err := io.WriteString(w, "[")
		return &jsonExporter{w: w}, err
	}
	return nil, fmt.Errorf("audit: unknown export format %q", format)
}

type csvExporter struct{ w *csv.Writer }

func (c *csvExporter) write(r Record) error {
	details, err := json.Marshal(r.Details)
	if err != nil {
		return err
	}
	row := []string{
		strconv.FormatInt(r.Seq, 10), r.Time.Format(time.RFC3339Nano), r.Action, r.Actor, r.Target,
		r.Meeting, r.ClientAddr, r.Outcome, string(details), r.AddrSalt, r.AddrHash, r.PrevHash, r.Hash,
	}
	for i, cell := range row {
		row[i] = defuseFormula(cell)
	}
	return c.w.Write(row)
}

// defuseFormula keeps a spreadsheet from evaluating a cell. Validated
// entries never start with these characters (numbers, constants, IDs,
// addresses, hex, a JSON object), but a tampered database could hold
// anything, and exports are opened by people.
func defuseFormula(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

func (c *csvExporter) end() error {
	c.w.Flush()
	return c.w.Error()
}

type jsonExporter struct {
	w io.Writer
	n int
}

func (j *jsonExporter) write(r Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	sep := ",\n"
	if j.n == 0 {
		sep = "\n"
	}
	j.n++
	_, err = fmt.Fprintf(j.w, "%s%s", sep, b)
	return err
}

func (j *jsonExporter) end() error {
	_, err := io.WriteString(j.w, "\n]\n")
	return err
}
