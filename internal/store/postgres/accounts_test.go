package postgres

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/pgtest"
	"github.com/conclave-meet/conclave/internal/store"
)

// TestLastAdminAcrossNodes: two administrators demoting each other at
// once, on two nodes, cannot both succeed: one administrator remains.
func TestLastAdminAcrossNodes(t *testing.T) {
	ctx := context.Background()
	ns := nodes(t, 2)
	for round := range 5 {
		a, b := fmt.Sprintf("u_a%d", round), fmt.Sprintf("u_b%d", round)
		for _, id := range []string{a, b} {
			u := store.User{ID: id, Email: id + "@example.org", Name: id, Role: store.RoleAdmin, CreatedAt: time.Now()}
			if err := ns[0].CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		if round > 0 { // the previous round's survivor steps down first
			for _, u := range mustList(t, ns[0]) {
				if u.ID != a && u.ID != b && u.Role == store.RoleAdmin {
					if err := ns[0].SetAccess(ctx, u.ID, store.RoleMember, false, time.Now()); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		var errA, errB error
		var wg sync.WaitGroup
		wg.Go(func() { errA = ns[0].SetAccess(ctx, b, store.RoleMember, false, time.Now()) })
		wg.Go(func() { errB = ns[1].SetRestricted(ctx, a, true, time.Now()) })
		wg.Wait()
		failed := 0
		for _, err := range []error{errA, errB} {
			switch {
			case err == nil:
			case errors.Is(err, store.ErrLastAdmin):
				failed++
			default:
				t.Fatal(err)
			}
		}
		if failed != 1 {
			t.Fatalf("round %d: %d of the two changes refused, want 1 (%v, %v)", round, failed, errA, errB)
		}
	}
}

func mustList(t *testing.T, s *Store) []store.User {
	t.Helper()
	us, err := s.ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return us
}

// Distinctive plain text, so that a byte scan cannot match by accident.
const (
	secretName  = "Zebulon Quixwhistle"
	secretEmail = "zebulon.quixwhistle@example.org"
	secretNew   = "Xanthippe Vorblewick"
	// markerID is stored in plain text: finding it proves a scan sees rows.
	markerID = "u_plainmarkerqv"
)

// assertAbsent fails when data holds any of what, as text or as the hex
// that bytea columns are dumped as.
func assertAbsent(t *testing.T, where string, data []byte, what ...string) {
	t.Helper()
	for _, w := range what {
		if bytes.Contains(data, []byte(w)) {
			t.Errorf("%q found in %s", w, where)
		}
		if bytes.Contains(data, []byte(hex.EncodeToString([]byte(w)))) {
			t.Errorf("%q found in %s, hex-encoded", w, where)
		}
	}
}

// TestPersonalFieldsSealed: names and e-mails round-trip but are in no
// table in plain text: not in a dump (what a backup holds) and not in the
// cluster's files (tables, indexes, WAL).
func TestPersonalFieldsSealed(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.New(t)
	s := openOn(t, dsn, clusterKey(t))
	u := store.User{ID: markerID, Email: secretEmail, Name: secretName, Role: store.RoleMember, PasswordHash: "h", CreatedAt: time.Now()}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.SetProfile(ctx, markerID, secretNew, "X."+secretEmail); err != nil {
		t.Fatal(err)
	}
	got, err := s.UserByEmail(ctx, "x.ZEBULON.quixwhistle@example.org")
	if err != nil || got.Name != secretNew {
		t.Fatalf("user by e-mail: %+v, %v", got, err)
	}
	dump := pgtest.Dump(t, dsn)
	if !bytes.Contains(dump, []byte(markerID)) {
		t.Fatal("the dump does not hold the account at all")
	}
	assertAbsent(t, "the dump", dump, secretName, secretEmail, secretNew, "x."+secretEmail)

	if _, err := s.pool.Exec(ctx, "CHECKPOINT"); err != nil {
		t.Fatal(err)
	}
	var dataDir string
	if err := s.pool.QueryRow(ctx, "SHOW data_directory").Scan(&dataDir); err != nil {
		t.Fatal(err)
	}
	files := clusterFiles(t, dataDir)
	if !bytes.Contains(files, []byte(markerID)) {
		t.Fatal("the cluster's files do not hold the account at all")
	}
	assertAbsent(t, "the cluster's files", files, secretName, secretEmail, secretNew)
}

// clusterFiles is every file of the cluster's data directory but its log.
func clusterFiles(t *testing.T, dir string) []byte {
	t.Helper()
	var all []byte
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed meanwhile (a temporary file)
		}
		all = append(all, b...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("no data files read")
	}
	return all
}
