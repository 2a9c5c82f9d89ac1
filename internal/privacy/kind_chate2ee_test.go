package privacy

import (
	"context"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
)

// TestChatKindExportMarksEndToEnd: an end-to-end encrypted message is
// exported marked so, with a note instead of a text, and without its
// ciphertext (of no use without the browsers' keys).
func TestChatKindExportMarksEndToEnd(t *testing.T) {
	w, at := chatWorld(t)
	must(t, w.st.AddChatMessage(context.Background(), store.ChatMessage{ID: "c_e", MeetingID: "m-1", SenderID: "p_alice",
		SenderUser: "u_alice", SenderName: "Alice", Ciphertext: []byte("sealed-by-the-browser"), CreatedAt: at}))
	out := exportJSON(t, ChatKind{Store: w.st}, "u_alice")
	if !strings.Contains(out, `"id":"c_e"`) || !strings.Contains(out, `"e2ee":true`) ||
		!strings.Contains(out, `"note":"end-to-end encrypted: the server cannot read this message"`) {
		t.Fatalf("export: %s", out)
	}
	if strings.Contains(out, "sealed-by-the-browser") {
		t.Fatalf("the ciphertext is exported: %s", out)
	}
}
