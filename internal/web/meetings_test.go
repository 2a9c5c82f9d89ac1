package web

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/meeting"
	"github.com/conclave-meet/conclave/internal/store"
)

func TestCreateMeetingWithSettings(t *testing.T) {
	e := newTestEnv(t)
	c := e.signedIn(t, "host@example.org")
	e.user(t, "bob@example.org", store.RoleMember)
	e.user(t, "carol@example.org", store.RoleMember)
	starts := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	ends := starts.Add(60 * 24 * time.Hour)
	body := `{"title":"Board","waiting_room":false,"join_before_host":true,"screen_share":"everyone",
		"max_participants":12,"recurrence":"weekly","starts_at":"` + starts.Format(time.RFC3339) + `",
		"ends_at":"` + ends.Format(time.RFC3339) + `","cohosts":["Carol@Example.org"," bob@example.org"]}`
	m := createMeeting(t, c, e.srv.URL, body)
	if m.WaitingRoom || !m.JoinBeforeHost || m.ScreenShare != "everyone" || m.MaxParticipants != 12 ||
		m.Recurrence != "weekly" || m.StartsAt == nil || !m.StartsAt.Equal(starts) || !m.EndsAt.Equal(ends) {
		t.Fatalf("settings %+v", m)
	}
	if want := []string{"carol@example.org", "bob@example.org"}; !reflect.DeepEqual(m.Cohosts, want) {
		t.Fatalf("cohosts %v, want %v", m.Cohosts, want)
	}
	var list struct{ Meetings []meetingJSON }
	r := do(t, c, "GET", e.srv.URL+"/api/meetings", "")
	expectStatus(t, r, http.StatusOK)
	if r.json(t, &list); len(list.Meetings) != 1 || !reflect.DeepEqual(list.Meetings[0], m) {
		t.Fatalf("list %+v, want [%+v]", list.Meetings, m)
	}
	// The host's view names co-hosts by e-mail, never by internal ID.
	if strings.Contains(string(r.body), `"u_`) {
		t.Fatalf("list leaks user IDs: %s", r.body)
	}
}

func TestCreateMeetingDefaultSettings(t *testing.T) {
	e := newTestEnv(t)
	c := e.signedIn(t, "host@example.org")
	r := do(t, c, "POST", e.srv.URL+"/api/meetings", `{"title":"Ad hoc"}`)
	expectStatus(t, r, http.StatusCreated)
	for _, want := range []string{`"waiting_room":true`, `"join_before_host":false`, `"screen_share":"presenters"`,
		`"max_participants":0`, `"recurrence":"none"`, `"starts_at":null`, `"cohosts":[]`} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("response lacks %s: %s", want, r.body)
		}
	}
	var m meetingJSON
	r.json(t, &m)
	if d := m.EndsAt.Sub(m.CreatedAt); d != meeting.DefaultLifetime {
		t.Fatalf("ends %v after creation, want %v", d, meeting.DefaultLifetime)
	}
}

// TestMeOrgLocked: /api/me tells the page which meeting options the
// organisation locked, so that the form can say so before the server
// refuses.
func TestMeOrgLocked(t *testing.T) {
	for _, locked := range []bool{false, true} {
		e := newTestEnv(t, func(o *Options) { o.Meetings.Policy = meeting.Policy{LockScreenShare: locked} })
		c := e.signedIn(t, "host@example.org")
		r := do(t, c, "GET", e.srv.URL+"/api/me", "")
		var body struct {
			User      map[string]any `json:"user"`
			OrgLocked []string       `json:"org_locked"`
		}
		r.json(t, &body)
		if body.User == nil || (len(body.OrgLocked) == 1 && body.OrgLocked[0] == "screen_share") != locked || (!locked && body.OrgLocked != nil) {
			t.Fatalf("locked %v: /api/me %+v", locked, body)
		}
	}
}

func TestCreateMeetingRefusals(t *testing.T) {
	e := newTestEnv(t, func(o *Options) {
		o.Meetings.Policy = meeting.Policy{ForceWaitingRoom: true, LockScreenShare: true, MaxParticipants: 50}
	})
	c := e.signedIn(t, "host@example.org")
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	tooMany := `"a@example.org"` + strings.Repeat(`,"a@example.org"`, meeting.MaxCohosts)
	cases := map[string]struct{ body, field string }{
		"forced waiting room":  {`{"waiting_room":false}`, "waiting_room"},
		"over the org cap":     {`{"max_participants":51}`, "max_participants"},
		"bad screen share":     {`{"screen_share":"all"}`, "screen_share"},
		"locked screen share":  {`{"screen_share":"everyone"}`, "screen_share: locked by your organisation"},
		"bad recurrence":       {`{"recurrence":"hourly","ends_at":"2099-01-01T00:00:00Z"}`, "recurrence"},
		"recurring no end":     {`{"recurrence":"daily"}`, "ends_at"},
		"ends in the past":     {`{"ends_at":"` + past + `"}`, "ends_at"},
		"ends too late":        {`{"ends_at":"2999-01-01T00:00:00Z"}`, "ends_at"},
		"bad time":             {`{"starts_at":"tomorrow"}`, "starts_at"},
		"unknown co-host":      {`{"cohosts":["ghost@example.org"]}`, "cohosts"},
		"malformed co-host":    {`{"cohosts":["not an address"]}`, "cohosts"},
		"host as co-host":      {`{"cohosts":["HOST@example.org"]}`, "cohosts"},
		"too many co-hosts":    {`{"cohosts":[` + tooMany + `]}`, "cohosts"},
		"long title":           {`{"title":"` + strings.Repeat("x", 121) + `"}`, "title"},
		"wrong type":           {`{"waiting_room":"no"}`, "waiting_room"},
		"unknown option field": {`{"lobby":true}`, "lobby"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := do(t, c, "POST", e.srv.URL+"/api/meetings", tc.body)
			expectError(t, r, 400, "bad_request")
			var eb errorBody
			if r.json(t, &eb); !strings.Contains(eb.Error.Message, tc.field) {
				t.Fatalf("message %q does not name %s", eb.Error.Message, tc.field)
			}
		})
	}
	ms, err := e.opts.Meetings.ListByHost(context.Background(), e.userID(t, "host@example.org"))
	if err != nil || len(ms) != 0 {
		t.Fatalf("refused requests stored %d meetings (%v)", len(ms), err)
	}
}

func TestUnknownCohostMessageNamesAddress(t *testing.T) {
	e := newTestEnv(t)
	c := e.signedIn(t, "host@example.org")
	r := do(t, c, "POST", e.srv.URL+"/api/meetings", `{"cohosts":["Ghost@Example.org"]}`)
	expectError(t, r, 400, "bad_request")
	if !strings.Contains(string(r.body), "ghost@example.org") {
		t.Fatalf("message should name the unknown address: %s", r.body)
	}
}

func (e *testEnv) userID(t *testing.T, email string) string {
	t.Helper()
	u, err := e.store.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
