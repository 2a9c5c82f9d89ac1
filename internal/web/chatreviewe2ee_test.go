package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/store"
)

// TestReviewOfEndToEndEncryptedChat: an end-to-end encrypted message
// (docs/e2ee.md, "Chat") reaches the officer's review and the
// participant's after-meeting chat as what it is, encrypted, with the
// note saying the server cannot read it: no text, and not the ciphertext.
func TestReviewOfEndToEndEncryptedChat(t *testing.T) {
	ce := newChatEnv(t)
	_, oc := ce.signIn(t, "officer@example.org", store.RolePrivacyOfficer)
	bo, bc := ce.signIn(t, "bo@example.org", store.RoleMember)
	ce.meeting(t, chatMeetingA, bo.ID, true)
	t0 := ce.now
	ce.record(t, t0, audit.MeetingJoinAllowed, bo.ID, "p_bo", chatMeetingA)
	const ciphertext = "opaque-bytes-from-the-browser"
	ce.chat(t, store.ChatMessage{ID: "c_1", MeetingID: chatMeetingA, SenderID: "p_bo", SenderUser: bo.ID,
		Ciphertext: []byte(ciphertext), CreatedAt: t0.Add(time.Minute)})
	ce.chat(t, store.ChatMessage{ID: "c_2", MeetingID: chatMeetingA, SenderID: "p_gus", Ciphertext: []byte(ciphertext),
		CreatedAt: t0.Add(2 * time.Minute), To: []store.ChatRecipient{{ParticipantID: "p_bo", UserID: bo.ID}}})

	for _, c := range []struct {
		who    string
		client *http.Client
		url    string
	}{
		{"officer", oc, "/api/privacy/chat?meeting=" + chatMeetingA},
		{"participant", bc, "/api/me/chat?meeting=" + chatMeetingA},
	} {
		resp := do(t, c.client, "GET", ce.srv.URL+c.url, "")
		expectStatus(t, resp, http.StatusOK)
		var list chatListResponse
		resp.json(t, &list)
		if len(list.Messages) != 2 {
			t.Fatalf("%s: %s", c.who, resp.body)
		}
		for _, m := range list.Messages {
			if !m.E2EE || m.Text != "" || m.Note != "end-to-end encrypted: the server cannot read this message" {
				t.Errorf("%s: %+v", c.who, m)
			}
		}
		if strings.Contains(string(resp.body), "opaque") {
			t.Errorf("%s: the ciphertext is given out: %s", c.who, resp.body)
		}
	}
}
