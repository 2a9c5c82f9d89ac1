package notice

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
)

func newService(t *testing.T) (*Service, store.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &Service{Store: st}, st
}

func TestEnsureDefaultStoresVersionOneOnce(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	n, err := s.EnsureDefault(ctx)
	if err != nil || n.Version != 1 || n.Markdown != DefaultMarkdown || n.CreatedBy != "" {
		t.Fatalf("default %+v %v", n, err)
	}
	if _, err := s.Publish(ctx, "# Ours", "u_admin"); err != nil {
		t.Fatal(err)
	}
	n, err = s.EnsureDefault(ctx) // a restart must not bring the default back
	if err != nil || n.Version != 2 || n.Markdown != "# Ours" {
		t.Fatalf("after restart %+v %v", n, err)
	}
}

// TestEnsureDefaultFollowsTheGeneratedText: the default in force is
// stored again as a new version when the text generated from the
// configuration changes, never after an administrator published one.
func TestEnsureDefaultFollowsTheGeneratedText(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	for _, bad := range []string{"[", "]", "Administrators"} {
		if strings.Contains(DefaultMarkdown, bad) {
			t.Errorf("DefaultMarkdown contains %q", bad)
		}
	}
	s.Default = "# Notice of Example e.V."
	n, err := s.EnsureDefault(ctx)
	if err != nil || n.Version != 1 || n.Markdown != s.Default || !IsDefault(n) {
		t.Fatalf("first start %+v %v", n, err)
	}
	if n, err = s.EnsureDefault(ctx); err != nil || n.Version != 1 {
		t.Fatalf("same configuration %+v %v, want version 1 kept", n, err)
	}
	s.Default = "# Notice of Example GmbH"
	if n, err = s.EnsureDefault(ctx); err != nil || n.Version != 2 || n.Markdown != s.Default || !IsDefault(n) {
		t.Fatalf("changed configuration %+v %v, want version 2", n, err)
	}
	if _, err := s.Publish(ctx, "# Ours", "u_admin"); err != nil {
		t.Fatal(err)
	}
	s.Default = "# Notice of Example AG"
	if n, err = s.EnsureDefault(ctx); err != nil || n.Version != 3 || n.Markdown != "# Ours" || IsDefault(n) {
		t.Fatalf("after publishing %+v %v, want the published version", n, err)
	}
}

func TestPublishRefusesBadText(t *testing.T) {
	s, _ := newService(t)
	for _, md := range []string{"", "  \n ", strings.Repeat("x", MaxMarkdown+1), "\xff"} {
		if _, err := s.Publish(context.Background(), md, "u_a"); !errors.Is(err, ErrInvalid) {
			t.Errorf("Publish(%.10q) = %v, want ErrInvalid", md, err)
		}
	}
}

func TestRenderIsSafe(t *testing.T) {
	html, err := Render("# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n*ok*")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", "javascript:", "onerror", "<img"} {
		if strings.Contains(html, bad) {
			t.Errorf("rendered HTML contains %q:\n%s", bad, html)
		}
	}
	for _, good := range []string{"<h1>Title</h1>", "<em>ok</em>"} {
		if !strings.Contains(html, good) {
			t.Errorf("rendered HTML lacks %q:\n%s", good, html)
		}
	}
}

func TestAcceptanceLedgerAndKind(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return old }
	if err := s.RecordNoticeAcceptance(ctx, "u_1", 1, "k3m9-x2qa-7hvt-p4dz"); err != nil {
		t.Fatal(err)
	}
	s.Now = nil
	if err := s.RecordNoticeAcceptance(ctx, "u_1", 2, ""); err != nil {
		t.Fatal(err)
	}
	k := ConsentKind{Store: st}
	if err := k.Declare().Validate(); err != nil {
		t.Fatal(err)
	}
	items, err := k.Export(ctx, privacy.Subject{ID: "u_1"})
	if err != nil || len(items) != 2 {
		t.Fatalf("export %v %v", items, err)
	}
	if r := items[0].Record.(consentRecord); r.Kind != store.ConsentNotice || r.Version != 1 || r.MeetingID == "" {
		t.Fatalf("first record %+v", r)
	}
	er, err := k.Erase(ctx, privacy.Subject{ID: "u_1"})
	if err != nil || er.Pseudonymous != 2 || er.Deleted != 0 {
		t.Fatalf("erase %+v %v", er, err)
	}
	n, err := k.Expire(ctx, old.Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("expire %d %v, want 1", n, err)
	}
	if cs, _ := s.Consents(ctx, "u_1"); len(cs) != 1 || cs[0].Version != 2 {
		t.Fatalf("left %+v", cs)
	}
}
