package web

import (
	"net/http"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/store"
)

// orgRole maps an account's stored role to its role in the permission
// table. A role this build does not know becomes Anonymous, which the table
// allows nothing: a new role fails closed until it is mapped here.
func orgRole(r store.Role) authz.Role {
	switch r {
	case store.RoleAdmin:
		return authz.Admin
	case store.RolePrivacyOfficer:
		return authz.PrivacyOfficer
	case store.RoleMember:
		return authz.Member
	}
	return authz.Anonymous
}

// forbidden is what a refused account is told, per action.
var forbidden = map[authz.Action]string{
	authz.AuditView:        "only administrators and privacy officers can read the audit log",
	authz.AuditExport:      "only administrators and privacy officers can export the audit log",
	authz.MeetingCreate:    "your role cannot create meetings",
	authz.NoticeEdit:       "only administrators can preview or publish the privacy notice",
	authz.NoticeHistory:    "only administrators and privacy officers can list the privacy notice's versions",
	authz.ProcessingReport: "only administrators and privacy officers can generate the records of processing",
	authz.DataExport:       "only administrators and privacy officers can export a person's data",
	authz.DataErase:        "only administrators and privacy officers can erase a person's data",
	authz.SubjectRequests:  "only administrators and privacy officers can manage data subject requests",
	authz.MeetingRetention: "your role cannot manage meeting retention",
	authz.SelfService:      "your account's role is not recognised by this server; ask an administrator",
	authz.PasswordChange:   "your account's role is not recognised by this server; ask an administrator",
	authz.UserList:         "only administrators can list accounts",
	authz.UserAccess:       "only administrators can disable or enable accounts",
	authz.UserRole:         "only administrators can change roles",
	authz.AccountSecurity:  "your account's role is not recognised by this server; ask an administrator",
	authz.UserSecurity:     "only administrators can reset another account's second factors or end its sessions",
	authz.MeetingPasscode:  "your role cannot manage meetings",
	authz.MeetingDelete:    "your role cannot delete meetings",
	authz.MeetingAny:       "only administrators can manage meetings they do not host",
	authz.ProfileChange:    "your account's role is not recognised by this server; ask an administrator",
	authz.ConsentWithdraw:  "your account's role is not recognised by this server; ask an administrator",
	authz.SelfRequest:      "your account's role is not recognised by this server; ask an administrator",
	authz.DataRectify:      "only administrators and privacy officers can correct another account's details",
	authz.DataRestrict:     "only administrators and privacy officers can restrict an account's processing",
	authz.ServerVersion:    "only administrators can see the server's version and updates",
	authz.ChatReview:       "only administrators and privacy officers can review stored chat",
	authz.FileReview:       "only administrators and privacy officers can review shared files",
	// Every known role may reach its own recordings; these are for a role
	// this build does not know.
	authz.RecordingView:     "your account's role is not recognised by this server; ask an administrator",
	authz.RecordingDownload: "your account's role is not recognised by this server; ask an administrator",
	authz.RecordingShare:    "your account's role is not recognised by this server; ask an administrator",
	authz.RecordingDelete:   "your account's role is not recognised by this server; ask an administrator",
	authz.RecordingExport:   "your account's role is not recognised by this server; ask an administrator",
	authz.RecordingAny:      "only privacy officers can act on every recording",
}

// authorize is the HTTP API's one permission check: it returns the
// signed-in user when authz.Check lets their role perform action. Without a
// session it answers 401 and records nothing (anyone can cause those); a
// refusal answers 403 and is recorded as auditAction with outcome denied,
// so that probing is visible in the log; repeats are coalesced into a
// count (auditRefusal), so that it cannot fill the log.
func (s *server) authorize(w http.ResponseWriter, r *http.Request, action authz.Action, auditAction audit.Action) (store.User, bool) {
	u, ok := s.requireUser(w, r)
	if !ok {
		return u, false
	}
	if err := authz.Check(orgRole(u.Role), action, false); err != nil {
		s.auditRefusal(r, audit.Event{Action: auditAction, Actor: u.ID, Outcome: audit.Denied,
			Details: map[string]string{"role": string(u.Role)}})
		msg, known := forbidden[action]
		if !known {
			msg = "you are not allowed to do this"
		}
		writeError(w, http.StatusForbidden, "forbidden", msg)
		return u, false
	}
	return u, true
}
