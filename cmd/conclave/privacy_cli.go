package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/files"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/recordings"
	"github.com/conclave-meet/conclave/internal/store"
)

// subjectFlags name a data subject on the command line.
type subjectFlags struct{ subject, email string }

func (f *subjectFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.subject, "subject", "", "subject ID: an account (u_…) or a guest participant (p_…)")
	fs.StringVar(&f.email, "email", "", "the account's e-mail address, instead of --subject")
}

func (f subjectFlags) check(cmd string) error {
	if (f.subject == "") == (f.email == "") {
		return usageError{cmd + ": give either --subject or --email"}
	}
	if f.subject != "" && (privacy.CheckSubject(f.subject) != nil || !audit.ValidSubject(f.subject)) {
		return usageError{cmd + ": --subject must be an account (u_…) or participant (p_…) ID"}
	}
	return nil
}

// resolve returns the subject, looking an e-mail address up.
func (f subjectFlags) resolve(ctx context.Context, st store.Store) (privacy.Subject, error) {
	if f.subject != "" {
		return privacy.Subject{ID: f.subject}, nil
	}
	u, err := st.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(f.email)))
	if errors.Is(err, store.ErrNotFound) {
		return privacy.Subject{}, fmt.Errorf("no account has the e-mail address %s", f.email)
	}
	if err != nil {
		return privacy.Subject{}, err
	}
	return privacy.Subject{ID: u.ID}, nil
}

// privacyCLI is what both commands open: the store, log and service.
type privacyCLI struct {
	st  serverStore
	log *audit.Log
	svc *privacy.Service
}

func openPrivacyCLI(ctx context.Context, cf cliFlags, e env) (privacyCLI, error) {
	cfg, st, err := cf.openExisting(ctx, e)
	if err != nil {
		return privacyCLI{}, err
	}
	auditLog, err := openAuditLog(st, cfg)
	var shared *files.Service
	if err == nil {
		shared, err = storedFiles(cfg, st, auditLog)
	}
	var recs *recordings.Service
	if err == nil {
		recs, err = newRecordingService(ctx, cfg, st, nil)
	}
	if err == nil {
		deps := privacyDeps{Config: cfg, Store: st, Audit: auditLog, Files: shared, Recordings: recs}
		var reg *privacy.Registry
		if reg, err = newPrivacyRegistry(deps); err == nil {
			return privacyCLI{st: st, log: auditLog, svc: newPrivacyService(deps, reg)}, nil
		}
	}
	st.Close()
	return privacyCLI{}, err
}

// runPrivacyExport writes everything held on one person as a zip:
// conclave privacy export --subject ID|--email E --out FILE.
func runPrivacyExport(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("privacy export", e)
	var cf cliFlags
	cf.register(fs, false)
	var sf subjectFlags
	sf.register(fs)
	out := fs.String("out", "", "file to write the zip archive to (required; not overwritten)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := sf.check("privacy export"); err != nil {
		return err
	}
	if *out == "" {
		return usageError{"privacy export: --out is required"}
	}
	p, err := openPrivacyCLI(ctx, cf, e)
	if err != nil {
		return err
	}
	defer p.st.Close()
	subj, err := sf.resolve(ctx, p.st)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	exp, err := p.svc.Export(ctx, subj)
	if err == nil {
		err = privacy.WriteArchive(&buf, exp)
	}
	if err != nil {
		return err
	}
	ev := audit.Event{Action: audit.DataExport, Target: subj.ID, Details: map[string]string{"format": "zip"}}
	if err := recordCLI(ctx, p.log, ev); err != nil {
		return fmt.Errorf("record export: %w", err)
	}
	if err := writeNewFile(*out, buf.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s (%d bytes) for %s\n", *out, buf.Len(), subj.ID)
	return nil
}

// writeNewFile refuses to replace an existing file and keeps the export,
// which is personal data, private to its owner.
func writeNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write export: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	return nil
}

// runPrivacyErase erases one person and prints the report as JSON:
// conclave privacy erase --subject ID|--email E --yes.
func runPrivacyErase(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("privacy erase", e)
	var cf cliFlags
	cf.register(fs, false)
	var sf subjectFlags
	sf.register(fs)
	yes := fs.Bool("yes", false, "confirm: erasure cannot be undone")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := sf.check("privacy erase"); err != nil {
		return err
	}
	if !*yes {
		return usageError{"privacy erase: erasure cannot be undone; add --yes to confirm"}
	}
	p, err := openPrivacyCLI(ctx, cf, e)
	if err != nil {
		return err
	}
	defer p.st.Close()
	subj, err := sf.resolve(ctx, p.st)
	if err != nil {
		return err
	}
	rep, eraseErr := p.svc.Erase(ctx, subj)
	ev := audit.Event{Action: audit.DataErase, Target: subj.ID, Details: rep.AuditDetails()}
	if err := recordCLI(ctx, p.log, ev); err != nil {
		return errors.Join(eraseErr, fmt.Errorf("record erasure: %w", err))
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return err
	}
	return eraseErr
}
