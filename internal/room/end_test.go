package room

import "testing"

// TestManagerEndMeeting: deleting a meeting ends it for everyone, waiting
// or admitted, and only that meeting; a meeting that is not live is left
// alone.
func TestManagerEndMeeting(t *testing.T) {
	m := newManager(t, 0)
	_, rh := join(t, m, "m", "Hana", "u_host", guarded)
	_, rw := join(t, m, "m", "W", "", guarded)
	_, ro := join(t, m, "other", "Olga", "u_other", guarded)
	if !m.EndMeeting("m") {
		t.Fatal("live meeting not ended")
	}
	if !rh.has("ended meeting_ended") || !rw.has("ended meeting_ended") || ro.has("ended meeting_ended") {
		t.Fatalf("after end: %v / %v / %v", rh.lines(), rw.lines(), ro.lines())
	}
	if rooms, _ := m.Count(); rooms != 1 {
		t.Fatalf("%d rooms live, want the other meeting only", rooms)
	}
	if m.EndMeeting("m") || m.EndMeeting("never") {
		t.Fatal("ended a meeting that was not live")
	}
}
