package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvBin names a directory holding initdb and postgres, for systems where
// they are neither under /usr/lib/postgresql/<version>/bin (Debian) nor on
// PATH.
const EnvBin = "CONCLAVE_PG_BIN"

// superuser is the cluster's superuser role; it trusts local connections
// only, through a socket in a directory only its OS user (and root) can
// enter.
const superuser = "conclave"

// dirPrefix starts the name of every server's temporary directory, so that
// those left by a killed test binary can be found and removed.
const dirPrefix = "conclave-pgtest-"

// ownerFile, in the temporary directory, holds the PID of the test binary
// that created it.
const ownerFile = "owner.pid"

// debianRoot holds Debian's server binaries, one directory per major
// version (a variable for the tests).
var debianRoot = "/usr/lib/postgresql"

// readyLimit bounds how long a new cluster may take to accept connections.
const readyLimit = time.Minute

// server is one running PostgreSQL cluster.
type server struct {
	bin     string    // the directory of initdb, postgres, pg_dump
	dir     string    // temporary directory: data/, the socket, the log
	cmd     *exec.Cmd // the postmaster
	exited  chan struct{}
	waitErr error
	release chan struct{} // ends the goroutine whose thread started cmd
}

// socketDir is where the server's socket lies; it is also what a
// connection string's host names.
func (s *server) socketDir() string { return s.dir }

// dsn returns a connection string for database db as the superuser.
func (s *server) dsn(db string) string {
	return fmt.Sprintf("host=%s port=5432 user=%s dbname=%s sslmode=disable", s.socketDir(), superuser, db)
}

func (s *server) logTail() string {
	b, err := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// findBin returns the directory holding initdb and postgres.
func findBin() (string, error) {
	if dir := os.Getenv(EnvBin); dir != "" {
		if isExec(filepath.Join(dir, "postgres")) && isExec(filepath.Join(dir, "initdb")) {
			return dir, nil
		}
		return "", fmt.Errorf("pgtest: %s=%s holds no initdb and postgres", EnvBin, dir)
	}
	if dir := newestDebianBin(); dir != "" {
		return dir, nil
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		if dir := filepath.Dir(p); isExec(filepath.Join(dir, "initdb")) {
			return dir, nil
		}
	}
	return "", errors.New("pgtest: PostgreSQL's server binaries (initdb, postgres) were not found: " +
		"install Debian's postgresql package (apt-get install postgresql; ./test.sh does), " +
		"or set " + EnvBin + " to the directory that holds them")
}

// newestDebianBin returns debianRoot/<highest version>/bin, or "".
func newestDebianBin() string {
	matches, _ := filepath.Glob(filepath.Join(debianRoot, "*", "bin", "postgres"))
	type found struct {
		version int
		dir     string
	}
	var all []found
	for _, m := range matches {
		dir := filepath.Dir(m)
		v, err := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
		if err != nil || !isExec(filepath.Join(dir, "initdb")) {
			continue
		}
		all = append(all, found{v, dir})
	}
	if len(all) == 0 {
		return ""
	}
	sort.Slice(all, func(i, j int) bool { return all[i].version > all[j].version })
	return all[0].dir
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// runAs is the OS user the server runs as. PostgreSQL refuses to run as
// root, so under root it is the postgres user Debian's package creates, or
// nobody; otherwise the current user (nil: no switch).
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
	}
	return nil, errors.New("pgtest: running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as")
}

// removeStale deletes the directories of servers whose test binary is gone
// (killed before it could clean up). Their postmasters are gone too: each
// dies with its test binary (see start).
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // being created, or not ours
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || alive(pid) {
			continue
		}
		os.RemoveAll(dir)
	}
}

// alive reports whether process pid exists.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// start creates a cluster in a new temporary directory and starts its
// postmaster, listening on a Unix socket in that directory only (no TCP).
func start() (*server, error) {
	removeStale()
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	s := &server{bin: bin, dir: dir, exited: make(chan struct{}), release: make(chan struct{})}
	if err := s.prepare(bin, cred); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := s.launch(bin, cred); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := s.waitReady(); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// prepare writes the owner file, hands the directory to cred's user and
// runs initdb.
func (s *server) prepare(bin string, cred *syscall.Credential) error {
	if err := os.WriteFile(filepath.Join(s.dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if cred != nil {
		if err := os.Chown(s.dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("pgtest: hand %s to uid %d: %w", s.dir, cred.Uid, err)
		}
	}
	cmd := exec.Command(filepath.Join(bin, "initdb"),
		"-D", filepath.Join(s.dir, "data"), "-U", superuser, "--auth=trust",
		"--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions")
	cmd.Dir = s.dir
	cmd.Env = serverEnv(s.dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	if out, err := cmd.CombinedOutput(); err != nil {
		hint := ""
		if cred != nil {
			hint = fmt.Sprintf(" (run as uid %d: can it reach %s? Set TMPDIR to a directory it can)", cred.Uid, s.dir)
		}
		return fmt.Errorf("pgtest: initdb: %w%s\n%s", err, hint, out)
	}
	return nil
}

// serverEnv is a small, predictable environment: no PG* variables from
// the caller's, and a HOME the server's user can read.
func serverEnv(dir string) []string {
	return []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "LC_ALL=C", "TZ=UTC"}
}

// settings: no TCP at all, the socket in the temporary directory, and
// durability traded for speed (a test cluster never outlives its run).
func (s *server) settings() []string {
	return []string{
		"-c", "listen_addresses=",
		"-c", "unix_socket_directories=" + s.socketDir(),
		"-c", "unix_socket_permissions=0700",
		"-c", "port=5432",
		"-c", "max_connections=300",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "log_min_messages=warning",
		"-c", "timezone=UTC",
	}
}

// launch starts the postmaster from a goroutine locked to its OS thread for
// the server's life: the parent-death signal (SIGQUIT, PostgreSQL's
// immediate shutdown, which also stops every backend) is tied to the
// thread that forked, so that thread must not exit before the test binary
// does. Should the binary die without calling stop (killed, timed out), the
// kernel signals the postmaster and nothing is left running.
func (s *server) launch(bin string, cred *syscall.Credential) error {
	logf, err := os.OpenFile(filepath.Join(s.dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	args := append([]string{"-D", filepath.Join(s.dir, "data")}, s.settings()...)
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), args...)
	s.cmd.Dir = s.dir
	s.cmd.Env = serverEnv(s.dir)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGQUIT}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: see above
		err := s.cmd.Start()
		logf.Close()
		started <- err
		if err != nil {
			return
		}
		s.waitErr = s.cmd.Wait()
		close(s.exited)
		<-s.release
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	return nil
}

// waitReady polls until the server accepts a connection.
func (s *server) waitReady() error {
	deadline := time.Now().Add(readyLimit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, err := pgx.Connect(ctx, s.dsn("postgres"))
		if err == nil {
			err = c.Ping(ctx)
			c.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("pgtest: postgres exited at start (%v):\n%s", s.waitErr, s.logTail())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtest: postgres not ready after %v: %v\n%s", readyLimit, err, s.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop shuts the server down (fast shutdown: sessions are ended), waits for
// it to exit and removes its directory.
func (s *server) stop() error {
	var err error
	select {
	case <-s.exited:
	default:
		if sigErr := s.cmd.Process.Signal(syscall.SIGINT); sigErr != nil && !errors.Is(sigErr, os.ErrProcessDone) {
			err = fmt.Errorf("pgtest: stop postgres: %w", sigErr)
		}
		select {
		case <-s.exited:
		case <-time.After(readyLimit):
			s.cmd.Process.Signal(syscall.SIGQUIT)
			<-s.exited
			err = errors.Join(err, errors.New("pgtest: postgres ignored a fast shutdown"))
		}
	}
	close(s.release)
	if rmErr := os.RemoveAll(s.dir); rmErr != nil {
		err = errors.Join(err, fmt.Errorf("pgtest: %w", rmErr))
	}
	return err
}
