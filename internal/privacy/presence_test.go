package privacy

import (
	"context"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

type auditList []store.AuditEntry

func (l auditList) AuditEntries(_ context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	var out []store.AuditEntry
	for _, e := range l {
		if e.Meeting == f.Meeting {
			out = append(out, e)
		}
	}
	return out, nil
}

// TestAccountPresence: a direct entry, an admission from the waiting
// room, and a wait that ended without an admission entry (let in when a
// host arrived) each open a stretch, closed by the leave; others'
// entries and other meetings do not count.
func TestAccountPresence(t *testing.T) {
	t0 := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	e := func(m int, action, actor, target string) store.AuditEntry {
		return store.AuditEntry{Time: at(m), Action: action, Actor: actor, Target: target, Meeting: "m"}
	}
	log := auditList{
		e(0, "meeting.join.allowed", "u_a", "p_1"),
		e(5, "meeting.leave", "u_a", "p_1"),
		e(10, "meeting.join.attempt", "u_a", "p_2"),
		e(12, "meeting.admit", "u_host", "p_2"),
		e(15, "meeting.leave", "u_a", "p_2"),
		e(20, "meeting.join.attempt", "u_a", "p_3"),
		e(21, "meeting.join.allowed", "u_b", "p_4"),
		{Time: at(30), Action: "meeting.join.allowed", Actor: "u_a", Target: "p_5", Meeting: "other"},
	}
	got, err := AccountPresence(context.Background(), log, "m", "u_a")
	if err != nil {
		t.Fatal(err)
	}
	want := []Presence{
		{Participant: "p_1", From: at(0).Add(-presenceSlack), To: at(5)},
		{Participant: "p_2", From: at(12).Add(-presenceSlack), To: at(15)},
		{Participant: "p_3", From: at(20).Add(-presenceSlack)},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("stretch %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if !got[0].Contains(at(5)) || got[0].Contains(at(6)) || got[1].Contains(at(11)) || !got[2].Contains(at(999)) {
		t.Errorf("Contains disagrees with the stretches %+v", got)
	}
	if none, _ := AccountPresence(context.Background(), log, "m", ""); len(none) != 0 {
		t.Errorf("an empty account matched %+v", none)
	}
}
