package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/store"
)

// openAuditLog returns the audit log over st, keyed with the data dir's
// key (created on first use) or the cluster's (audit_key_file, never
// created). Server and CLI share key and database.
func openAuditLog(st store.Store, cfg config.Config) (*audit.Log, error) {
	key, err := loadAuditKey(cfg)
	if err != nil {
		return nil, err
	}
	return audit.New(st, audit.Options{Key: key}), nil
}

func loadAuditKey(cfg config.Config) ([]byte, error) {
	if cfg.AuditKeyFile == "" {
		return audit.LoadOrCreateKey(cfg.AuditKeyPath())
	}
	key, err := audit.LoadKey(cfg.AuditKeyFile)
	if err != nil {
		return nil, fmt.Errorf("audit_key_file: %w (it is never created: provision it once for every node, e.g. openssl rand -hex 32)", err)
	}
	return key, nil
}

// recordCLI appends an entry for an administration command. The operator
// at the shell has no subject ID, so the actor stays empty and details say
// where the action came from.
func recordCLI(ctx context.Context, auditLog *audit.Log, ev audit.Event) error {
	ev.Details = maps.Clone(ev.Details)
	if ev.Details == nil {
		ev.Details = map[string]string{}
	}
	ev.Details["via"] = "cli"
	ev.Outcome = audit.Success
	_, err := auditLog.Append(ctx, ev)
	return err
}

func runAuditVerify(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("audit verify", e)
	var cf cliFlags
	cf.register(fs, false)
	anchorText := fs.String("anchor", "", "SEQ:HASH from an earlier run, or a sealed head (anchor=... in the server log); "+
		"fail unless that entry is still there unchanged")
	anchorFile := fs.String("anchor-file", "", "file of heads the server published (default: audit_anchor_file); "+
		"fail if the log ends before the newest or differs from any")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	given, err := parseAnchorFlag(*anchorText)
	if err != nil {
		return err
	}
	cfg, st, err := cf.openExisting(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	auditLog, err := verifierLog(ctx, st, cfg)
	if err != nil {
		return err
	}
	anchors, err := publishedAnchors(auditLog, cfg, given, *anchorFile, e.stdout)
	if err != nil {
		return err
	}
	report, err := auditLog.VerifyAgainst(ctx, anchors)
	if err != nil {
		return err
	}
	return printReport(e.stdout, report)
}

// verifierLog uses the existing key only. A missing key is an error unless
// the log is empty: a fresh key would fail every entry, and no key would
// accept a chain recomputed by anyone.
func verifierLog(ctx context.Context, st store.Store, cfg config.Config) (*audit.Log, error) {
	key, err := audit.LoadKey(cfg.AuditKeyPath())
	if errors.Is(err, audit.ErrNoKey) {
		if _, err := st.LastAudit(ctx); errors.Is(err, store.ErrNotFound) {
			return audit.New(st, audit.Options{}), nil
		}
		return nil, fmt.Errorf("the audit key %s is missing; restore it from a backup, the log cannot be verified without it", cfg.AuditKeyPath())
	}
	if err != nil {
		return nil, err
	}
	return audit.New(st, audit.Options{Key: key}), nil
}

// errNotIntact is returned after the problems are printed (exit status 1).
var errNotIntact = errors.New("audit log verification failed")

// errAnchorRemoved is returned when the chain is intact but the anchor
// names an entry retention removed (exit status 1: the anchor proves
// nothing any more, and a faked retention run must not pass for a check).
var errAnchorRemoved = errors.New("audit log anchor could not be checked")

func printReport(w io.Writer, r audit.Report) error {
	printRetention(w, r)
	for _, p := range r.Problems {
		fmt.Fprintln(w, p)
	}
	if r.OnlyAnchorRemoved() {
		fmt.Fprintf(w, "audit log intact: %d entries, but the anchor could not be checked\n", r.Entries)
		return errAnchorRemoved
	}
	if !r.OK() {
		fmt.Fprintf(w, "audit log NOT intact: %d problem(s) in %d entries\n", len(r.Problems), r.Entries)
		return errNotIntact
	}
	fmt.Fprintf(w, "audit log intact: %d entries\n", r.Entries)
	if r.Entries > 0 {
		fmt.Fprintf(w, "head: %s\n(keep this line somewhere else; `conclave audit verify --anchor %s` later proves the log still contains it)\n", r.Head, r.Head)
	}
	return nil
}

// printRetention says where the verified chain starts when retention
// removed its beginning, so that a log starting at entry 1001 reads as
// retention and not as a gap. A checkpoint that fails its seal is not
// retention; its problem line says so instead.
func printRetention(w io.Writer, r audit.Report) {
	cp := r.Checkpoint
	forged := slices.ContainsFunc(r.Problems, func(p audit.Problem) bool { return p.Kind == audit.CheckpointChanged })
	if cp == nil || forged {
		return
	}
	removed := fmt.Sprintf("entries 1 to %d", cp.Seq)
	if cp.Seq == 1 {
		removed = "entry 1"
	}
	fmt.Fprintf(w, "%s removed by retention on %s, chain verified from entry %d\n",
		removed, cp.Time.UTC().Format("2006-01-02 15:04:05 UTC"), cp.Seq+1)
}

func runAuditExport(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("audit export", e)
	var cf cliFlags
	cf.register(fs, false)
	// JSON by default: it keeps each entry's details as an object, which
	// CSV flattens into one column; --format csv is for spreadsheets.
	format := fs.String("format", string(audit.JSON), "json or csv")
	var ff filterFlags
	ff.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	f, err := audit.ParseFormat(*format)
	if err != nil {
		return usageError{"audit export: --format: " + err.Error()}
	}
	filter, err := ff.filter()
	if err != nil {
		return usageError{"audit export: " + err.Error()}
	}
	cfg, st, err := cf.openExisting(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	auditLog, err := openAuditLog(st, cfg)
	if err != nil {
		return err
	}
	details := ff.details()
	details["format"] = string(f)
	if err := recordCLI(ctx, auditLog, audit.Event{Action: audit.AuditExport, Details: details}); err != nil {
		return fmt.Errorf("export refused: its audit entry could not be written: %w", err)
	}
	_, err = auditLog.Export(ctx, e.stdout, f, filter)
	return err
}

// filterFlags are the export's selection flags.
type filterFlags struct {
	since, until, action, actor, target, meeting, outcome string
}

func (ff *filterFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&ff.since, "since", "", "only entries at or after this time (RFC 3339 or YYYY-MM-DD, UTC)")
	fs.StringVar(&ff.until, "until", "", "only entries before this time (RFC 3339 or YYYY-MM-DD, UTC)")
	fs.StringVar(&ff.action, "action", "", "only this action, e.g. auth.login.failure")
	fs.StringVar(&ff.actor, "actor", "", "only entries by this subject ID")
	fs.StringVar(&ff.target, "target", "", "only entries about this subject ID")
	fs.StringVar(&ff.meeting, "meeting", "", "only entries about this meeting ID")
	fs.StringVar(&ff.outcome, "outcome", "", "only success, failure or denied")
}

func (ff *filterFlags) filter() (store.AuditFilter, error) {
	f := store.AuditFilter{Action: ff.action, Actor: ff.actor, Target: ff.target, Meeting: ff.meeting, Outcome: ff.outcome}
	var err error
	if f.Since, err = parseCLITime("--since", ff.since); err != nil {
		return f, err
	}
	if f.Until, err = parseCLITime("--until", ff.until); err != nil {
		return f, err
	}
	switch {
	case f.Action != "" && !audit.Action(f.Action).Valid():
		return f, fmt.Errorf("--action %q is not an audit action", f.Action)
	case f.Outcome != "" && !audit.Outcome(f.Outcome).Valid():
		return f, errors.New("--outcome must be success, failure or denied")
	case f.Actor != "" && !audit.ValidSubject(f.Actor), f.Target != "" && !audit.ValidSubject(f.Target):
		return f, errors.New("--actor and --target take subject IDs (u_xxx, p_xxx)")
	case f.Meeting != "" && !audit.ValidMeetingID(f.Meeting):
		return f, errors.New("--meeting is not a meeting ID")
	}
	return f, nil
}

// details records the filters in the export's audit entry; they were
// validated by filter, so they hold no personal data.
func (ff *filterFlags) details() map[string]string {
	d := map[string]string{}
	for k, v := range map[string]string{"since": ff.since, "until": ff.until, "action": ff.action,
		"actor": ff.actor, "target": ff.target, "meeting": ff.meeting, "outcome": ff.outcome} {
		if v != "" {
			d["filter."+k] = v
		}
	}
	return d
}

func parseCLITime(flagName, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s must be RFC 3339 (2025-06-01T12:00:00Z) or a date (2025-06-01)", flagName)
}
