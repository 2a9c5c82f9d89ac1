// Package pgtest gives tests a real PostgreSQL: one cluster per test
// binary, created with Debian's initdb in a temporary directory and started
// on first use, and a fresh database for each test.
//
// A test package using it calls Main from its TestMain, which stops the
// server and removes its directory when the tests end:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestX(t *testing.T) {
//		dsn := pgtest.New(t) // an empty database, dropped after the test
//		...
//	}
//
// The server listens on a Unix socket in its temporary directory and on no
// TCP port. PostgreSQL refuses to run as root, so under root it runs as the
// postgres user (created by Debian's package) or nobody. It dies with the
// test binary even when that is killed (a parent-death signal), and a later
// run removes the directories such a binary left. Nothing is skipped: when
// the server binaries are missing, New fails the test and says to install
// Debian's postgresql package.
package pgtest

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	mu        sync.Mutex
	inMain    bool
	srv       *server
	srvErr    error
	started   bool
	dbSeq     atomic.Int64
	templates = map[string]*template{}
)

// template is a database prepared once and copied for each test.
type template struct {
	once sync.Once
	name string
	err  error
}

// Main runs the tests and then stops the server, if one was started, and
// exits with the tests' status.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main for a TestMain with more to do after the tests: it runs
// them, stops the server and returns the status to exit with.
func Run(m *testing.M) int {
	mu.Lock()
	inMain = true
	mu.Unlock()
	code := m.Run()
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// stop stops the server if it runs; New fails afterwards.
func stop() error {
	mu.Lock()
	defer mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.stop()
	srv, srvErr = nil, fmt.Errorf("pgtest: the server was stopped")
	return err
}

// get starts the server on first use.
func get(t testing.TB) *server {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if !inMain {
		t.Fatal("pgtest: call pgtest.Main(m) from the package's TestMain, so that the server is stopped at the end")
	}
	if !started {
		started = true
		srv, srvErr = start()
	}
	if srvErr != nil {
		t.Fatal(srvErr)
	}
	return srv
}

// New creates an empty database for this test, dropped when it ends, and
// returns a connection string for it (key=value form, which pgx and
// pgxpool accept).
func New(t testing.TB) string {
	t.Helper()
	s := get(t)
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbSeq.Add(1))
	if err := admin(s, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		if err := admin(s, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database: %v", err)
		}
	})
	return s.dsn(name)
}

// URL turns a connection string of New's into the postgres:// URL
// Conclave's store setting takes, with password as the password (the
// test server asks for none, so any works: tests use one to check it is
// never shown).
func URL(t testing.TB, dsn, password string) string {
	t.Helper()
	kv := map[string]string{}
	for _, f := range strings.Fields(dsn) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			t.Fatalf("pgtest: DSN field %q", f)
		}
		kv[k] = v
	}
	q := url.Values{"host": {kv["host"]}, "port": {kv["port"]}, "sslmode": {kv["sslmode"]}}
	u := url.URL{Scheme: "postgres", User: url.UserPassword(kv["user"], password), Path: "/" + kv["dbname"], RawQuery: q.Encode()}
	return u.String()
}

// NewFrom is New, but the database starts as a copy of one that prepare
// set up once per test binary (per key): migrating a schema once instead
// of in every test. prepare gets the template's connection string and must
// close every connection it opened before returning (PostgreSQL copies
// only a database nobody is connected to).
func NewFrom(t testing.TB, key string, prepare func(dsn string) error) string {
	t.Helper()
	s := get(t)
	mu.Lock()
	tp, ok := templates[key]
	if !ok {
		tp = &template{name: fmt.Sprintf("template_%d", dbSeq.Add(1))}
		templates[key] = tp
	}
	mu.Unlock()
	tp.once.Do(func() {
		if tp.err = admin(s, "CREATE DATABASE "+tp.name); tp.err == nil {
			tp.err = prepare(s.dsn(tp.name))
		}
	})
	if tp.err != nil {
		t.Fatalf("pgtest: prepare template %s: %v", key, tp.err)
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbSeq.Add(1))
	if err := admin(s, "CREATE DATABASE "+name+" TEMPLATE "+tp.name); err != nil {
		t.Fatalf("pgtest: create database from %s: %v", key, err)
	}
	t.Cleanup(func() {
		if err := admin(s, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database: %v", err)
		}
	})
	return s.dsn(name)
}

// SocketDir returns the directory of the server's socket (what a
// connection string's host names), starting the server if needed.
func SocketDir(t testing.TB) string {
	t.Helper()
	return get(t).socketDir()
}

// Dump returns pg_dump's plain-text dump of the database dsn names (one
// New returned): every table's schema and rows, as a backup would hold
// them.
func Dump(t testing.TB, dsn string) []byte {
	t.Helper()
	s := get(t)
	cmd := exec.Command(filepath.Join(s.bin, "pg_dump"), "--no-password", "--dbname="+dsn)
	cmd.Env = serverEnv(t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pgtest: pg_dump: %v\n%s", err, stderr.Bytes())
	}
	return out
}

// admin runs one statement as the superuser in database postgres.
func admin(s *server, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, s.dsn("postgres"))
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, sql)
	return err
}
