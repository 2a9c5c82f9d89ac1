package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
)

// addMember creates a member account with the CLI and returns its ID.
func addMember(t *testing.T, dir, email string) string {
	t.Helper()
	r := cli(t, map[string]string{"CONCLAVE_PASSWORD": testPassword}, "",
		"user", "add", "--data", dir, "--email", email, "--name", "Member")
	if r.code != 0 {
		t.Fatalf("user add: %d %s", r.code, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

func storedMeeting(t *testing.T, dir, id string) store.Meeting {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m, err := st.MeetingByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMeetingCreateSettings(t *testing.T) {
	dir := t.TempDir()
	addAdmin(t, dir, "admin@example.org")
	bob := addMember(t, dir, "bob@example.org")
	carol := addMember(t, dir, "carol@example.org")
	starts := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	ends := starts.Add(14 * 24 * time.Hour)
	r := cli(t, nil, "", "meeting", "create", "--data", dir, "--json", "--no-waiting-room", "--join-before-host",
		"--screen-share", "everyone", "--max-participants", "8", "--recurrence", "daily",
		"--starts", starts.Format(time.RFC3339), "--ends", ends.Format(time.RFC3339),
		"--cohost", "Carol@example.org", "--cohost", "bob@example.org")
	if r.code != 0 {
		t.Fatalf("meeting create: %d %s", r.code, r.stderr)
	}
	var out meetingOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("output %q: %v", r.stdout, err)
	}
	want := meetingSettings{
		WaitingRoom: false, JoinBeforeHost: true, ScreenShare: "everyone", MaxParticipants: 8,
		Recurrence: "daily", StartsAt: &starts, EndsAt: ends, Cohosts: []string{"carol@example.org", "bob@example.org"},
	}
	if !reflect.DeepEqual(out.meetingSettings, want) {
		t.Fatalf("settings %+v, want %+v", out.meetingSettings, want)
	}
	m := storedMeeting(t, dir, out.ID)
	if m.WaitingRoom || !m.JoinBeforeHost || m.Recurrence != "daily" || !reflect.DeepEqual(m.Cohosts, []string{carol, bob}) {
		t.Fatalf("stored %+v", m)
	}
}

func TestMeetingCreateDefaultSettings(t *testing.T) {
	dir := t.TempDir()
	addAdmin(t, dir, "admin@example.org")
	r := cli(t, nil, "", "meeting", "create", "--data", dir, "--json")
	for _, want := range []string{`"waiting_room": true`, `"screen_share": "presenters"`, `"recurrence": "none"`,
		`"starts_at": null`, `"cohosts": []`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %s: %s", want, r.stdout)
		}
	}
	var out meetingOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if left := time.Until(out.EndsAt); left < 29*24*time.Hour || left > 30*24*time.Hour {
		t.Fatalf("ends in %v, want the 30-day default", left)
	}
	r = cli(t, nil, "", "meeting", "create", "--data", dir)
	for _, want := range []string{"Waiting:  on", "Sharing:  presenters", "Ends:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestMeetingCreateHonoursServerPolicy: the CLI applies the same
// configuration as serve, here from the environment.
func TestMeetingCreateHonoursServerPolicy(t *testing.T) {
	dir := t.TempDir()
	addAdmin(t, dir, "admin@example.org")
	vars := map[string]string{"CONCLAVE_FORCE_WAITING_ROOM": "true", "CONCLAVE_MEETING_LIFETIME": "2h", "CONCLAVE_MAX_PARTICIPANTS": "10"}
	r := cli(t, vars, "", "meeting", "create", "--data", dir, "--no-waiting-room")
	if r.code != 2 || !strings.Contains(r.stderr, "--no-waiting-room") {
		t.Fatalf("forced waiting room: %d %s", r.code, r.stderr)
	}
	r = cli(t, vars, "", "meeting", "create", "--data", dir, "--max-participants", "11")
	if r.code != 2 || !strings.Contains(r.stderr, "--max-participants: must be at most 10") {
		t.Fatalf("over the cap: %d %s", r.code, r.stderr)
	}
	r = cli(t, vars, "", "meeting", "create", "--data", dir, "--json")
	var out meetingOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v: %s", err, r.stderr)
	}
	if left := time.Until(out.EndsAt); left > 2*time.Hour || left < time.Hour {
		t.Fatalf("ends in %v, want the configured 2h", left)
	}
}

func TestMeetingCreateSettingErrors(t *testing.T) {
	dir := t.TempDir()
	addAdmin(t, dir, "admin@example.org")
	addMember(t, dir, "bob@example.org")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad screen share", []string{"--screen-share", "all"}, 2, "--screen-share"},
		{"recurring without end", []string{"--recurrence", "weekly"}, 2, "--ends: a recurring meeting needs an end date"},
		{"bad start", []string{"--starts", "tomorrow"}, 2, "--starts"},
		{"end in the past", []string{"--ends", "2001-01-01T00:00:00Z"}, 2, "--ends"},
		{"malformed co-host", []string{"--cohost", "nobody"}, 2, "--cohost"},
		{"unknown co-host", []string{"--cohost", "ghost@example.org"}, 1, "no account with e-mail ghost@example.org"},
		{"host as co-host", []string{"--cohost", "admin@example.org"}, 2, "--cohost"},
		{"duplicate co-host", []string{"--cohost", "bob@example.org", "--cohost", "Bob@example.org"}, 2, "--cohost: a co-host is named twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := cli(t, nil, "", append([]string{"meeting", "create", "--data", dir}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("code %d stderr %q; want %d and %q", r.code, r.stderr, tc.code, tc.want)
			}
		})
	}
}

func TestMeetingPolicyFromConfig(t *testing.T) {
	cfg := config.Config{ForceWaitingRoom: true, MaxParticipants: 7, MeetingLifetime: time.Hour, MaxMeetingLifetime: 2 * time.Hour}
	p := meetingPolicy(cfg)
	if !p.ForceWaitingRoom || p.MaxParticipants != 7 || p.DefaultLifetime != time.Hour || p.MaxLifetime != 2*time.Hour {
		t.Fatalf("policy %+v", p)
	}
}
