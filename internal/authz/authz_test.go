package authz

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	cases := []struct {
		role   Role
		action Action
		open   bool
		ok     bool
	}{
		{Host, MeetingEnd, false, true},
		{Cohost, MeetingEnd, false, false},
		{Cohost, SetCohost, false, false},
		{Cohost, SetPresenter, false, true},
		{Presenter, ScreenShare, false, true},
		{Attendee, ScreenShare, false, false},
		{Attendee, ScreenShare, true, true},
		{Guest, ScreenShare, true, true},
		{Waiting, ScreenShare, true, false},
		{Waiting, Media, false, false},
		{Waiting, Leave, false, true},
		{Guest, ChatSend, false, false},
		{Guest, ChatSend, true, true},
		{Host, ChatSend, false, true},
		{Attendee, LobbyDecide, false, false},
		{Member, AuditView, false, false},
		{PrivacyOfficer, AuditView, false, true},
		{Anonymous, MeetingCreate, false, false},
		{Admin, Action("no.such"), false, false},
		{Anonymous, MeetingPasscode, false, false},
		{Anonymous, MeetingDelete, false, false},
		{Member, MeetingPasscode, false, true},
		{Member, MeetingAny, false, false},
		{PrivacyOfficer, MeetingAny, false, false},
		{Admin, MeetingAny, false, true},
		{Member, PasswordChange, false, true},
		{Anonymous, PasswordChange, false, false},
		{Member, UserList, false, false},
		{Member, UserAccess, false, false},
		{Member, UserRole, false, false},
		{PrivacyOfficer, UserAccess, false, false},
		{PrivacyOfficer, UserRole, false, false},
		{Admin, UserAccess, false, true},
		{Admin, UserRole, false, true},
		{Admin, ServerVersion, false, true},
		{PrivacyOfficer, ServerVersion, false, false},
		{Member, ServerVersion, false, false},
		{Anonymous, ServerVersion, false, false},
		{Role("root"), Leave, false, false},
		{Member, ProfileChange, false, true},
		{Anonymous, ProfileChange, false, false},
		{Member, ConsentWithdraw, false, true},
		{Anonymous, ConsentWithdraw, false, false},
		{Member, SelfRequest, false, true},
		{Anonymous, SelfRequest, false, false},
		{Member, DataRectify, false, false},
		{Anonymous, DataRectify, false, false},
		{PrivacyOfficer, DataRectify, false, true},
		{Admin, DataRectify, false, true},
		{Member, DataRestrict, false, false},
		{PrivacyOfficer, DataRestrict, false, true},
		{Admin, DataRestrict, false, true},
		// Recording: hosts and co-hosts start and stop, nobody else, not
		// even when the meeting is open.
		{Host, RecordingStart, false, true},
		{Cohost, RecordingStart, false, true},
		{Presenter, RecordingStart, true, false},
		{Attendee, RecordingStart, true, false},
		{Guest, RecordingStart, true, false},
		{Waiting, RecordingStart, true, false},
		// Transcription: the same; captions: everyone admitted, nobody
		// waiting.
		{Host, TranscriptionStart, false, true},
		{Cohost, TranscriptionStart, false, true},
		{Presenter, TranscriptionStart, true, false},
		{Attendee, TranscriptionStart, true, false},
		{Guest, TranscriptionStart, true, false},
		{Waiting, TranscriptionStart, true, false},
		{Guest, Captions, false, true},
		{Attendee, Captions, false, true},
		{Waiting, Captions, true, false},
		{Member, Captions, false, false},
		// Remote control: asking only where opened (org, meeting, roles),
		// for every admitted role, never from the waiting room; answering
		// for one's own screen always; revoking: hosts and co-hosts.
		{Host, RemoteRequest, false, false},
		{Host, RemoteRequest, true, true},
		{Cohost, RemoteRequest, true, true},
		{Presenter, RemoteRequest, true, true},
		{Attendee, RemoteRequest, false, false},
		{Attendee, RemoteRequest, true, true},
		{Guest, RemoteRequest, false, false},
		{Guest, RemoteRequest, true, true},
		{Waiting, RemoteRequest, true, false},
		{Member, RemoteRequest, true, false},
		{Guest, RemoteGrant, false, true},
		{Attendee, RemoteGrant, false, true},
		{Waiting, RemoteGrant, true, false},
		{Host, RemoteRevoke, false, true},
		{Cohost, RemoteRevoke, false, true},
		{Presenter, RemoteRevoke, true, false},
		{Attendee, RemoteRevoke, true, false},
		{Guest, RemoteRevoke, true, false},
		{Waiting, RemoteRevoke, true, false},
		// Recordings over HTTP: no session, nothing; a member reaches only
		// the recordings it hosts or was given (checked by package
		// recordings); only privacy officers reach every recording.
		{Anonymous, RecordingView, false, false},
		{Anonymous, RecordingDownload, false, false},
		{Anonymous, RecordingShare, false, false},
		{Anonymous, RecordingDelete, false, false},
		{Anonymous, RecordingExport, false, false},
		{Anonymous, RecordingAny, false, false},
		{Member, RecordingView, false, true},
		{Member, RecordingAny, false, false},
		{Admin, RecordingAny, false, false},
		{PrivacyOfficer, RecordingAny, false, true},
		{Role("root"), RecordingView, false, false},
	}
	for _, c := range cases {
		err := Check(c.role, c.action, c.open)
		if (err == nil) != c.ok {
			t.Errorf("Check(%s, %s, open=%v) = %v, want allowed=%v", c.role, c.action, c.open, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrForbidden) {
			t.Errorf("Check(%s, %s): %v is not ErrForbidden", c.role, c.action, err)
		}
	}
}

func TestOutranks(t *testing.T) {
	if !Outranks(Host, Cohost) || !Outranks(Cohost, Presenter) || !Outranks(Cohost, Guest) {
		t.Error("host must outrank co-host, co-host the rest")
	}
	if Outranks(Cohost, Cohost) || Outranks(Cohost, Host) || Outranks(Presenter, Guest) {
		t.Error("co-hosts must not act on co-hosts or the host; presenters on nobody")
	}
}

// Every action is listed once and every listed role appears in the docs.
func TestTableComplete(t *testing.T) {
	seen := map[Action]bool{}
	for _, a := range append(append([]Action{}, MeetingActions...), OrgActions...) {
		if seen[a] {
			t.Errorf("%s listed twice", a)
		}
		seen[a] = true
		if _, ok := Table[a]; !ok {
			t.Errorf("%s listed but has no row", a)
		}
	}
	for a := range Table {
		if !seen[a] {
			t.Errorf("row %s is not listed (and so not documented)", a)
		}
	}
	for _, a := range OrgActions {
		for r := range Table[a] {
			if !contains(OrgRoles, r) {
				t.Errorf("org action %s names meeting role %s", a, r)
			}
		}
	}
	for _, a := range MeetingActions {
		for r := range Table[a] {
			if !contains(MeetingRoles, r) {
				t.Errorf("meeting action %s names org role %s", a, r)
			}
		}
	}
}

// docs/security.md must show the table the code enforces.
func TestDocsMatchTable(t *testing.T) {
	doc, err := os.ReadFile("../../docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), Markdown()) {
		t.Errorf("docs/security.md does not contain the permission table; paste this:\n%s", Markdown())
	}
}

func contains(rs []Role, r Role) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}
