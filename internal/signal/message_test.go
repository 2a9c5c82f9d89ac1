package signal

import (
	"reflect"
	"testing"

	"github.com/conclave-meet/conclave/internal/protocol"
	"github.com/conclave-meet/conclave/internal/room"
)

// TestHandlersMatchProtocol keeps the handler table and the one protocol
// definition in step: every client message has a handler taking exactly
// its payload type, and nothing else has one. (Parsing, validation and
// their fuzzing live in package protocol.)
func TestHandlersMatchProtocol(t *testing.T) {
	seen := map[string]bool{}
	for _, spec := range protocol.Messages() {
		if spec.Dir != protocol.ClientToServer {
			continue
		}
		seen[spec.Type] = true
		hd, ok := handlers[spec.Type]
		if !ok {
			t.Errorf("client message %q has no handler", spec.Type)
			continue
		}
		if want := reflect.TypeOf(spec.New()).Elem(); hd.payload != want {
			t.Errorf("handler of %q takes %v, the protocol defines %v", spec.Type, hd.payload, want)
		}
	}
	for typ := range handlers {
		if !seen[typ] {
			t.Errorf("handler for %q, which the protocol does not define", typ)
		}
	}
}

// TestRoomReasonsAreWireReasons: the reasons the room ends a member with
// and the waiting reasons travel as they are, so each must be one the
// protocol defines.
func TestRoomReasonsAreWireReasons(t *testing.T) {
	byes := map[string]bool{}
	for _, r := range protocol.ByeReasons() {
		byes[r] = true
	}
	for _, r := range []string{room.ReasonLeft, room.ReasonServerShutdown, room.ReasonMeetingEnded, room.ReasonDenied,
		room.ReasonRemoved, room.ReasonBanned, room.ReasonAccountDisabled, room.ReasonMoved} {
		if !byes[r] {
			t.Errorf("room reason %q is not a protocol bye reason", r)
		}
	}
	for _, r := range []string{room.WaitHostAbsent, room.WaitWaitingRoom} {
		if err := protocol.Validate(&protocol.Waiting{Reason: r}); err != nil {
			t.Errorf("waiting reason %q: %v", r, err)
		}
	}
}

func TestCleanName(t *testing.T) {
	good := map[string]string{"  Ada ": "Ada", "Zoë Ş": "Zoë Ş", "李小龍": "李小龍"}
	for in, want := range good {
		if got, err := cleanName(in); err != nil || got != want {
			t.Errorf("cleanName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "   ", "a\nb", "a\u202eb", string(make([]rune, 65))} {
		if _, err := cleanName(bad); err == nil {
			t.Errorf("cleanName(%q) accepted", bad)
		}
	}
}
