package main

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
)

// TestMeetingDelete: without --yes nothing happens; with it the meeting is
// gone and the deletion is in the audit log as the CLI's.
func TestMeetingDelete(t *testing.T) {
	dir := t.TempDir()
	host := addAdmin(t, dir, "admin@example.org")
	r := cli(t, nil, "", "meeting", "create", "--data", dir, "--json")
	if r.code != 0 {
		t.Fatalf("meeting create: %+v", r)
	}
	var m meetingOutput
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--id", m.ID}, 2, "--yes"},
		{[]string{"--yes"}, 2, "--id is required"},
		{[]string{"--id", "not a meeting", "--yes"}, 2, "--id"},
		{[]string{"--id", "abcd-efgh-jkmn-pqrs", "--yes"}, 1, "no meeting"},
	} {
		r := cli(t, nil, "", append([]string{"meeting", "delete", "--data", dir}, tc.args...)...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: %+v, want code %d and %q", tc.args, r, tc.code, tc.want)
		}
	}
	storedMeeting(t, dir, m.ID) // still there

	// The ID as a person may type it: upper case, without dashes.
	r = cli(t, nil, "", "meeting", "delete", "--data", dir, "--id", strings.ToUpper(strings.ReplaceAll(m.ID, "-", "")), "--yes")
	if r.code != 0 || !strings.Contains(r.stdout, m.ID) {
		t.Fatalf("meeting delete: %+v", r)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.MeetingByID(context.Background(), m.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted meeting: %v", err)
	}
	es, err := st.AuditEntries(context.Background(), store.AuditFilter{Action: "meeting.delete"})
	if err != nil || len(es) != 1 {
		t.Fatalf("audit %+v %v", es, err)
	}
	if e := es[0]; e.Meeting != m.ID || e.Target != host || e.Actor != "" || e.Details["via"] != "cli" || e.Details["deleted"] != "1" {
		t.Fatalf("deletion recorded as %+v", e)
	}
	if r := cli(t, nil, "", "meeting", "delete", "--data", dir, "--id", m.ID, "--yes"); r.code != 1 || !strings.Contains(r.stderr, "no meeting") {
		t.Fatalf("second delete: %+v", r)
	}
}
