package web

import (
	"net/http"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/release"
)

// UpdateStatus says whether a newer release is out (release.Checker).
type UpdateStatus interface {
	Status() release.Status
}

// versionRoutes: which Conclave this is, and whether to update, for
// administrators (docs/api.md, "Server version").
func (s *server) versionRoutes(mux *http.ServeMux) {
	route(mux, "/api/admin/version", methods{"GET": s.serverVersion})
}

type versionJSON struct {
	Version   string     `json:"version"`
	Revision  string     `json:"revision"`
	Modified  bool       `json:"modified"`
	BuildDate *time.Time `json:"build_date"`
	GoVersion string     `json:"go_version"`
	Update    updateJSON `json:"update"`
}

type updateJSON struct {
	Status           release.State `json:"status"`
	Feed             string        `json:"feed,omitempty"`
	CheckedAt        *time.Time    `json:"checked_at,omitempty"`
	Latest           *releaseJSON  `json:"latest,omitempty"`
	Newer            bool          `json:"newer"`
	Security         bool          `json:"security"`
	UnreachableSince *time.Time    `json:"unreachable_since,omitempty"`
	Error            string        `json:"error,omitempty"`
}

type releaseJSON struct {
	Version  string `json:"version"`
	Date     string `json:"date,omitempty"`
	URL      string `json:"url,omitempty"`
	Security bool   `json:"security"`
}

// serverVersion answers from memory: the build information and the
// checker's last verdict. It never fetches the feed itself, so the page
// cannot be used to make the server call out. A refusal is recorded like
// the other settings pages' (settings.change, denied).
func (s *server) serverVersion(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authorize(w, r, authz.ServerVersion, audit.SettingsChange); !ok {
		return
	}
	b := s.Build
	out := versionJSON{Version: b.Version, Revision: b.Revision, Modified: b.Modified,
		BuildDate: timeOrNil(b.Time), GoVersion: b.GoVersion, Update: updateJSON{Status: release.NotConfigured}}
	if s.Updates != nil {
		st := s.Updates.Status()
		out.Update = updateJSON{Status: st.State, Feed: st.Feed, CheckedAt: timeOrNil(st.CheckedAt),
			Newer: st.Newer, Security: st.Security, UnreachableSince: timeOrNil(st.UnreachableSince), Error: st.Error}
		if l := st.Latest; l != nil {
			out.Update.Latest = &releaseJSON{Version: l.Version, Date: l.Date, URL: l.URL, Security: l.Security}
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
