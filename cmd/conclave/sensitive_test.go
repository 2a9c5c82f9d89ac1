package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/client"
)

// TestMeetingCreateSensitive: --sensitive turns end-to-end encryption on
// unless --e2ee=false says otherwise, and the output says which.
func TestMeetingCreateSensitive(t *testing.T) {
	dir := t.TempDir()
	addAdmin(t, dir, "admin@example.org")
	r := cli(t, nil, "", "meeting", "create", "--data", dir, "--sensitive")
	if r.code != 0 || !strings.Contains(r.stdout, "Media:    end-to-end encrypted; sensitive") {
		t.Fatalf("sensitive: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = cli(t, nil, "", "meeting", "create", "--data", dir, "--sensitive", "--e2ee=false", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"e2ee": false`) || !strings.Contains(r.stdout, `"sensitive": true`) {
		t.Fatalf("sensitive, encryption off: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = cli(t, nil, "", "meeting", "create", "--data", dir)
	if !strings.Contains(r.stdout, "Media:    encrypted to the server (the server could see and hear it)") {
		t.Fatalf("ordinary meeting:\n%s", r.stdout)
	}
	r = cli(t, map[string]string{"CONCLAVE_REQUIRE_E2EE": "true"}, "", "meeting", "create", "--data", dir, "--sensitive", "--e2ee=false")
	if r.code != 2 || !strings.Contains(r.stderr, "--e2ee: this server end-to-end encrypts every meeting") {
		t.Fatalf("turning encryption off under the requirement: %d %s", r.code, r.stderr)
	}
}

// TestJoinInfoSharesThePasscodeThrottle runs the server: wrong passcodes
// tried through the pre-join check (POST /api/meetings/{id}/join-info)
// lock the address out of joining too, so the check is no second budget
// for guessing; the right passcode, tried first, tells that the sensitive
// meeting is end-to-end encrypted.
func TestJoinInfoSharesThePasscodeThrottle(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	srv := startServe(t, dir)
	defer srv.stop()
	host := jarClient(t)
	post(t, host, srv.base+"/api/setup", `{"token":"`+srv.token+`","email":"host@example.org","name":"Host","password":"`+testPassword+`"}`, http.StatusCreated)
	var m struct{ ID, Passcode string }
	body := post(t, host, srv.base+"/api/meetings", `{"title":"Clinic","sensitive":true,"waiting_room":false,"join_before_host":true}`, http.StatusCreated)
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	guest := jarClient(t)
	url := srv.base + "/api/meetings/" + m.ID + "/join-info"
	if got := strings.TrimSpace(string(post(t, guest, url, `{"passcode":"`+m.Passcode+`"}`, http.StatusOK))); got != `{"e2ee":true,"sensitive":true}` {
		t.Fatalf("join info %s", got)
	}
	for range 10 { // throttle.PasscodePolicy: 10 failures lock the address
		post(t, guest, url, `{"passcode":"wrong-passcode"}`, http.StatusNotFound)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws := "ws" + strings.TrimPrefix(srv.base, "http") + "/ws"
	_, err := client.Dial(ctx, ws, client.Hello{MeetingID: m.ID, Passcode: m.Passcode, Name: "Guest", NoticeVersion: 1}, client.Options{})
	var refused *client.Error
	if !errors.As(err, &refused) || refused.Code != "too_many_attempts" {
		t.Fatalf("joining with the right passcode after the check's failures: %v, want too_many_attempts", err)
	}
}
