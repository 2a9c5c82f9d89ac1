package room

import (
	"errors"
	"slices"
	"testing"

	"github.com/conclave-meet/conclave/internal/authz"
)

// TestOrgLockDown: the organisation's locks hold from the meeting's start
// and no host changes them; settings left unlocked stay the host's.
func TestOrgLockDown(t *testing.T) {
	m := newManager(t, 0)
	m.SetOrgPolicy(OrgPolicy{ScreenShare: true, ChatOff: true, PrivateChatOff: true, ChatPresenters: true})
	// The meeting itself asks for everyone sharing: the lock wins.
	h, rh := join(t, m, "m", "Hana", "u_host", Policy{HostID: "u_host", JoinBeforeHost: true, ScreenShareEveryone: true})
	g, _ := join(t, m, "m", "Gus", "", hosted)

	rh.mu.Lock()
	s := rh.welcome.Settings
	rh.mu.Unlock()
	want := []string{SettingScreenShare, SettingChat, SettingPrivateChat, SettingChatWriters}
	if s.ScreenShare != sharePresenters || s.Chat || s.PrivateChat || s.ChatWriters != ChatWritersPresenters ||
		!slices.Equal(s.OrgLocked, want) {
		t.Fatalf("start settings %+v", s)
	}

	on, off := true, false
	for _, ch := range []SettingsChange{
		{ScreenShare: shareEveryone},
		{Chat: &on},
		{PrivateChat: &on},
		{ChatWriters: ChatWritersEveryone},
		{Chat: &off, ScreenShare: shareEveryone}, // one locked field refuses the whole change
	} {
		if err := h.UpdateSettings(ch); !errors.Is(err, ErrLockedByOrg) {
			t.Errorf("host changes %+v: %v, want ErrLockedByOrg", ch, err)
		}
	}
	// Asking for the locked value is no change.
	if err := h.UpdateSettings(SettingsChange{Chat: &off, ScreenShare: sharePresenters}); err != nil {
		t.Fatalf("locked value again: %v", err)
	}
	// A participant is still refused by the table first.
	if err := g.UpdateSettings(SettingsChange{ScreenShare: shareEveryone}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("guest changes settings: %v", err)
	}
	if err := g.SetMediaState(false, false, true); !errors.Is(err, ErrForbidden) {
		t.Fatalf("guest shares under the lock: %v", err)
	}
	if err := sendChat(g, "hi"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("guest chats with chat locked off: %v", err)
	}
	if err := sendChat(h, "hosts still write", g.ID()); err != nil {
		t.Fatalf("host refused: %v", err)
	}
	// The meeting lock is not the organisation's.
	if err := h.SetLocked(true); err != nil {
		t.Fatal(err)
	}
	if err := h.SetRole(g.ID(), authz.Presenter); err != nil {
		t.Fatal(err)
	}
	if err := g.SetMediaState(false, false, true); err != nil {
		t.Fatalf("presenter shares under the lock: %v", err)
	}
}

// TestOrgLockPartial: only the locked settings are fixed.
func TestOrgLockPartial(t *testing.T) {
	m := newManager(t, 0)
	m.SetOrgPolicy(OrgPolicy{ChatPresenters: true})
	h, rh := join(t, m, "m", "Hana", "u_host", hosted)
	g, _ := join(t, m, "m", "Gus", "", hosted)
	rh.mu.Lock()
	s := rh.welcome.Settings
	rh.mu.Unlock()
	if !s.Chat || !s.PrivateChat || s.ChatWriters != ChatWritersPresenters || !slices.Equal(s.OrgLocked, []string{SettingChatWriters}) {
		t.Fatalf("start settings %+v", s)
	}
	if err := h.UpdateSettings(SettingsChange{ChatWriters: ChatWritersEveryone}); !errors.Is(err, ErrLockedByOrg) {
		t.Fatalf("chat_writers everyone: %v", err)
	}
	if err := sendChat(g, "hi"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("guest chats with presenters-only chat: %v", err)
	}
	off := false
	if err := h.UpdateSettings(SettingsChange{ScreenShare: shareEveryone, Chat: &off}); err != nil {
		t.Fatalf("unlocked settings: %v", err)
	}
	if err := g.SetMediaState(false, false, true); err != nil {
		t.Fatalf("everyone may share: %v", err)
	}
	// A manager without a policy locks nothing.
	m2 := newManager(t, 0)
	_, r2 := join(t, m2, "m", "Hana", "u_host", hosted)
	r2.mu.Lock()
	defer r2.mu.Unlock()
	if r2.welcome.Settings.OrgLocked != nil {
		t.Fatalf("no policy, locked %v", r2.welcome.Settings.OrgLocked)
	}
}
