package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/release"
	"github.com/conclave-meet/conclave/internal/store"
)

var testBuild = release.Build{Version: "v1.4.0", Revision: "0123456789abcdef0123456789abcdef01234567",
	Time: time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC), GoVersion: "go1.26.8"}

type fixedUpdates release.Status

func (f fixedUpdates) Status() release.Status { return release.Status(f) }

func getVersion(t *testing.T, e *testEnv, c *http.Client) versionJSON {
	t.Helper()
	r := do(t, c, "GET", e.srv.URL+"/api/admin/version", "")
	expectStatus(t, r, http.StatusOK)
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Fatal("version answer may be cached")
	}
	var v versionJSON
	r.json(t, &v)
	return v
}

// TestServerVersionForAdmins: an administrator sees the build and, with
// no release feed, that none is configured.
func TestServerVersionForAdmins(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.Build = testBuild })
	admin, _ := e.signedInAs(t, "admin@example.org", store.RoleAdmin)
	r := do(t, admin, "GET", e.srv.URL+"/api/admin/version", "")
	expectStatus(t, r, http.StatusOK)
	want := `{"version":"v1.4.0","revision":"0123456789abcdef0123456789abcdef01234567","modified":false,` +
		`"build_date":"2026-09-01T12:00:00Z","go_version":"go1.26.8","update":{"status":"not_configured","newer":false,"security":false}}`
	if got := strings.TrimSpace(string(r.body)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	e2 := newTestEnv(t) // a build without VCS information
	admin2, _ := e2.signedInAs(t, "admin@example.org", store.RoleAdmin)
	if v := getVersion(t, e2, admin2); v.BuildDate != nil {
		t.Fatalf("unknown build date given as %v", v.BuildDate)
	}
}

// TestServerVersionUpdates: the checker's verdict reaches the page as is.
func TestServerVersionUpdates(t *testing.T) {
	checked := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	st := release.Status{State: release.Unreachable, Feed: "releases.example.org", CheckedAt: checked,
		Latest: &release.Release{Version: "1.5.0", Date: "2026-11-30", URL: "https://releases.example.org/1.5.0", Security: true},
		Newer:  true, Security: true, UnreachableSince: checked.Add(24 * time.Hour), Error: "status 503"}
	e := newTestEnv(t, func(o *Options) { o.Build = testBuild; o.Updates = fixedUpdates(st) })
	admin, _ := e.signedInAs(t, "admin@example.org", store.RoleAdmin)
	u := getVersion(t, e, admin).Update
	if u.Status != release.Unreachable || u.Feed != "releases.example.org" || !u.CheckedAt.Equal(checked) ||
		u.Latest == nil || *u.Latest != (releaseJSON{Version: "1.5.0", Date: "2026-11-30", URL: "https://releases.example.org/1.5.0", Security: true}) ||
		!u.Newer || !u.Security || !u.UnreachableSince.Equal(checked.Add(24*time.Hour)) || u.Error != "status 503" {
		t.Fatalf("update %+v", u)
	}
}

// TestServerVersionRefused: members and privacy officers are refused
// with 403 and the refusal is on record; signed out is 401.
func TestServerVersionRefused(t *testing.T) {
	e := newTestEnv(t, func(o *Options) {
		o.Build = testBuild
		o.Updates = fixedUpdates(release.Status{State: release.Available, Feed: "releases.example.org"})
	})
	url := e.srv.URL + "/api/admin/version"
	for _, role := range []store.Role{store.RoleMember, store.RolePrivacyOfficer} {
		c, u := e.signedInAs(t, string(role)+"@example.org", role)
		r := do(t, c, "GET", url, "")
		expectError(t, r, http.StatusForbidden, "forbidden")
		if strings.Contains(string(r.body), "v1.4.0") || strings.Contains(string(r.body), "releases.example.org") {
			t.Fatalf("%s: the refusal tells the version: %s", role, r.body)
		}
		if got := e.lastEntry(t); got.Action != "settings.change" || got.Outcome != "denied" || got.Actor != u.ID || got.Details["role"] != string(role) {
			t.Fatalf("%s: refusal recorded as %+v", role, got)
		}
	}
	expectError(t, do(t, e.client(t), "GET", url, ""), http.StatusUnauthorized, "unauthorized")
	admin, _ := e.signedInAs(t, "admin@example.org", store.RoleAdmin)
	expectError(t, do(t, admin, "POST", url, ""), http.StatusMethodNotAllowed, "method_not_allowed")
}
