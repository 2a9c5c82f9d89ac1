package audit

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
)

func TestExportJSON(t *testing.T) {
	l, m := newMemLog(t, 5)
	var b bytes.Buffer
	n, err := l.Export(context.Background(), &b, JSON, store.AuditFilter{Limit: 1, Newest: true})
	if err != nil || n != 5 {
		t.Fatalf("export: %d %v", n, err)
	}
	var recs []Record
	if err := json.Unmarshal(b.Bytes(), &recs); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b.String())
	}
	if len(recs) != 5 || recs[0].Seq != 1 || recs[4].Seq != 5 {
		t.Fatalf("records %+v", recs)
	}
	r := recs[2]
	e := m.entries[2]
	if r.Hash != hex.EncodeToString(e.Hash) || r.ClientAddr != "192.0.2.10" || r.Details["n"] != "c" || !r.Time.Equal(e.Time) {
		t.Fatalf("record %+v", r)
	}
	if strings.Count(b.String(), "\n") != 7 {
		t.Fatalf("want one entry per line:\n%s", b.String())
	}

	b.Reset()
	if n, err := l.Export(context.Background(), &b, JSON, store.AuditFilter{Action: "nothing"}); err != nil || n != 0 {
		t.Fatal(n, err)
	}
	if err := json.Unmarshal(b.Bytes(), &recs); err != nil || len(recs) != 0 {
		t.Fatalf("empty export %q: %v", b.String(), err)
	}
}

func TestExportCSV(t *testing.T) {
	l, _ := newMemLog(t, verifyPage+2)
	var b bytes.Buffer
	n, err := l.Export(context.Background(), &b, CSV, store.AuditFilter{Action: string(MeetingCreate)})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(rows)) != n+1 || n != (verifyPage+2+2)/4 {
		t.Fatalf("%d rows for %d entries", len(rows), n)
	}
	if strings.Join(rows[0], ",") != strings.Join(csvHeader, ",") {
		t.Fatalf("header %v", rows[0])
	}
	if rows[1][0] != "2" || rows[1][2] != "meeting.create" || rows[1][8] != `{"n":"b"}` || len(rows[1][12]) != 64 {
		t.Fatalf("row %v", rows[1])
	}
}

func TestDefuseFormula(t *testing.T) {
	for in, want := range map[string]string{"=1+1": "'=1+1", "@x": "'@x", "-2": "'-2", "u_a": "u_a", "": "", "{}": "{}"} {
		if got := defuseFormula(in); got != want {
			t.Errorf("%q -> %q", in, got)
		}
	}
}

func TestExportErrors(t *testing.T) {
	l, _ := newMemLog(t, 2)
	if _, err := ParseFormat("xml"); err == nil {
		t.Fatal("xml accepted")
	}
	if f, err := ParseFormat("csv"); err != nil || f.ContentType() != "text/csv; charset=utf-8" || JSON.ContentType() != "application/json; charset=utf-8" {
		t.Fatal(f, err)
	}
	if _, err := l.Export(context.Background(), &bytes.Buffer{}, "xml", store.AuditFilter{}); err == nil {
		t.Fatal("unknown format exported")
	}
	if _, err := l.Export(context.Background(), failWriter{}, JSON, store.AuditFilter{}); err == nil {
		t.Fatal("write error lost")
	}
	boom := errors.New("db gone")
	if _, err := New(failingStore{err: boom}, Options{}).Export(context.Background(), &bytes.Buffer{}, CSV, store.AuditFilter{}); !errors.Is(err, boom) {
		t.Fatalf("store error: %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("closed") }
