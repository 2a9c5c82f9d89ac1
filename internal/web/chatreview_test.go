package web

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/store"
)

// chatEnv is a server keeping chat, with a settable audit clock so that
// presence in a meeting (from the audit log) has known times.
type chatEnv struct {
	*testEnv
	mu  sync.Mutex
	now time.Time
}

func newChatEnv(t *testing.T) *chatEnv {
	t.Helper()
	ce := &chatEnv{now: time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)}
	ce.testEnv = newTestEnv(t, func(o *Options) {
		o.Chat = o.Store.(ChatArchive)
		o.Audit = audit.New(sqliteOf(o), audit.Options{Key: auditKey, Now: ce.clock})
	})
	return ce
}

func (ce *chatEnv) clock() time.Time {
	ce.mu.Lock()
	defer ce.mu.Unlock()
	return ce.now
}

func (ce *chatEnv) at(t time.Time) {
	ce.mu.Lock()
	defer ce.mu.Unlock()
	ce.now = t
}

// record appends what the signalling server would: actor joined (or
// left) the meeting as participant p.
func (ce *chatEnv) record(t *testing.T, at time.Time, action audit.Action, actor, p, meetingID string) {
	t.Helper()
	ce.at(at)
	if _, err := ce.opts.Audit.Append(context.Background(), audit.Event{Action: action, Actor: actor, Target: p,
		Meeting: meetingID, Outcome: audit.Success}); err != nil {
		t.Fatal(err)
	}
}

func (ce *chatEnv) meeting(t *testing.T, id, host string, after bool) {
	t.Helper()
	m := store.Meeting{ID: id, Title: "Chat " + id, Passcode: "p4dzk3m97hvt", HostID: host, CreatedAt: ce.now,
		ScreenShare: store.ScreenSharePresenters, Recurrence: store.RecurrenceNone, EndsAt: ce.now.Add(24 * time.Hour),
		ChatAfter: after}
	if err := ce.store.CreateMeeting(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

func (ce *chatEnv) chat(t *testing.T, m store.ChatMessage) {
	t.Helper()
	if m.SenderName == "" {
		m.SenderName = "Name " + m.SenderID
	}
	if err := ce.store.AddChatMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

const (
	chatMeetingA = "k3m9-x2qa-7hvt-p4dz"
	chatMeetingB = "aaaa-bbbb-cccc-dddd"
)

// TestOfficerReviewsChat: an officer reads a meeting's chat, opened, with
// senders, recipients, names, times and deletions, and a person's
// messages by ID; every look is recorded with what was asked for and the
// count.
func TestOfficerReviewsChat(t *testing.T) {
	ce := newChatEnv(t)
	officer, oc := ce.signIn(t, "officer@example.org", store.RolePrivacyOfficer)
	host, _ := ce.signIn(t, "host@example.org", store.RoleMember)
	ce.meeting(t, chatMeetingA, host.ID, false)
	t0 := ce.now
	ce.chat(t, store.ChatMessage{ID: "c_1", MeetingID: chatMeetingA, SenderID: "p_host", SenderUser: host.ID, SenderName: "Hana",
		Text: "welcome all", CreatedAt: t0})
	ce.chat(t, store.ChatMessage{ID: "c_2", MeetingID: chatMeetingA, SenderID: "p_gus", SenderName: "Gus", Text: "psst",
		CreatedAt: t0.Add(time.Second), To: []store.ChatRecipient{{ParticipantID: "p_host", UserID: host.ID}}})
	ce.chat(t, store.ChatMessage{ID: "c_3", MeetingID: chatMeetingA, SenderID: "p_gus", Text: "oops", CreatedAt: t0.Add(2 * time.Second)})
	if err := ce.store.AddSharedFile(context.Background(), store.SharedFile{ID: "f_1", MeetingID: chatMeetingA, UploaderID: "p_gus",
		Name: "agenda.pdf", Size: 321, Type: "application/pdf", Key: make([]byte, 32), Scan: store.ScanNone, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	ce.chat(t, store.ChatMessage{ID: "c_4", MeetingID: chatMeetingA, SenderID: "p_gus", Text: "agenda.pdf", CreatedAt: t0.Add(3 * time.Second),
		File: &store.ChatFile{ID: "f_1"}})
	if err := ce.store.DeleteChatMessage(context.Background(), chatMeetingA, "c_3", "p_host", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}

	resp := do(t, oc, "GET", ce.srv.URL+"/api/privacy/chat?meeting="+strings.ToUpper(chatMeetingA), "")
	expectStatus(t, resp, http.StatusOK)
	var list chatListResponse
	resp.json(t, &list)
	if len(list.Messages) != 4 {
		t.Fatalf("review %s", resp.body)
	}
	m0, m1, m2 := list.Messages[0], list.Messages[1], list.Messages[2]
	if f := list.Messages[3].File; f == nil || *f != (chatFileJSON{ID: "f_1", Size: 321, Type: "application/pdf"}) || m0.File != nil {
		t.Errorf("the shared file's message %+v", list.Messages[3])
	}
	if m0.Text != "welcome all" || m0.From.Name != "Hana" || m0.From.User != host.ID || !m0.ToEveryone || len(m0.To) != 0 {
		t.Errorf("message to everyone %+v", m0)
	}
	if m1.Text != "psst" || m1.ToEveryone || len(m1.To) != 1 || m1.To[0].ID != "p_host" || m1.To[0].User != host.ID ||
		m1.To[0].Name != "Hana" || !m1.Time.Equal(t0.Add(time.Second)) {
		t.Errorf("private message %+v", m1)
	}
	if !m2.Deleted || m2.Text != "" || m2.DeletedBy != "p_host" || m2.DeletedAt == nil {
		t.Errorf("deleted message %+v", m2)
	}
	en := ce.lastAudit(t, audit.ChatReview)
	if en.Actor != officer.ID || en.Meeting != chatMeetingA || en.Details["meeting"] != chatMeetingA || en.Details["count"] != "4" || en.Outcome != "success" {
		t.Fatalf("review recorded as %+v", en)
	}

	resp = do(t, oc, "GET", ce.srv.URL+"/api/privacy/chat?subject=p_gus", "")
	expectStatus(t, resp, http.StatusOK)
	resp.json(t, &list)
	if len(list.Messages) != 3 || list.Messages[0].ID != "c_2" {
		t.Fatalf("by subject %s", resp.body)
	}
	if en := ce.lastAudit(t, audit.ChatReview); en.Target != "p_gus" || en.Details["subject"] != "p_gus" || en.Details["count"] != "3" {
		t.Fatalf("subject review recorded as %+v", en)
	}
	for _, q := range []string{"", "?meeting=nope", "?subject=bob", "?meeting=" + chatMeetingA + "&subject=p_gus", "?subject=p_gus&x=1"} {
		expectError(t, do(t, oc, "GET", ce.srv.URL+"/api/privacy/chat"+q, ""), http.StatusBadRequest, "bad_request")
	}
}

// TestMemberCannotReviewChat: a member is refused, recorded as denied,
// and learns nothing.
func TestMemberCannotReviewChat(t *testing.T) {
	ce := newChatEnv(t)
	member, mc := ce.signIn(t, "member@example.org", store.RoleMember)
	ce.meeting(t, chatMeetingA, member.ID, true)
	ce.chat(t, store.ChatMessage{ID: "c_1", MeetingID: chatMeetingA, SenderID: "p_x", Text: "secret", CreatedAt: ce.now})
	for _, q := range []string{"?meeting=" + chatMeetingA, "?subject=p_x"} {
		resp := do(t, mc, "GET", ce.srv.URL+"/api/privacy/chat"+q, "")
		expectError(t, resp, http.StatusForbidden, "forbidden")
		if strings.Contains(string(resp.body), "secret") {
			t.Fatal("the refusal carries the chat")
		}
	}
	if en := ce.lastAudit(t, audit.ChatReview); en.Actor != member.ID || en.Outcome != "denied" || en.Details["role"] != "member" {
		t.Fatalf("refusal recorded as %+v", en)
	}
	expectError(t, do(t, ce.client(t), "GET", ce.srv.URL+"/api/privacy/chat?subject=p_x", ""), http.StatusUnauthorized, "unauthorized")
}

// TestChatAfterTheMeeting: an account reads, after a meeting with
// chat_after on, its own messages, those sent to it, and the messages to
// everyone sent while it was there; never others' private messages, nor
// a meeting it was not in, nor anything where chat_after is off.
func TestChatAfterTheMeeting(t *testing.T) {
	ce := newChatEnv(t)
	ana, ac := ce.signIn(t, "ana@example.org", store.RoleMember)
	bo, bc := ce.signIn(t, "bo@example.org", store.RoleMember)
	_, cc := ce.signIn(t, "cy@example.org", store.RoleMember)
	ce.meeting(t, chatMeetingA, bo.ID, true)
	ce.meeting(t, chatMeetingB, bo.ID, false)
	t0 := ce.now
	ce.record(t, t0, audit.MeetingJoinAllowed, bo.ID, "p_bo", chatMeetingA)
	ce.chat(t, store.ChatMessage{ID: "c_early", MeetingID: chatMeetingA, SenderID: "p_bo", SenderUser: bo.ID, Text: "before ana",
		CreatedAt: t0.Add(time.Minute)})
	// Ana waits, is admitted ten minutes in, and leaves at twenty.
	ce.record(t, t0.Add(5*time.Minute), audit.MeetingJoinAttempt, ana.ID, "p_ana", chatMeetingA)
	ce.record(t, t0.Add(10*time.Minute), audit.MeetingAdmit, bo.ID, "p_ana", chatMeetingA)
	for _, m := range []store.ChatMessage{
		{ID: "c_all", SenderID: "p_bo", SenderUser: bo.ID, Text: "hello ana", CreatedAt: t0.Add(11 * time.Minute)},
		{ID: "c_to_ana", SenderID: "p_gus", Text: "for ana", CreatedAt: t0.Add(12 * time.Minute),
			To: []store.ChatRecipient{{ParticipantID: "p_ana", UserID: ana.ID}}},
		{ID: "c_to_gus", SenderID: "p_bo", SenderUser: bo.ID, Text: "for gus only", CreatedAt: t0.Add(13 * time.Minute),
			To: []store.ChatRecipient{{ParticipantID: "p_gus"}}},
		{ID: "c_from_ana", SenderID: "p_ana", SenderUser: ana.ID, Text: "from ana", CreatedAt: t0.Add(14 * time.Minute),
			To: []store.ChatRecipient{{ParticipantID: "p_bo", UserID: bo.ID}}},
	} {
		m.MeetingID = chatMeetingA
		ce.chat(t, m)
	}
	ce.record(t, t0.Add(20*time.Minute), audit.MeetingLeave, ana.ID, "p_ana", chatMeetingA)
	ce.chat(t, store.ChatMessage{ID: "c_late", MeetingID: chatMeetingA, SenderID: "p_bo", SenderUser: bo.ID, Text: "after ana",
		CreatedAt: t0.Add(21 * time.Minute)})

	url := ce.srv.URL + "/api/me/chat?meeting=" + chatMeetingA
	resp := do(t, ac, "GET", url, "")
	expectStatus(t, resp, http.StatusOK)
	var list chatListResponse
	resp.json(t, &list)
	var ids []string
	for _, m := range list.Messages {
		ids = append(ids, m.ID)
		if m.From.User != "" || (len(m.To) > 0 && m.To[0].User != "") {
			t.Errorf("account IDs shown to a participant: %+v", m)
		}
	}
	if strings.Join(ids, ",") != "c_all,c_to_ana,c_from_ana" {
		t.Fatalf("ana reads %v: %s", ids, resp.body)
	}
	if strings.Contains(string(resp.body), "for gus only") || strings.Contains(string(resp.body), "before ana") {
		t.Fatalf("ana reads what was not hers: %s", resp.body)
	}
	// Bo was there throughout and sent or received every message but the
	// guest's private one to ana.
	resp = do(t, bc, "GET", url, "")
	expectStatus(t, resp, http.StatusOK)
	resp.json(t, &list)
	if len(list.Messages) != 5 || strings.Contains(string(resp.body), "for ana") {
		t.Fatalf("bo reads %s", resp.body)
	}

	// Cy was never in the meeting.
	expectError(t, do(t, cc, "GET", url, ""), http.StatusForbidden, "forbidden")
	if en := ce.lastAudit(t, audit.ChatReview); en.Outcome != "denied" || en.Meeting != chatMeetingA || en.Details["reason"] != "not_participant" {
		t.Fatalf("refusal recorded as %+v", en)
	}
	// Meeting B keeps no chat after the meeting, even for its host; an
	// unknown meeting is refused alike.
	ce.record(t, t0, audit.MeetingJoinAllowed, bo.ID, "p_bo2", chatMeetingB)
	ce.chat(t, store.ChatMessage{ID: "c_b", MeetingID: chatMeetingB, SenderID: "p_bo2", SenderUser: bo.ID, Text: "b", CreatedAt: t0})
	for _, id := range []string{chatMeetingB, "zzzz-zzzz-zzzz-zzzz"} {
		expectError(t, do(t, bc, "GET", ce.srv.URL+"/api/me/chat?meeting="+id, ""), http.StatusForbidden, "forbidden")
	}
	expectError(t, do(t, bc, "GET", ce.srv.URL+"/api/me/chat?meeting=nope", ""), http.StatusBadRequest, "bad_request")
	expectError(t, do(t, ce.client(t), "GET", url, ""), http.StatusUnauthorized, "unauthorized")
}

// TestChatOptionsOnMeetings: a meeting is created with chat history and
// chat after the meeting off unless asked for, and the list shows both.
func TestChatOptionsOnMeetings(t *testing.T) {
	e := newTestEnv(t)
	c := e.signedIn(t, "host@example.org")
	resp := do(t, c, "POST", e.srv.URL+"/api/meetings", `{"title":"Plain"}`)
	expectStatus(t, resp, http.StatusCreated)
	var m meetingJSON
	resp.json(t, &m)
	if m.ChatHistory || m.ChatAfter {
		t.Fatalf("chat options on by default: %s", resp.body)
	}
	resp = do(t, c, "POST", e.srv.URL+"/api/meetings", `{"title":"Kept","chat_history":true,"chat_after":true}`)
	expectStatus(t, resp, http.StatusCreated)
	resp.json(t, &m)
	stored, err := e.store.MeetingByID(context.Background(), m.ID)
	if err != nil || !m.ChatHistory || !m.ChatAfter || !stored.ChatHistory || !stored.ChatAfter {
		t.Fatalf("created %s, stored %+v %v", resp.body, stored, err)
	}
	resp = do(t, c, "GET", e.srv.URL+"/api/meetings", "")
	expectStatus(t, resp, http.StatusOK)
	if !strings.Contains(string(resp.body), `"chat_history":true,"chat_after":true`) {
		t.Fatalf("list %s", resp.body)
	}
}
