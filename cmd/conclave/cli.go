package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/meeting"
	"github.com/conclave-meet/conclave/internal/store"
)

// cliFlags are the options the administration commands share with serve,
// so they find the same data dir, store and public URL as the server.
type cliFlags struct {
	data, store, configFile, publicURL string
}

func (f *cliFlags) register(fs *flag.FlagSet, withPublicURL bool) {
	fs.StringVar(&f.data, "data", "", "data directory (default as for serve) [$CONCLAVE_DATA]")
	fs.StringVar(&f.store, "store", "", "database: empty for SQLite in the data directory, or a postgres:// URL (default as for serve; "+
		"prefer the environment for a URL with a password) [$CONCLAVE_STORE]")
	fs.StringVar(&f.configFile, "config", "", "TOML configuration file [$CONCLAVE_CONFIG]")
	if withPublicURL {
		fs.StringVar(&f.publicURL, "public-url", "", "origin for the join link (default as for serve) [$CONCLAVE_PUBLIC_URL]")
	}
}

// load resolves the configuration with serve's precedence rules.
func (f *cliFlags) load(getenv func(string) string) (config.Config, error) {
	var args []string
	for _, kv := range [][2]string{{"data", f.data}, {"store", f.store}, {"config", f.configFile}, {"public-url", f.publicURL}} {
		if kv[1] != "" {
			args = append(args, "--"+kv[0], kv[1])
		}
	}
	return config.Load(args, getenv)
}

func newFlagSet(name string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet("conclave "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: conclave %s [flags]\n\nFlags:\n", name)
		fs.PrintDefaults()
	}
	if e.flags != nil {
		e.flags.fs = fs
	}
	return fs
}

// parseFlags turns flag mistakes into usage errors; -h prints the usage
// and stays flag.ErrHelp. The flag package's own report of a mistake is
// silenced: run prints the error once, followed by the usage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
		return err
	}
	if err != nil {
		return usageError{fmt.Sprintf("%s: %v", strings.TrimPrefix(fs.Name(), "conclave "), err)}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", strings.TrimPrefix(fs.Name(), "conclave "), fs.Arg(0))}
	}
	return nil
}

// roleChoices names the roles user add accepts, for its help and errors.
const roleChoices = "admin, privacy_officer or member"

func runUserAdd(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("user add", e)
	var cf cliFlags
	cf.register(fs, false)
	email := fs.String("email", "", "e-mail address (required)")
	name := fs.String("name", "", "display name (required)")
	role := fs.String("role", "member", roleChoices)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *email == "" || *name == "" {
		return usageError{"user add: --email and --name are required"}
	}
	if !store.Role(*role).Valid() {
		return usageError{"user add: --role must be " + roleChoices}
	}
	cfg, err := cf.load(e.getenv)
	if err != nil {
		return err
	}
	password, err := readPassword(e)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, e)
	if err != nil {
		return err
	}
	defer st.Close()
	auditLog, err := openAuditLog(st, cfg)
	if err != nil {
		return err
	}
	accounts := auth.NewAccounts(st, auth.NewHasher(auth.DefaultParams, 1), nil)
	// The operator's breached-password list applies here as on the web.
	if err := setBreachedList(cfg, accounts); err != nil {
		return err
	}
	u, err := accounts.CreateUser(ctx, auth.NewUser{Email: *email, Name: *name, Password: password, Role: store.Role(*role)})
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("a user with e-mail %s already exists", strings.ToLower(strings.TrimSpace(*email)))
	}
	if err != nil {
		return err
	}
	ev := audit.Event{Action: audit.UserCreate, Target: u.ID, Details: map[string]string{"role": string(u.Role)}}
	if err := recordCLI(ctx, auditLog, ev); err != nil {
		return fmt.Errorf("user %s was created, but its audit entry could not be written: %w", u.ID, err)
	}
	fmt.Fprintln(e.stdout, u.ID)
	return nil
}

// readPassword takes $CONCLAVE_PASSWORD, else prompts without echo on a
// terminal (twice, to catch typos), else reads one line from stdin so that
// scripts can pipe it in. The password is never echoed or logged.
func readPassword(e env) (string, error) {
	pw := e.getenv("CONCLAVE_PASSWORD")
	if pw == "" {
		var err error
		if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			pw, err = promptPassword(f, e.stderr)
		} else {
			pw, err = readLine(e.stdin)
		}
		if err != nil {
			return "", err
		}
	}
	if err := auth.ValidatePassword(pw); err != nil {
		return "", err
	}
	return pw, nil
}

func promptPassword(f *os.File, w io.Writer) (string, error) {
	read := func(prompt string) (string, error) {
		fmt.Fprint(w, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(w)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(b), nil
	}
	pw, err := read("Password (at least 12 characters): ")
	if err != nil {
		return "", err
	}
	again, err := read("Repeat password: ")
	if err != nil {
		return "", err
	}
	if pw != again {
		return "", errors.New("passwords do not match")
	}
	return pw, nil
}

func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("no password: set CONCLAVE_PASSWORD or pass it on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// meetingOutput is the --json output of meeting create.
type meetingOutput struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Passcode string `json:"passcode"`
	JoinURL  string `json:"join_url"`
	Host     string `json:"host"`
	meetingSettings
}

func runMeetingCreate(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("meeting create", e)
	var cf cliFlags
	cf.register(fs, true)
	title := fs.String("title", "", "meeting title (default \""+meeting.DefaultTitle+"\")")
	hostEmail := fs.String("host", "", "e-mail of the hosting account (default: the first admin)")
	var mf meetingFlags
	mf.register(fs)
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := mf.parse(); err != nil {
		return err
	}
	cfg, err := cf.load(e.getenv)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, e)
	if err != nil {
		return err
	}
	defer st.Close()
	host, err := findHost(ctx, st, *hostEmail)
	if err != nil {
		return err
	}
	opts, err := mf.options(ctx, st, *title)
	if err != nil {
		return err
	}
	auditLog, err := openAuditLog(st, cfg)
	if err != nil {
		return err
	}
	svc := &meeting.Service{Store: st, Policy: meetingPolicy(cfg)}
	m, err := svc.Create(ctx, host.ID, opts)
	if err != nil {
		return asUsageError(err)
	}
	if err := recordCLI(ctx, auditLog, audit.Event{Action: audit.MeetingCreate, Target: host.ID, Meeting: m.ID}); err != nil {
		return fmt.Errorf("meeting %s was created, but its audit entry could not be written: %w", m.ID, err)
	}
	out := meetingOutput{ID: m.ID, Title: m.Title, Passcode: m.Passcode, JoinURL: meeting.JoinURL(cfg.PublicURL, m),
		Host: host.Email, meetingSettings: settingsOf(m, mf.cohosts)}
	return printMeeting(e.stdout, out, *asJSON)
}

func findHost(ctx context.Context, st serverStore, email string) (store.User, error) {
	if email == "" {
		u, err := st.FirstAdmin(ctx)
		if errors.Is(err, store.ErrNotFound) {
			return store.User{}, errors.New("no admin account exists yet: complete setup or run `conclave user add --role admin`, or pass --host")
		}
		return u, err
	}
	norm, err := auth.NormalizeEmail(email)
	if err != nil {
		return store.User{}, usageError{"meeting create: --host: " + err.Error()}
	}
	u, err := st.UserByEmail(ctx, norm)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, fmt.Errorf("no account with e-mail %s", norm)
	}
	return u, err
}

func printMeeting(w io.Writer, m meetingOutput, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	}
	_, err := fmt.Fprintf(w, "Meeting %q created.\n  ID:       %s\n  Passcode: %s\n  Host:     %s\n  Join URL: %s\n",
		m.Title, m.ID, m.Passcode, m.Host, m.JoinURL)
	if err != nil {
		return err
	}
	return printSettings(w, m.meetingSettings)
}
