package retention

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
)

// TestSweepExpiresChat: the sweeper gives the chat_message kind the
// configured chat period (retention_chat, 30 days by default) and a
// meeting's own chat period where its host set one.
func TestSweepExpiresChat(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateUser(ctx, store.User{ID: "u_h", Email: "h@example.org", Name: "H", Role: store.RoleMember, PasswordHash: "h", CreatedAt: now}))
	for _, id := range []string{"aaaa-aaaa-aaaa-aaaa", "bbbb-bbbb-bbbb-bbbb"} {
		must(st.CreateMeeting(ctx, store.Meeting{ID: id, Title: "T", Passcode: "p", HostID: "u_h", CreatedAt: ago(60 * 24 * time.Hour),
			ScreenShare: store.ScreenSharePresenters, Recurrence: store.RecurrenceNone, EndsAt: now.Add(time.Hour)}))
	}
	// Meeting b keeps its chat two days.
	must(st.SetMeetingRetention(ctx, "bbbb-bbbb-bbbb-bbbb", map[string]time.Duration{"chat": 48 * time.Hour}))
	for _, m := range []store.ChatMessage{
		{ID: "c_a_old", MeetingID: "aaaa-aaaa-aaaa-aaaa", CreatedAt: ago(31 * 24 * time.Hour)},
		{ID: "c_a_new", MeetingID: "aaaa-aaaa-aaaa-aaaa", CreatedAt: ago(10 * 24 * time.Hour)},
		{ID: "c_b_old", MeetingID: "bbbb-bbbb-bbbb-bbbb", CreatedAt: ago(3 * 24 * time.Hour)},
		{ID: "c_b_new", MeetingID: "bbbb-bbbb-bbbb-bbbb", CreatedAt: ago(24 * time.Hour)},
	} {
		m.SenderID, m.SenderName, m.Text = "p_x", "X", "text"
		must(st.AddChatMessage(ctx, m))
	}
	reg := privacy.NewRegistry()
	must(reg.Register(privacy.ChatKind{Store: st}))
	log := audit.New(st, audit.Options{Key: []byte("k"), Now: func() time.Time { return now }})
	s := &Sweeper{Registry: reg, Policy: FromConfig(config.DefaultPrivacy()), Overrides: st, Audit: log,
		Now: func() time.Time { return now }}
	res, err := s.Sweep(ctx)
	if err != nil || res.Deleted[privacy.CatChat] != 2 {
		t.Fatalf("sweep %+v %v", res, err)
	}
	for meeting, want := range map[string]string{"aaaa-aaaa-aaaa-aaaa": "c_a_new", "bbbb-bbbb-bbbb-bbbb": "c_b_new"} {
		left, err := st.ChatMessagesOfMeeting(ctx, meeting)
		if err != nil || len(left) != 1 || left[0].ID != want {
			t.Fatalf("%s keeps %+v %v, want %s", meeting, left, err, want)
		}
	}
	if es := sweepEntries(t, log); len(es) != 1 || es[0].Details["chat"] != "2" {
		t.Fatalf("sweep recorded as %+v", es)
	}
}
