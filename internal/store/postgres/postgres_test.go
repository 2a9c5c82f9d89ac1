package postgres

import (
	"context"
	"io/fs"
	"strings"
	"sync"
	"testing"

	"github.com/conclave-meet/conclave/internal/crypt"
	"github.com/conclave-meet/conclave/internal/pgtest"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// newDB is a fresh, migrated database: a copy of one migrated once.
func newDB(t *testing.T) string {
	t.Helper()
	return pgtest.NewFrom(t, "schema", func(dsn string) error { return Migrate(context.Background(), dsn) })
}

// clusterKey is a master key given to every store of a test as
// $CONCLAVE_MASTER_KEY, as every node of a cluster is given it.
func clusterKey(t *testing.T) crypt.Source {
	t.Helper()
	m, err := crypt.NewMaster()
	if err != nil {
		t.Fatal(err)
	}
	text := m.Text()
	return crypt.Source{Dir: t.TempDir(), Getenv: func(k string) string {
		if k == crypt.EnvKey {
			return text
		}
		return ""
	}}
}

// openOn opens a store on dsn, closed when the test ends.
func openOn(t *testing.T, dsn string, src crypt.Source) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, WithKeySource(src))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// nodes opens n stores on one fresh database, each with its own pool, as
// n nodes would.
func nodes(t *testing.T, n int) []*Store {
	t.Helper()
	dsn, src := newDB(t), clusterKey(t)
	out := make([]*Store, n)
	for i := range out {
		out[i] = openOn(t, dsn, src)
	}
	return out
}

// TestConformance runs the whole conformance suite, as SQLite does.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(context.Background(), newDB(t), WithKeySource(clusterKey(t)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestOpenNeedsKeySource(t *testing.T) {
	_, err := Open(context.Background(), pgtest.New(t))
	if err == nil || !strings.Contains(err.Error(), "WithKeySource") {
		t.Fatalf("Open without a key source: %v", err)
	}
}

func TestOpenBadDSN(t *testing.T) {
	dsn := pgtest.New(t) + " dbname=no_such_database" // the later value wins
	if _, err := Open(context.Background(), dsn, WithKeySource(clusterKey(t))); err == nil {
		t.Fatal("Open of a missing database succeeded")
	}
}

// TestNodesMigrateTogether: nodes starting at once on an empty database
// migrate it once (goose's advisory lock) and all open.
func TestNodesMigrateTogether(t *testing.T) {
	dsn, src := pgtest.New(t), clusterKey(t)
	const n = 4
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = Open(context.Background(), dsn, WithKeySource(src)) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("node %d: %v", i, errs[i])
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	var applied int
	err := stores[0].pool.QueryRow(context.Background(),
		"SELECT count(*) FROM goose_db_version WHERE version_id > 0 AND is_applied").Scan(&applied)
	files, _ := fs.Glob(migrations, "migrations/*.sql")
	if err != nil || applied != len(files) || applied < 2 {
		t.Fatalf("%d migrations recorded, %v; want %d, one per file", applied, err, len(files))
	}
	// Reopening applies nothing and keeps the data.
	ctx := context.Background()
	u := store.User{ID: "u_1", Email: "a@example.org", Name: "A", Role: store.RoleMember}
	if err := stores[0].CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	again := openOn(t, dsn, src)
	if got, err := again.UserByEmail(ctx, "a@example.org"); err != nil || got.ID != "u_1" {
		t.Fatalf("after reopening: %+v, %v", got, err)
	}
}

// TestNodesShareKeys: what one node seals, another opens, and an e-mail
// one node stored is found by another (one blind-index key).
func TestNodesShareKeys(t *testing.T) {
	ctx := context.Background()
	ns := nodes(t, 2)
	u := store.User{ID: "u_ada", Email: "ada@example.org", Name: "Ada", Role: store.RoleAdmin}
	if err := ns[0].CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	got, err := ns[1].UserByEmail(ctx, "ADA@example.org")
	if err != nil || got.Name != "Ada" {
		t.Fatalf("the other node read %+v, %v", got, err)
	}
	if err := ns[1].Keyring().Shred(ctx, "subject:u_ada"); err != nil {
		t.Fatal(err)
	}
	if _, err := ns[0].UserByID(ctx, "u_ada"); err == nil {
		t.Fatal("a key shredded on one node still opens on another")
	}
}
