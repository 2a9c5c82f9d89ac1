package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
	"github.com/conclave-meet/conclave/internal/testlog"
)

func TestReadPasswordSources(t *testing.T) {
	cases := []struct {
		name  string
		env   string
		stdin string
		want  string
		err   string
	}{
		{"env wins", testPassword, "ignored line here\n", testPassword, ""},
		{"stdin line", "", testPassword + "\n", testPassword, ""},
		{"stdin crlf", "", testPassword + "\r\n", testPassword, ""},
		{"stdin no newline", "", testPassword, testPassword, ""},
		{"only first line", "", testPassword + "\nsecond line\n", testPassword, ""},
		{"spaces kept", "", "  " + testPassword + "  \n", "  " + testPassword + "  ", ""},
		{"empty stdin", "", "", "", "CONCLAVE_PASSWORD"},
		{"too short", "", "short\n", "", "at least 12"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := env{stdin: strings.NewReader(tc.stdin), stdout: io.Discard, stderr: io.Discard,
				getenv: func(k string) string {
					if k == "CONCLAVE_PASSWORD" {
						return tc.env
					}
					return ""
				}}
			got, err := readPassword(e)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	fs := flag.NewFlagSet("conclave x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.String("a", "", "")
	var ue usageError
	if err := parseFlags(fs, []string{"--nope"}); !errors.As(err, &ue) {
		t.Fatalf("unknown flag: %v", err)
	}
	if err := parseFlags(fs, []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("help: %v", err)
	}
	if err := parseFlags(fs, []string{"--a", "1", "extra"}); !errors.As(err, &ue) || !strings.Contains(err.Error(), "extra") {
		t.Fatalf("positional: %v", err)
	}
	if r := cli(t, nil, "", "meeting", "create", "-h"); r.code != 0 || !strings.Contains(r.stderr, "-title") {
		t.Fatalf("meeting create -h: %+v", r)
	}
}

func TestVersionString(t *testing.T) {
	old := version
	defer func() { version = old }()
	version = "v9.9.9"
	if got := versionString(); got != "v9.9.9" {
		t.Fatalf("ldflags version ignored: %q", got)
	}
	version = ""
	if got := versionString(); got == "" {
		t.Fatal("empty version")
	}
}

func TestJoinCmd(t *testing.T) {
	cases := map[[2]string]string{{"user", "delete"}: "user delete", {"meeting", ""}: "meeting", {"bogus", "x"}: "bogus"}
	for in, want := range cases {
		if got := joinCmd(in[0], in[1]); got != want {
			t.Errorf("joinCmd(%q) = %q", in, got)
		}
	}
}

// TestShutdownOrder: the conference hook runs while HTTP still serves (so
// goodbyes can go out), with a deadline, and HTTP stops afterwards.
func TestShutdownOrder(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})}
	go srv.Serve(ln)
	url := "http://" + ln.Addr().String()
	var hookSawHTTP, hookHadDeadline bool
	hook := func(ctx context.Context) {
		_, hookHadDeadline = ctx.Deadline()
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			hookSawHTTP = true
		}
	}
	shutdown(srv, nil, hook, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if !hookSawHTTP || !hookHadDeadline {
		t.Fatalf("hook: http up %v, deadline %v", hookSawHTTP, hookHadDeadline)
	}
	client := &http.Client{Timeout: time.Second}
	if _, err := client.Get(url); err == nil {
		t.Fatal("HTTP still serving after shutdown")
	}
}

func TestAnnounceSetupOnlyWhenNeeded(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	accounts := auth.NewAccounts(st, auth.NewHasher(auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 1), nil)
	setup := auth.NewSetup(st, accounts, nil)
	cfg := config.Config{PublicURL: "https://meet.example.org"}
	var b testlog.Buffer
	if err := announceSetup(context.Background(), setup, cfg, &b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "https://meet.example.org/setup#token=") || !strings.Contains(b.String(), "24 hours") {
		t.Fatalf("announcement %q", b.String())
	}
	if _, err := accounts.CreateUser(context.Background(), auth.NewUser{Email: "a@example.org", Name: "A", Password: testPassword, Role: store.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	var b2 testlog.Buffer
	if err := announceSetup(context.Background(), setup, cfg, &b2); err != nil || b2.String() != "" {
		t.Fatalf("announced with accounts present: %q %v", b2.String(), err)
	}
}
