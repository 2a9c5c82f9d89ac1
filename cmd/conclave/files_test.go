package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/client"
	"github.com/conclave-meet/conclave/internal/eventually"
)

// TestFilesThroughTheRealServer runs the server with its file routes
// wired to signalling: a guest shares a file privately; it is announced
// in the chat to its recipient only, who downloads exactly what was sent,
// while the third participant's capability does not reach it; a
// participant who left cannot use their capability any more. Guests get
// their one-time proof for data-subject requests.
func TestFilesThroughTheRealServer(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	srv := startServe(t, dir)
	defer srv.stop()
	host := jarClient(t)
	post(t, host, srv.base+"/api/setup", `{"token":"`+srv.token+`","email":"host@example.org","name":"Host","password":"`+testPassword+`"}`, http.StatusCreated)
	var m struct{ ID, Passcode string }
	body := post(t, host, srv.base+"/api/meetings", `{"title":"Files","waiting_room":false,"join_before_host":true}`, http.StatusCreated)
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws := "ws" + strings.TrimPrefix(srv.base, "http") + "/ws"
	type seen struct{ chats, proofs chan string }
	dial := func(name string) (*client.Client, seen) {
		s := seen{make(chan string, 8), make(chan string, 2)}
		c, err := client.Dial(ctx, ws, client.Hello{MeetingID: m.ID, Passcode: m.Passcode, Name: name, NoticeVersion: 1},
			client.Options{OnMessage: func(typ string, data json.RawMessage) {
				switch typ {
				case "chat":
					s.chats <- string(data)
				case "guest_proof":
					s.proofs <- string(data)
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		return c, s
	}
	a, _ := dial("Ada")
	b, bSeen := dial("Bo")
	defer b.Close()
	c, cSeen := dial("Cy")
	defer c.Close()
	select {
	case p := <-bSeen.proofs:
		if !strings.Contains(p, b.ID()) {
			t.Fatalf("guest proof %s is not Bo's", p)
		}
	case <-ctx.Done():
		t.Fatal("a guest got no proof")
	}

	content := []byte("minutes of the meeting, for Bo only\n")
	files := srv.base + "/api/meetings/" + m.ID + "/files"
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost,
		files+"?name=minutes.txt&to="+url.QueryEscape(b.ID()), bytes.NewReader(content))
	req.Header.Set("Authorization", "Bearer "+a.Welcome.FileToken)
	req.Header.Set("Origin", srv.base)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var up struct{ ID, Name, Type string }
	_ = json.NewDecoder(res.Body).Decode(&up)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || up.ID == "" || up.Type != "text/plain" {
		t.Fatalf("upload: %d %+v", res.StatusCode, up)
	}
	select {
	case msg := <-bSeen.chats:
		if !strings.Contains(msg, up.ID) || !strings.Contains(msg, "minutes.txt") {
			t.Fatalf("announcement %s", msg)
		}
	case <-ctx.Done():
		t.Fatal("the recipient was not told")
	}
	download := func(token string) (int, []byte) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, files+"/"+up.ID, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	if code, got := download(b.Welcome.FileToken); code != http.StatusOK || !bytes.Equal(got, content) {
		t.Fatalf("recipient's download: %d %q", code, got)
	}
	if code, _ := download(c.Welcome.FileToken); code != http.StatusNotFound {
		t.Fatalf("a non-recipient's download answered %d", code)
	}
	select {
	case msg := <-cSeen.chats:
		t.Fatalf("the third participant was told: %s", msg)
	default:
	}
	// The administrator reviews the meeting's files for a subject request
	// and downloads the content; a member may not; both looks are
	// recorded.
	status := func(c *http.Client, u string) (int, []byte) {
		res, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	if code, list := status(host, srv.base+"/api/privacy/files?meeting="+m.ID); code != http.StatusOK ||
		!strings.Contains(string(list), up.ID) || !strings.Contains(string(list), `"scanned":false`) {
		t.Fatalf("officer's file review: %d %s", code, list)
	}
	if code, got := status(host, srv.base+"/api/privacy/files/"+m.ID+"/"+up.ID); code != http.StatusOK || !bytes.Equal(got, content) {
		t.Fatalf("officer's download: %d %q", code, got)
	}
	addMember(t, dir, "member@example.org")
	member := jarClient(t)
	post(t, member, srv.base+"/api/login", `{"email":"member@example.org","password":"`+testPassword+`"}`, http.StatusOK)
	if code, _ := status(member, srv.base+"/api/privacy/files?meeting="+m.ID); code != http.StatusForbidden {
		t.Fatalf("a member's file review answered %d", code)
	}
	if code, _ := status(member, srv.base+"/api/privacy/files/"+m.ID+"/"+up.ID); code != http.StatusForbidden {
		t.Fatalf("a member's download answered %d", code)
	}

	a.Close() // leaves: the capability dies with the presence
	eventually.True(t, "the uploader's capability to stop working", func() bool {
		code, _ := download(a.Welcome.FileToken)
		return code == http.StatusUnauthorized
	})
}
