package privacy

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// recKind is a fake kind that holds items and records erasures into a
// shared log, so tests can see the order kinds ran in.
type recKind struct {
	d       Declaration
	items   []Item
	erased  Erased
	fail    error
	mu      *sync.Mutex
	erasing *[]string
}

func (k recKind) Declare() Declaration { return k.d }

func (k recKind) Export(_ context.Context, s Subject) ([]Item, error) {
	if k.fail != nil {
		return nil, k.fail
	}
	return k.items, nil
}

func (k recKind) Erase(_ context.Context, s Subject) (Erased, error) {
	k.mu.Lock()
	*k.erasing = append(*k.erasing, k.d.Name)
	k.mu.Unlock()
	return k.erased, k.fail
}

func (recKind) Expire(context.Context, time.Time) (int, error) { return 0, nil }

type fixture struct {
	reg   *Registry
	order []string
	mu    sync.Mutex
}

func (f *fixture) add(t *testing.T, name string, cat Category, mod func(*recKind)) {
	t.Helper()
	d := complete(name)
	d.Category = cat
	k := recKind{d: d, mu: &f.mu, erasing: &f.order}
	if mod != nil {
		mod(&k)
	}
	if err := f.reg.Register(k); err != nil {
		t.Fatal(err)
	}
}

var fixedNow = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func newFixture() (*fixture, *Service) {
	f := &fixture{reg: NewRegistry()}
	return f, &Service{Registry: f.reg, Now: func() time.Time { return fixedNow },
		Retention: map[string]time.Duration{"meeting": 90 * 24 * time.Hour}, Controller: "Example Org",
		Contact: "privacy@example.org"}
}

func TestExportArchiveHoldsEveryKind(t *testing.T) {
	f, svc := newFixture()
	f.add(t, "meeting", CatMeeting, func(k *recKind) {
		k.items = []Item{{Record: map[string]string{"title": "Standup"}},
			{Name: "../../etc/passwd", File: []byte("original bytes")}}
	})
	f.add(t, "empty", CatAccount, nil)
	exp, err := svc.Export(context.Background(), Subject{ID: "u_abc"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteArchive(&buf, exp); err != nil {
		t.Fatal(err)
	}
	files := unzip(t, buf.Bytes())
	for _, name := range []string{"data.json", "summary.md", "summary.html", "files/meeting/002-passwd"} {
		if _, ok := files[name]; !ok {
			t.Fatalf("archive lacks %s; has %v", name, keys(files))
		}
	}
	if files["files/meeting/002-passwd"] != "original bytes" {
		t.Fatalf("file content %q", files["files/meeting/002-passwd"])
	}
	var data dataJSON
	if err := json.Unmarshal([]byte(files["data.json"]), &data); err != nil {
		t.Fatal(err)
	}
	if data.Subject != "u_abc" || len(data.Kinds) != 2 || data.Kinds[1].Name != "meeting" {
		t.Fatalf("data.json: %+v", data)
	}
	m := data.Kinds[1]
	if len(m.Items) != 1 || m.Retention != "90 days" || m.LegalBasis != string(Contract) || len(m.Files) != 1 {
		t.Fatalf("meeting kind: %+v", m)
	}
	if data.Kinds[0].Items == nil || data.Kinds[0].Retention != RetentionText(0) {
		t.Fatalf("empty kind must list no items, not null: %+v", data.Kinds[0])
	}
	for _, want := range []string{"## meeting", "Legal basis: " + string(Contract), "Retention: 90 days",
		"Recipients outside this server: none", "Example Org", "privacy@example.org"} {
		if !strings.Contains(files["summary.md"], want) {
			t.Errorf("summary.md lacks %q:\n%s", want, files["summary.md"])
		}
	}
	if !strings.Contains(files["summary.html"], "<h2>meeting</h2>") {
		t.Errorf("summary.html:\n%s", files["summary.html"])
	}
}

func TestExportFailsWhenAKindFails(t *testing.T) {
	f, svc := newFixture()
	f.add(t, "broken", CatMeeting, func(k *recKind) { k.fail = errors.New("disk on fire") })
	if _, err := svc.Export(context.Background(), Subject{ID: "u_abc"}); err == nil || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("want error naming the kind, got %v", err)
	}
}

func TestSubjectMustBeAnID(t *testing.T) {
	_, svc := newFixture()
	for _, id := range []string{"", "u_", "alice@example.org", "x_1"} {
		if _, err := svc.Export(context.Background(), Subject{ID: id}); !errors.Is(err, ErrBadSubject) {
			t.Errorf("export %q: %v", id, err)
		}
		if _, err := svc.Erase(context.Background(), Subject{ID: id}); !errors.Is(err, ErrBadSubject) {
			t.Errorf("erase %q: %v", id, err)
		}
	}
}

func TestEraseRunsEveryKindAccountLast(t *testing.T) {
	f, svc := newFixture()
	f.add(t, "account", CatAccount, func(k *recKind) { k.erased = Erased{Deleted: 1} })
	f.add(t, "audit_log", CatAudit, func(k *recKind) { k.erased = Erased{Pseudonymous: 4, Note: "kept"} })
	f.add(t, "broken", CatMeeting, func(k *recKind) { k.fail = errors.New("boom") })
	f.add(t, "meeting", CatMeeting, func(k *recKind) { k.erased = Erased{Shredded: 2} })
	scrubbed := false
	svc.Scrub = func(context.Context) error { scrubbed = true; return nil }

	rep, err := svc.Erase(context.Background(), Subject{ID: "u_abc"})
	if err == nil || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("want the failing kind's error, got %v", err)
	}
	if got := strings.Join(f.order, ","); got != "audit_log,broken,meeting,account" {
		t.Fatalf("erase order %s", got)
	}
	if rep.Complete || !scrubbed || rep.Subject != "u_abc" || !rep.ErasedAt.Equal(fixedNow) {
		t.Fatalf("report %+v scrubbed %v", rep, scrubbed)
	}
	byKind := map[string]KindErasure{}
	for _, k := range rep.Kinds {
		byKind[k.Kind] = k
	}
	if byKind["meeting"].Shredded != 2 || byKind["account"].Deleted != 1 || byKind["audit_log"].Note != "kept" {
		t.Fatalf("report kinds %+v", rep.Kinds)
	}
	if byKind["broken"].Error == "" || strings.Contains(byKind["broken"].Error, "boom") {
		t.Fatalf("a failed kind is marked without leaking its error: %+v", byKind["broken"])
	}
}

func TestEraseCompleteWhenAllKindsSucceed(t *testing.T) {
	f, svc := newFixture()
	f.add(t, "session", CatAccount, func(k *recKind) { k.erased = Erased{Deleted: 3} })
	rep, err := svc.Erase(context.Background(), Subject{ID: "p_guest"})
	if err != nil || !rep.Complete || len(rep.Kinds) != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
}

func unzip(t *testing.T, b []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = string(data)
	}
	return out
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
