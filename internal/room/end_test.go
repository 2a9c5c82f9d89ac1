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

// TestManagerMoveMeeting: a meeting whose lease another node took is
// ended here with "moved", for everyone, and no longer live here.
func TestManagerMoveMeeting(t *testing.T) {
	m := newManager(t, 0)
	_, rh := join(t, m, "m", "Hana", "u_host", guarded)
	_, rw := join(t, m, "m", "W", "", guarded)
	if !m.Live("m") || m.Live("other") {
		t.Fatal("Live does not report the live meeting alone")
	}
	if !m.MoveMeeting("m") {
		t.Fatal("live meeting not moved")
	}
	if !rh.has("ended moved") || !rw.has("ended moved") {
		t.Fatalf("after move: %v / %v", rh.lines(), rw.lines())
	}
	if m.Live("m") || m.MoveMeeting("m") {
		t.Fatal("a moved meeting is still live here")
	}
}

// TestDisconnectUser: a disabled account's participants are ended in every
// meeting, waiting or admitted; guests and other accounts stay.
func TestDisconnectUser(t *testing.T) {
	m := newManager(t, 0)
	_, rh := join(t, m, "m", "Hana", "u_host", guarded)
	_, rw := join(t, m, "m", "Ari", "u_ari", guarded) // waits for the host's admission
	_, rg := join(t, m, "m", "Guest", "", guarded)
	_, ro := join(t, m, "other", "Ari again", "u_ari", open)
	if n := m.DisconnectUser("u_ari", ReasonAccountDisabled); n != 2 {
		t.Fatalf("disconnected %d, want 2 (waiting in one meeting, admitted in another)", n)
	}
	if !rw.has("ended account_disabled") || !ro.has("ended account_disabled") {
		t.Fatalf("the disabled account was not told: %v / %v", rw.lines(), ro.lines())
	}
	if rh.has("ended account_disabled") || rg.has("ended account_disabled") {
		t.Fatalf("others were ended: %v / %v", rh.lines(), rg.lines())
	}
	if m.DisconnectUser("", ReasonAccountDisabled) != 0 {
		t.Fatal("guests matched an empty account")
	}
}
