package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/testlog"
)

// publishHead publishes the head of the log in dir to the anchor file, as
// the server's anchorer does, and returns it.
func publishHead(t *testing.T, dir, file string) audit.SealedHead {
	t.Helper()
	ctx := context.Background()
	st, key := openDirLog(t, dir)
	sink, err := audit.OpenFileSink(file)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	a := audit.NewAnchorer(audit.New(st, audit.Options{Key: key}), audit.AnchorOptions{
		Sinks: []audit.Sink{sink}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	h, ok, err := a.Publish(ctx, "start")
	if err != nil || !ok {
		t.Fatalf("publish: %v %v", ok, err)
	}
	return h
}

// anchoredDir is auditDir (entries 1 to 4) with head 4 published to a file
// outside the data dir.
func anchoredDir(t *testing.T) (dir, file string) {
	t.Helper()
	dir, _ = auditDir(t)
	file = filepath.Join(t.TempDir(), "heads")
	if h := publishHead(t, dir, file); h.Seq != 4 {
		t.Fatalf("published %s", h)
	}
	return dir, file
}

func verifyAnchored(t *testing.T, dir, file string) result {
	t.Helper()
	return cli(t, nil, "", "audit", "verify", "--data", dir, "--anchor-file", file)
}

// TestAuditVerifyPublishedHeadCatchesCutTail: someone with the database
// but not the key deletes the newest entries. The chain alone still links
// (the limit the threat model states); the published head does not.
func TestAuditVerifyPublishedHeadCatchesCutTail(t *testing.T) {
	dir, file := anchoredDir(t)
	if r := verifyAnchored(t, dir, file); r.code != 0 || !strings.Contains(r.stdout, "checking against 1 published head(s)") {
		t.Fatalf("intact: %+v", r)
	}
	rawSQL(t, dir, "DROP TRIGGER audit_log_append_only_delete", "DELETE FROM audit_log WHERE seq >= 3")
	if r := cli(t, nil, "", "audit", "verify", "--data", dir); r.code != 0 || !strings.Contains(r.stdout, "intact: 2 entries") {
		t.Fatalf("without published heads a cut tail goes unnoticed, as documented: %+v", r)
	}
	r := verifyAnchored(t, dir, file)
	if r.code != 1 || !strings.Contains(r.stdout, "log truncated/shortened: published head seq 4, log ends at 2") ||
		!strings.Contains(r.stdout, "NOT intact") {
		t.Fatalf("cut tail: %+v", r)
	}
	// The configured anchor file is the default.
	vars := map[string]string{"CONCLAVE_AUDIT_ANCHOR_FILE": file}
	if r := cli(t, vars, "", "audit", "verify", "--data", dir); r.code != 1 || !strings.Contains(r.stdout, "published head seq 4") {
		t.Fatalf("configured anchor file: %+v", r)
	}
}

func TestAuditVerifyPublishedHeadCatchesEmptiedLog(t *testing.T) {
	dir, file := anchoredDir(t)
	rawSQL(t, dir, "DROP TRIGGER audit_log_append_only_delete", "DELETE FROM audit_log")
	if r := cli(t, nil, "", "audit", "verify", "--data", dir); r.code != 0 || !strings.Contains(r.stdout, "intact: 0 entries") {
		t.Fatalf("without published heads an emptied log reads as empty, as documented: %+v", r)
	}
	r := verifyAnchored(t, dir, file)
	if r.code != 1 || !strings.Contains(r.stdout, "log emptied: published head seq 4, but the log has no entries") {
		t.Fatalf("emptied: %+v", r)
	}
}

// TestAuditVerifyPublishedHeadsCatchRefilledLog: after a cut the server
// goes on appending and publishing; the newer heads match the refilled log,
// the older one does not.
func TestAuditVerifyPublishedHeadsCatchRefilledLog(t *testing.T) {
	dir, file := anchoredDir(t)
	rawSQL(t, dir, "DROP TRIGGER audit_log_append_only_delete", "DELETE FROM audit_log WHERE seq >= 3")
	for range 3 {
		if r := cli(t, nil, "", "meeting", "create", "--data", dir); r.code != 0 {
			t.Fatal(r.stderr)
		}
	}
	if h := publishHead(t, dir, file); h.Seq != 5 {
		t.Fatalf("published %s", h)
	}
	r := verifyAnchored(t, dir, file)
	if r.code != 1 || !strings.Contains(r.stdout, "entry 4: absent or different from the anchor") {
		t.Fatalf("refilled: %+v", r)
	}
}

// TestAuditVerifyPublishedHeadsAfterRetention: retention removing the front
// of the log behind its sealed checkpoint is not a cut; the tail still is.
func TestAuditVerifyPublishedHeadsAfterRetention(t *testing.T) {
	dir, _ := auditDir(t)
	file := filepath.Join(t.TempDir(), "heads")
	publishHead(t, dir, file)
	truncateDir(t, dir) // keeps entry 4 only
	if r := verifyAnchored(t, dir, file); r.code != 0 || !strings.Contains(r.stdout, "removed by retention") {
		t.Fatalf("after retention: %+v", r)
	}
	if r := cli(t, nil, "", "meeting", "create", "--data", dir); r.code != 0 {
		t.Fatal(r.stderr)
	}
	publishHead(t, dir, file) // head 5
	rawSQL(t, dir, "DROP TRIGGER audit_log_append_only_delete", "DELETE FROM audit_log WHERE seq = 5")
	if r := verifyAnchored(t, dir, file); r.code != 1 || !strings.Contains(r.stdout, "published head seq 5, log ends at 4") {
		t.Fatalf("tail cut after retention: %+v", r)
	}
}

// TestAuditVerifyForgedHeads: a head that was not sealed with the key, in
// the file or on the command line, fails verification.
func TestAuditVerifyForgedHeads(t *testing.T) {
	dir, file := anchoredDir(t)
	h := publishHead(t, dir, file)
	forged := h
	forged.Seq = 3 // a head that would bless a log cut after entry 3
	if r := cli(t, nil, "", "audit", "verify", "--data", dir, "--anchor", h.String()); r.code != 0 {
		t.Fatalf("genuine sealed anchor: %+v", r)
	}
	if r := cli(t, nil, "", "audit", "verify", "--data", dir, "--anchor", forged.String()); r.code != 1 || !strings.Contains(r.stderr, "seal does not match") {
		t.Fatalf("forged anchor: %+v", r)
	}
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(forged.String() + "\n")
	f.Close()
	if r := verifyAnchored(t, dir, file); r.code != 1 || !strings.Contains(r.stderr, "line 3: head seal does not match") {
		t.Fatalf("forged line: %+v", r)
	}
	absent := filepath.Join(t.TempDir(), "absent")
	if r := verifyAnchored(t, dir, absent); r.code != 1 || !strings.Contains(r.stderr, "anchor file") {
		t.Fatalf("absent anchor file: %+v", r)
	}
	if r := cli(t, nil, "", "audit", "verify", "--data", dir, "--anchor", h.String()+"x"); r.code != 2 {
		t.Fatalf("malformed anchor: %+v", r)
	}
}

// TestServePublishesAuditHeads: the server publishes at start-up and at
// shutdown to its log and the anchor file; the logged head pastes into
// --anchor, and the file catches a cut made while the server was down.
func TestServePublishesAuditHeads(t *testing.T) {
	dir, _ := auditDir(t)
	file := filepath.Join(t.TempDir(), "heads")
	var out, errb testlog.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--data", dir, "--turn-port", "0",
			"--media-port", "0", "--audit-anchor-file", file}, e)
	}()
	waitFor(t, &out, regexp.MustCompile(`(listening) on`))
	logged := waitFor(t, &errb, regexp.MustCompile(`msg="audit head" reason=start seq=\d+ anchor=(\S+)`))
	cancel()
	awaitExit(t, done, &errb)
	if !strings.Contains(errb.String(), `msg="audit head" reason=shutdown`) {
		t.Fatalf("no shutdown head: %s", errb.String())
	}
	if r := cli(t, nil, "", "audit", "verify", "--data", dir, "--anchor", logged); r.code != 0 {
		t.Fatalf("logged head as --anchor: %+v", r)
	}
	r := verifyAnchored(t, dir, file)
	if r.code != 0 || !strings.Contains(r.stdout, "checking against 2 published head(s)") {
		t.Fatalf("after serve: %+v", r)
	}
	rawSQL(t, dir, "DROP TRIGGER audit_log_append_only_delete", "DELETE FROM audit_log WHERE seq >= 4")
	if r := verifyAnchored(t, dir, file); r.code != 1 || !strings.Contains(r.stdout, "log ends at 3") {
		t.Fatalf("cut after serve: %+v", r)
	}
}
