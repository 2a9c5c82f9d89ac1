package signal_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/files"
	"github.com/conclave-meet/conclave/internal/protocol"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testserver"
)

// e2eeChatMsg is a chat message as an E2EE client reads it.
type e2eeChatMsg struct {
	ID         string   `json:"id"`
	From       string   `json:"from"`
	To         []string `json:"to"`
	Text       string   `json:"text"`
	Ciphertext string   `json:"ciphertext"`
}

// sealed is a stand-in for what a browser seals (the server cannot tell).
func sealed(n int, fill byte) string {
	return base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{fill}, n))
}

// errorOf sends typ and returns the error that answers it (code and
// message), failing when it is accepted.
func (r *raw) errorOf(typ string, data any) (string, string) {
	r.t.Helper()
	seq := r.send(typ, data)
	for {
		m := r.next("error", "chat")
		if m.Type == "chat" {
			r.t.Fatalf("%s was accepted: %s", typ, m.Data)
		}
		var e struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Ref     int64  `json:"ref"`
		}
		_ = json.Unmarshal(m.Data, &e)
		if e.Ref == seq {
			return e.Code, e.Message
		}
	}
}

// TestChatEndToEndEncrypted: in an E2EE meeting the server takes chat
// only as ciphertext, refuses plain text with a reason that says why,
// checks the ciphertext's size and nothing else, stores it as it came
// (never as text), relays it to the same people a plain message would
// reach, gives it to late joiners in the history, and shares no files.
func TestChatEndToEndEncrypted(t *testing.T) {
	chat := &memChat{}
	m := store.Meeting{Title: "Telehealth", JoinBeforeHost: true, ScreenShare: store.ScreenShareEveryone,
		ChatHistory: true, E2EE: true}
	srv := testserver.Start(t, testserver.Options{Chat: chat, Meeting: &m})
	var rs []*raw
	for _, name := range []string{"Ada", "Bo", "Cy"} {
		r := dialAs(t, srv.WS, "")
		w := r.hello(name, testserver.Passcode, nil)
		if w.Type != "welcome" || !w.has(`"e2ee":true`) {
			t.Fatalf("%s: %s %s", name, w.Type, w.Data)
		}
		// Files would be kept readable by the server: no capability.
		if w.has("file_token") {
			t.Fatalf("%s got a file capability in an E2EE meeting: %s", name, w.Data)
		}
		rs = append(rs, r)
	}
	a, b, c := rs[0], rs[1], rs[2]

	// Plain text is refused, with the reason, and nothing is kept.
	code, why := a.errorOf("chat", map[string]any{"text": "in clear"})
	if code != "forbidden" || !strings.Contains(why, "end-to-end encrypted") || !strings.Contains(why, "ciphertext") {
		t.Fatalf("plain text in an E2EE meeting: %s %q", code, why)
	}
	for _, bad := range []map[string]any{
		{"ciphertext": "not*base64url"},
		{"ciphertext": sealed(29, 1)},                                       // shorter than a header, nonce and tag
		{"ciphertext": sealed(protocol.MaxChatCiphertext+1, 1)},             // over the limit once decoded
		{"ciphertext": sealed(40, 1) + "="},                                 // padded
		{"text": "both", "ciphertext": sealed(40, 1)},                       // text beside it
		{"ciphertext": sealed(40, 1), "to": []string{a.id, b.id, b.id}},     // the usual recipient rules
		{"ciphertext": sealed(40, 1), "to": []string{"p_0000000000000000"}}, // and they name participants
	} {
		if v := a.outcome("chat", bad); v != "bad_request" && v != "not_found" {
			t.Errorf("chat %v: %s", bad["to"], v)
		}
	}
	if n := chat.count(); n != 0 {
		t.Fatalf("%d refused messages kept", n)
	}

	// To everyone: relayed and stored exactly as sent, opaque.
	everyone := sealed(protocol.MaxChatCiphertext, 7) // the largest allowed
	a.send("chat", map[string]any{"ciphertext": everyone})
	var got e2eeChatMsg
	for _, r := range []*raw{a, b, c} {
		if err := json.Unmarshal(r.next("chat").Data, &got); err != nil || got.Ciphertext != everyone || got.Text != "" || got.From != a.id {
			t.Fatalf("%s got text %q, ciphertext of %d characters, %v", r.id, got.Text, len(got.Ciphertext), err)
		}
	}
	stored, ok := chat.get(got.ID)
	if !ok || stored.Text != "" || !stored.E2EE() || base64.RawURLEncoding.EncodeToString(stored.Ciphertext) != everyone {
		t.Fatalf("stored %q / %d bytes of ciphertext", stored.Text, len(stored.Ciphertext))
	}

	// Privately: to the sender and the recipient only.
	private := sealed(200, 9)
	a.send("chat", map[string]any{"ciphertext": private, "to": []string{b.id}})
	if err := json.Unmarshal(b.next("chat").Data, &got); err != nil || got.Ciphertext != private || !slices.Equal(got.To, []string{b.id}) {
		t.Fatalf("b got %+v, %v", got, err)
	}
	a.next("chat")
	c.send("ping", struct{}{})
	for _, m := range c.until("pong") {
		if m.Type == "chat" {
			t.Fatalf("a private message reached a third participant: %s", m.Data)
		}
	}

	// A late joiner gets the messages to everyone as ciphertext (its
	// client cannot open them: their keys predate it).
	late := dialAs(t, srv.WS, "")
	if w := late.hello("Di", testserver.Passcode, nil); w.Type != "welcome" {
		t.Fatalf("late: %s", w.Type)
	}
	var h struct {
		Messages []e2eeChatMsg `json:"messages"`
	}
	if err := json.Unmarshal(late.next("chat_history").Data, &h); err != nil {
		t.Fatal(err)
	}
	if len(h.Messages) != 1 || h.Messages[0].Ciphertext != everyone || h.Messages[0].Text != "" {
		t.Fatalf("history: %d messages", len(h.Messages))
	}

	// A file announced anyway (a capability from elsewhere) is refused.
	shared := files.Shared{ID: "f_1", Name: "notes.pdf", Size: 10, Type: "application/pdf",
		From: files.Participant{ID: a.id}, CreatedAt: time.Now()}
	if err := srv.Signal.Announce(context.Background(), testserver.MeetingID, shared); err == nil {
		t.Fatal("a file was announced in an E2EE meeting")
	}
}

// TestChatCiphertextRefusedInPlainMeeting: a meeting that is not end-to-end
// encrypted refuses ciphertext (its clients read text), saying why.
func TestChatCiphertextRefusedInPlainMeeting(t *testing.T) {
	chat := &memChat{}
	srv := testserver.Start(t, testserver.Options{Chat: chat})
	a, _, _ := trio(t, srv.WS)
	code, why := a.errorOf("chat", map[string]any{"ciphertext": sealed(40, 1)})
	if code != "forbidden" || !strings.Contains(why, "not end-to-end encrypted") {
		t.Fatalf("ciphertext in a plain meeting: %s %q", code, why)
	}
	if chat.count() != 0 {
		t.Fatal("a refused message was kept")
	}
}
