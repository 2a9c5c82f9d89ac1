package room

import (
	"errors"
	"slices"
	"testing"
)

var encrypted = Policy{HostID: "u_host", JoinBeforeHost: true, E2EE: true}

// TestE2EEKeysRelay: public keys reach everyone else, late joiners get
// those already published, a wrapped key reaches its one recipient
// stamped with its sender, and nothing relays outside an E2EE meeting or
// to someone not in it.
func TestE2EEKeysRelay(t *testing.T) {
	m := newManager(t, 0)
	a, ra := join(t, m, "m", "Ada", "u_host", encrypted)
	b, rb := join(t, m, "m", "Bob", "", encrypted)
	if !ra.welcome.Settings.E2EE || ra.welcome.Settings.Recording {
		t.Fatalf("settings %+v", ra.welcome.Settings)
	}
	if err := a.PublishE2EEKey("KA1"); err != nil {
		t.Fatal(err)
	}
	rb.waitFor(t, "pubkey "+a.ID()+" KA1")
	if ra.has("pubkey " + a.ID() + " KA1") {
		t.Fatal("a participant was sent its own key")
	}
	c, rc := join(t, m, "m", "Cy", "", encrypted)
	rc.waitFor(t, "pubkey "+a.ID()+" KA1")
	if err := b.PublishE2EEKey("KB1"); err != nil {
		t.Fatal(err)
	}
	ra.waitFor(t, "pubkey "+b.ID()+" KB1")
	rc.waitFor(t, "pubkey "+b.ID()+" KB1")

	if err := a.SendE2EEKey(b.ID(), "W-for-bob"); err != nil {
		t.Fatal(err)
	}
	rb.waitFor(t, "key from "+a.ID()+" W-for-bob")
	for _, r := range []*recorder{ra, rc} {
		if slices.ContainsFunc(r.lines(), func(l string) bool { return l == "key from "+a.ID()+" W-for-bob" }) {
			t.Fatal("a wrapped key reached someone else")
		}
	}
	for _, to := range []string{a.ID(), "p_nobody"} {
		if err := a.SendE2EEKey(to, "W"); !errors.Is(err, ErrNotFound) {
			t.Errorf("key to %s: %v, want ErrNotFound", to, err)
		}
	}
	c.Leave()
	if err := a.SendE2EEKey(c.ID(), "W"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("key to someone who left: %v", err)
	}

	plain, _ := join(t, m, "plain", "Pat", "", open)
	if err := plain.PublishE2EEKey("K"); !errors.Is(err, ErrE2EEOff) {
		t.Fatalf("pubkey in a plain meeting: %v", err)
	}
	if err := plain.SendE2EEKey("p_x", "W"); !errors.Is(err, ErrE2EEOff) {
		t.Fatalf("key in a plain meeting: %v", err)
	}
}

// TestE2EERequiredByOrganisation: the organisation's lock makes every
// meeting E2EE, marks it locked, and leaves no recording possible.
func TestE2EERequiredByOrganisation(t *testing.T) {
	m := newManager(t, 0)
	m.SetOrgPolicy(OrgPolicy{RequireE2EE: true, Recording: true})
	p := recordable // asks for recording, not for E2EE
	h, rh := join(t, m, "m", "Hana", "u_host", p)
	s := rh.welcome.Settings
	if !s.E2EE || s.Recording || !slices.Contains(s.OrgLocked, SettingE2EE) {
		t.Fatalf("settings %+v", s)
	}
	if err := h.StartRecording(RecordingInfo{ID: "r_1"}, newFakeRecorder()); !errors.Is(err, ErrRecordingE2EE) {
		t.Fatalf("recording an E2EE meeting: %v", err)
	}
}
