package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/client"
)

// chatSecret is chat text distinctive enough that finding it in a file
// can only mean it was stored in plain text.
const chatSecret = "Xylographic owl-heron sortie, Tuesday"

// TestChatKeptSealedReadAfter runs the server: a signed-in host and a
// guest chat in a meeting kept for reading afterwards; the messages are
// stored before they are delivered, sealed (the data directory never holds
// the text), and the host reads what they were part of through the API,
// which finds their presence in the audit log the signalling server
// wrote; the guest's private message to someone else is not among it.
func TestChatKeptSealedReadAfter(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	srv := startServe(t, dir)
	defer srv.stop()
	host := jarClient(t)
	post(t, host, srv.base+"/api/setup", `{"token":"`+srv.token+`","email":"host@example.org","name":"Host","password":"`+testPassword+`"}`, http.StatusCreated)
	var m struct{ ID, Passcode string }
	body := post(t, host, srv.base+"/api/meetings", `{"title":"Kept chat","waiting_room":false,"join_before_host":true,"chat_after":true}`, http.StatusCreated)
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	cookie := ""
	for _, c := range host.Jar.Cookies(mustURL(t, srv.base)) {
		cookie = c.Name + "=" + c.Value
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws := "ws" + strings.TrimPrefix(srv.base, "http") + "/ws"
	got := make(chan string, 8)
	hc, err := client.Dial(ctx, ws, client.Hello{MeetingID: m.ID, Passcode: m.Passcode, Name: "Host", NoticeVersion: 1},
		client.Options{Header: http.Header{"Cookie": {cookie}}, OnMessage: func(typ string, data json.RawMessage) {
			if typ == "chat" {
				got <- string(data)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	guest, err := client.Dial(ctx, ws, client.Hello{MeetingID: m.ID, Passcode: m.Passcode, Name: "Guest", NoticeVersion: 1}, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer guest.Close()
	third, err := client.Dial(ctx, ws, client.Hello{MeetingID: m.ID, Passcode: m.Passcode, Name: "Third", NoticeVersion: 1}, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	if err := guest.Send(ctx, "chat", map[string]any{"text": chatSecret}); err != nil {
		t.Fatal(err)
	}
	if err := guest.Send(ctx, "chat", map[string]any{"text": "for the third only", "to": []string{third.ID()}}); err != nil {
		t.Fatal(err)
	}
	if err := guest.Send(ctx, "chat", map[string]any{"text": "for the host", "to": []string{hc.ID()}}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the host's two: to everyone and to them
		select {
		case <-got:
		case <-ctx.Done():
			t.Fatal("the chat did not reach the host")
		}
	}
	defer hc.Close()

	resp, err := host.Get(srv.base + "/api/me/chat?meeting=" + m.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), chatSecret) || !strings.Contains(string(b), "for the host") ||
		strings.Contains(string(b), "for the third only") {
		t.Fatalf("the host's chat after the meeting: %d %s", resp.StatusCode, b)
	}
	scanDataDir(t, dir, chatSecret, "for the third only")
}
