package pgtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/conclave-meet/conclave/internal/eventually"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		childServer()
	}
	Main(m)
}

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(ctx) })
	return c
}

func TestDatabasesAreFreshAndSeparate(t *testing.T) {
	ctx := context.Background()
	a, b := connect(t, New(t)), connect(t, New(t))
	if _, err := a.Exec(ctx, "CREATE TABLE only_in_a (x int)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("a table made in one test's database is in another's: %d, %v", n, err)
	}
	if err := b.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("a new database holds %d tables, %v", n, err)
	}
}

// TestNewFrom: each test's database is a copy of the prepared one, which
// is prepared once; what a test writes stays in its copy.
func TestNewFrom(t *testing.T) {
	ctx := context.Background()
	prepared := 0
	prepare := func(dsn string) error {
		prepared++
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		_, err = c.Exec(ctx, "CREATE TABLE schema_marker (n int); INSERT INTO schema_marker VALUES (1)")
		return err
	}
	a := connect(t, NewFrom(t, "marker", prepare))
	b := connect(t, NewFrom(t, "marker", prepare))
	if prepared != 1 {
		t.Fatalf("prepared %d times, want once", prepared)
	}
	if _, err := a.Exec(ctx, "INSERT INTO schema_marker VALUES (2)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRow(ctx, "SELECT count(*) FROM schema_marker").Scan(&n); err != nil || n != 1 {
		t.Fatalf("the other copy holds %d rows, %v; want the template's 1", n, err)
	}
}

func TestDatabaseDroppedAfterTest(t *testing.T) {
	var name string
	t.Run("inner", func(t *testing.T) {
		err := connect(t, New(t)).QueryRow(context.Background(), "SELECT current_database()").Scan(&name)
		if err != nil {
			t.Fatal(err)
		}
	})
	var n int
	err := connect(t, New(t)).QueryRow(context.Background(),
		"SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n)
	if err != nil || n != 0 {
		t.Fatalf("database %s still there after its test: %d, %v", name, n, err)
	}
}

func TestDump(t *testing.T) {
	dsn := New(t)
	if _, err := connect(t, dsn).Exec(context.Background(),
		"CREATE TABLE kept (note text); INSERT INTO kept VALUES ('a note to find')"); err != nil {
		t.Fatal(err)
	}
	dump := string(Dump(t, dsn))
	if !strings.Contains(dump, "CREATE TABLE public.kept") || !strings.Contains(dump, "a note to find") {
		t.Fatalf("the dump lacks the table or its row:\n%s", dump)
	}
}

// TestNoNetwork: the server listens on its socket only, which is in a
// directory nobody else can enter.
func TestNoNetwork(t *testing.T) {
	c := connect(t, New(t))
	var addrs string
	if err := c.QueryRow(context.Background(), "SHOW listen_addresses").Scan(&addrs); err != nil || addrs != "" {
		t.Fatalf("listen_addresses = %q, %v; want none", addrs, err)
	}
	fi, err := os.Stat(SocketDir(t))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("socket directory mode %v, %v; want 0700", fi.Mode(), err)
	}
}

// TestNotRoot: PostgreSQL runs as an ordinary user even under root.
func TestNotRoot(t *testing.T) {
	c := connect(t, New(t))
	var pid int
	if err := c.QueryRow(context.Background(), "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	if err != nil {
		t.Fatal(err)
	}
	if uid := fi.Sys().(*syscall.Stat_t).Uid; uid == 0 {
		t.Fatal("the backend runs as root")
	}
}

// gone reports whether pid no longer runs (a zombie that nobody reaps
// counts as gone).
func gone(pid int) bool {
	if !alive(pid) {
		return true
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] == 'Z'
}

const childEnv = "PGTEST_CHILD"

// childServer is the test binary killed by TestServerDiesWithBinary: it
// starts a server, says where, and waits to be killed.
func childServer() {
	s, err := start()
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Printf("SERVER %d %s\n", s.cmd.Process.Pid, s.dir)
	select {}
}

// TestServerDiesWithBinary: a test binary killed with SIGKILL leaves no
// server running, and the next run removes its directory.
func TestServerDiesWithBinary(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var (
		pid int
		dir string
	)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "SERVER %d %s", &pid, &dir); err == nil {
			break
		}
	}
	if pid == 0 {
		t.Fatalf("the child never said where its server is: %v", sc.Err())
	}
	if gone(pid) {
		t.Fatal("the child's server is not running")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("the child exited cleanly")
	}
	eventually.True(t, "the killed binary's server to stop", func() bool { return gone(pid) })
	if _, err := os.Stat(filepath.Join(dir, ownerFile)); err != nil {
		t.Fatalf("the killed binary's directory: %v", err)
	}
	removeStale()
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a stale directory survived removeStale: %v", err)
	}
}

// TestNewestDebianVersion: of several installed major versions, the
// highest (numerically) serves.
func TestNewestDebianVersion(t *testing.T) {
	old := debianRoot
	debianRoot = t.TempDir()
	t.Cleanup(func() { debianRoot = old })
	for _, v := range []string{"9", "15", "17", "notaversion"} {
		dir := filepath.Join(debianRoot, v, "bin")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"postgres", "initdb"} {
			if err := os.WriteFile(filepath.Join(dir, f), nil, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got, want := newestDebianBin(), filepath.Join(debianRoot, "17", "bin"); got != want {
		t.Fatalf("newestDebianBin = %q, want %q", got, want)
	}
}

func TestFindBinHonoursEnv(t *testing.T) {
	t.Setenv(EnvBin, t.TempDir())
	if _, err := findBin(); err == nil || !strings.Contains(err.Error(), EnvBin) {
		t.Fatalf("an empty %s was accepted: %v", EnvBin, err)
	}
}

func TestMissingBinariesSayWhatToInstall(t *testing.T) {
	t.Setenv(EnvBin, "")
	t.Setenv("PATH", t.TempDir())
	old := debianRoot
	debianRoot = t.TempDir()
	t.Cleanup(func() { debianRoot = old })
	if _, err := findBin(); err == nil || !strings.Contains(err.Error(), "apt-get install postgresql") {
		t.Fatalf("missing binaries: %v", err)
	}
}

// TestNewParallelTests: tests running in parallel each get their own
// database, all usable at once.
func TestNewParallelTests(t *testing.T) {
	for i := range 6 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c := connect(t, New(t))
			if _, err := c.Exec(ctx, "CREATE TABLE mine (n int)"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Exec(ctx, "INSERT INTO mine VALUES ($1)", i); err != nil {
				t.Fatal(err)
			}
			var n, count int
			if err := c.QueryRow(ctx, "SELECT max(n), count(*) FROM mine").Scan(&n, &count); err != nil || n != i || count != 1 {
				t.Fatalf("my table holds %d rows, max %d, %v", count, n, err)
			}
		})
	}
}

// TestRunAs: under root the server's user is an ordinary one, with its
// supplementary groups dropped; otherwise nobody is switched.
func TestRunAs(t *testing.T) {
	cred, err := runAs()
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		if cred != nil {
			t.Fatalf("not root, yet a switch to %+v", cred)
		}
		return
	}
	if cred == nil || cred.Uid == 0 || cred.Groups == nil || len(cred.Groups) != 0 {
		t.Fatalf("under root the server would run as %+v", cred)
	}
}

// TestRemoveStaleKeepsLiveAndForeign: removeStale leaves the directories
// of running binaries and those it cannot read an owner from.
func TestRemoveStaleKeepsLiveAndForeign(t *testing.T) {
	live, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(live) })
	if err := os.WriteFile(filepath.Join(live, ownerFile), []byte(fmt.Sprint(os.Getpid())), 0o600); err != nil {
		t.Fatal(err)
	}
	foreign, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(foreign) })
	removeStale()
	for _, dir := range []string{live, foreign} {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("removeStale removed %s: %v", dir, err)
		}
	}
}
