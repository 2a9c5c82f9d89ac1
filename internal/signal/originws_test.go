package signal_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/conclave-meet/conclave/internal/testserver"
)

// A page on https://host must not open a signalling socket on the
// http://host server, nor one on another port: the handshake is refused
// before any protocol message.
func TestWebsocketOriginComparesSchemeAndPort(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	hostPort := strings.TrimSuffix(strings.TrimPrefix(srv.WS, "ws://"), "/ws")
	for origin, want := range map[string]bool{
		"http://" + hostPort:       true,
		"https://" + hostPort:      false,
		"http://" + hostPort + "0": false,
		"HTTP://" + hostPort:       true,
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ws, resp, err := websocket.Dial(ctx, srv.WS, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {origin}}})
		cancel()
		if ws != nil {
			ws.CloseNow()
		}
		if got := err == nil; got != want {
			t.Errorf("Origin %s: accepted %v, want %v (err %v)", origin, got, want, err)
		}
		if !want && (resp == nil || resp.StatusCode != http.StatusForbidden) {
			t.Errorf("Origin %s: refused without 403: %v", origin, resp)
		}
	}
}
