package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// meetingTests are the meeting conformance tests, run by Run.
var meetingTests = map[string]func(*testing.T, store.Store){
	"MeetingRoundTrip":       testMeetingRoundTrip,
	"MeetingPolicyRoundTrip": testMeetingPolicyRoundTrip,
	"MeetingConflictAndHost": testMeetingConflictAndHost,
	"MeetingUnknownCohost":   testMeetingUnknownCohost,
	"MeetingInvalidPolicy":   testMeetingInvalidPolicy,
	"MeetingsByHostOrder":    testMeetingsByHostOrder,
	"MeetingsByHostCohosts":  testMeetingsByHostCohosts,
	"MeetingBans":            testMeetingBans,
	"MeetingBanRefusals":     testMeetingBanRefusals,
	"MeetingSetPasscode":     testMeetingSetPasscode,
}

// meeting is an ad-hoc meeting with the default policy.
func meeting(id, host string, created time.Time) store.Meeting {
	return store.Meeting{
		ID: id, Title: "Weekly " + id, Passcode: "7hvtp4dzk3m9", HostID: host, CreatedAt: created,
		WaitingRoom: true, ScreenShare: store.ScreenSharePresenters, Recurrence: store.RecurrenceNone,
		EndsAt: created.Add(30 * 24 * time.Hour),
	}
}

func mustCreateMeeting(t *testing.T, s store.Store, m store.Meeting) {
	t.Helper()
	if err := s.CreateMeeting(context.Background(), m); err != nil {
		t.Fatalf("CreateMeeting(%s): %v", m.ID, err)
	}
}

// sameMeeting compares times with sameTime (exact instant, UTC) and every
// other field exactly. A zero StartsAt must come back zero.
func sameMeeting(t *testing.T, got, want store.Meeting) {
	t.Helper()
	sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTime(t, "EndsAt", got.EndsAt, want.EndsAt)
	if want.StartsAt.IsZero() {
		if !got.StartsAt.IsZero() {
			t.Errorf("StartsAt = %v, want zero", got.StartsAt)
		}
	} else {
		sameTime(t, "StartsAt", got.StartsAt, want.StartsAt)
	}
	got.CreatedAt, got.EndsAt, got.StartsAt = want.CreatedAt, want.EndsAt, want.StartsAt
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func testMeetingRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreateUser(t, s, user("u_1", "a@example.org", store.RoleMember, base))
	m := meeting("k3m9-x2qa-7hvt-p4dz", "u_1", base)
	mustCreateMeeting(t, s, m)
	got, err := s.MeetingByID(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameMeeting(t, got, m)
	if got.Cohosts != nil {
		t.Fatalf("no co-hosts must read back as nil, got %#v", got.Cohosts)
	}
	if _, err := s.MeetingByID(ctx, "0000-0000-0000-0000"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown meeting: %v", err)
	}
}

// testMeetingPolicyRoundTrip flips every policy field away from its default
// and names co-hosts out of sorted order, which must be kept.
func testMeetingPolicyRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, id := range []string{"u_1", "u_c", "u_a", "u_b"} {
		mustCreateUser(t, s, user(id, id+"@example.org", store.RoleMember, base))
	}
	m := meeting("k3m9-x2qa-7hvt-p4dz", "u_1", base)
	m.WaitingRoom, m.JoinBeforeHost, m.SignedInOnly = false, true, true
	m.ChatHistory, m.ChatAfter, m.Recording, m.E2EE, m.Sensitive = true, true, true, true, true
	m.Transcription = true
	m.ScreenShare, m.Recurrence, m.MaxParticipants = store.ScreenShareEveryone, store.RecurrenceWeekly, 25
	m.StartsAt = base.Add(24*time.Hour + 1)
	m.EndsAt = base.Add(90*24*time.Hour + 7)
	m.Cohosts = []string{"u_c", "u_a", "u_b"}
	mustCreateMeeting(t, s, m)
	got, err := s.MeetingByID(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameMeeting(t, got, m)
	// Recording and transcription are options of their own, each kept
	// without the other.
	m.Recurrence, m.Recording = store.RecurrenceDaily, false
	m.ID, m.Cohosts = "aaaa-bbbb-cccc-dddd", nil
	mustCreateMeeting(t, s, m)
	if got, err := s.MeetingByID(ctx, m.ID); err != nil || got.Recurrence != store.RecurrenceDaily ||
		got.Recording || !got.Transcription {
		t.Fatalf("daily, transcribed, not recorded: %+v %v", got, err)
	}
	m.Recording, m.Transcription = true, false
	m.ID = "eeee-ffff-gggg-hhhh"
	mustCreateMeeting(t, s, m)
	if got, err := s.MeetingByID(ctx, m.ID); err != nil || !got.Recording || got.Transcription {
		t.Fatalf("recorded, not transcribed: %+v %v", got, err)
	}
}

func testMeetingConflictAndHost(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreateUser(t, s, user("u_1", "a@example.org", store.RoleMember, base))
	m := meeting("k3m9-x2qa-7hvt-p4dz", "u_1", base)
	mustCreateMeeting(t, s, m)
	if err := s.CreateMeeting(ctx, m); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate meeting: %v", err)
	}
	if err := s.CreateMeeting(ctx, meeting("aaaa-bbbb-cccc-dddd", "u_ghost", base)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown host: %v, want ErrNotFound", err)
	}
}

// testMeetingUnknownCohost: the meeting and its co-hosts are stored in one
// transaction, so a bad co-host leaves no meeting behind.
func testMeetingUnknownCohost(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreateUser(t, s, user("u_1", "a@example.org", store.RoleMember, base))
	mustCreateUser(t, s, user("u_2", "b@example.org", store.RoleMember, base))
	m := meeting("k3m9-x2qa-7hvt-p4dz", "u_1", base)
	m.Cohosts = []string{"u_2", "u_ghost"}
	if err := s.CreateMeeting(ctx, m); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown co-host: %v, want ErrNotFound", err)
	}
	if _, err := s.MeetingByID(ctx, m.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("meeting stored despite the failed co-host: %v", err)
	}
	m.Cohosts = []string{"u_2"}
	mustCreateMeeting(t, s, m)
}

func testMeetingInvalidPolicy(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreateUser(t, s, user("u_1", "a@example.org", store.RoleMember, base))
	bad := map[string]func(*store.Meeting){
		"screen share":     func(m *store.Meeting) { m.ScreenShare = "nobody" },
		"empty share":      func(m *store.Meeting) { m.ScreenShare = "" },
		"recurrence":       func(m *store.Meeting) { m.Recurrence = "monthly" },
		"max participants": func(m *store.Meeting) { m.MaxParticipants = -1 },
	}
	for name, mod := range bad {
		m := meeting("k3m9-x2qa-7hvt-p4dz", "u_1", base)
		mod(&m)
		if err := s.CreateMeeting(ctx, m); err == nil {
			t.Errorf("%s accepted", name)
		}
		if _, err := s.MeetingByID(ctx, m.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: meeting stored (%v)", name, err)
		}
	}
}

func testMeetingsByHostOrder(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreateUser(t, s, user("u_1", "a@example.org", store.RoleMember, base))
	mustCreateUser(t, s, user("u_2", "b@example.org", store.RoleMember, base))
	for i, id := range []string{"aaaa-0000-0000-0001", "aaaa-0000-0000-0002", "aaaa-0000-0000-0003"} {
		mustCreateMeeting(t, s, meeting(id, "u_1", base.Add(time.Duration(i)*time.Nanosecond)))
	}
	mustCreateMeeting(t, s, meeting("bbbb-0000-0000-0001", "u_2", base))
	got, err := s.MeetingsByHost(ctx, "u_1")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range got {
		ids = append(ids, m.ID)
	}
	want := []string{"aaaa-0000-0000-0003", "aaaa-0000-0000-0002", "aaaa-0000-0000-0001"}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Fatalf("order %v, want newest first %v", ids, want)
	}
	sameMeeting(t, got[2], meeting("aaaa-0000-0000-0001", "u_1", base))
	none, err := s.MeetingsByHost(ctx, "u_nobody")
	if err != nil || len(none) != 0 {
		t.Fatalf("unknown host: %v %v", none, err)
	}
}

// testMeetingsByHostCohosts: each listed meeting carries its own co-hosts
// and nobody else's, including those of other hosts' meetings.
func testMeetingsByHostCohosts(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, id := range []string{"u_1", "u_2", "u_3"} {
		mustCreateUser(t, s, user(id, id+"@example.org", store.RoleMember, base))
	}
	cohosts := map[string][]string{
		"aaaa-0000-0000-0001": {"u_3", "u_2"},
		"aaaa-0000-0000-0002": nil,
		"aaaa-0000-0000-0003": {"u_2"},
	}
	for id, cs := range cohosts {
		m := meeting(id, "u_1", base)
		m.Cohosts = cs
		mustCreateMeeting(t, s, m)
	}
	other := meeting("bbbb-0000-0000-0001", "u_2", base)
	other.Cohosts = []string{"u_1"}
	mustCreateMeeting(t, s, other)
	got, err := s.MeetingsByHost(ctx, "u_1")
	if err != nil || len(got) != len(cohosts) {
		t.Fatalf("list: %d meetings, %v", len(got), err)
	}
	for _, m := range got {
		if !reflect.DeepEqual(m.Cohosts, cohosts[m.ID]) {
			t.Errorf("%s co-hosts %#v, want %#v", m.ID, m.Cohosts, cohosts[m.ID])
		}
	}
}

func testMeetingBans(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreateUser(t, s, user("u_1", "a@example.org", store.RoleMember, base))
	mustCreateMeeting(t, s, meeting("aaaa-0000-0000-0001", "u_1", base))
	mustCreateMeeting(t, s, meeting("aaaa-0000-0000-0002", "u_1", base))
	const device = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	for range 2 { // banning twice is fine
		if err := s.AddMeetingBan(ctx, "aaaa-0000-0000-0001", store.BanUser, "u_2", base); err != nil {
			t.Fatalf("ban user: %v", err)
		}
		if err := s.AddMeetingBan(ctx, "aaaa-0000-0000-0001", store.BanDevice, device, base); err != nil {
			t.Fatalf("ban device: %v", err)
		}
	}
	cases := []struct {
		meeting, kind, subject string
		want                   bool
	}{
		{"aaaa-0000-0000-0001", store.BanUser, "u_2", true},
		{"aaaa-0000-0000-0001", store.BanDevice, device, true},
		{"aaaa-0000-0000-0001", store.BanUser, "u_3", false},
		{"aaaa-0000-0000-0001", store.BanDevice, "u_2", false}, // kinds do not mix
		{"aaaa-0000-0000-0002", store.BanUser, "u_2", false},   // per meeting
		{"aaaa-0000-0000-0009", store.BanUser, "u_2", false},   // unknown meeting
		{"aaaa-0000-0000-0001", store.BanUser, "U_2", false},   // exact match
	}
	for _, c := range cases {
		got, err := s.MeetingBanned(ctx, c.meeting, c.kind, c.subject)
		if err != nil || got != c.want {
			t.Errorf("MeetingBanned(%s, %s, %.8s) = %v, %v; want %v", c.meeting, c.kind, c.subject, got, err, c.want)
		}
	}
}

func testMeetingBanRefusals(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreateUser(t, s, user("u_1", "a@example.org", store.RoleMember, base))
	mustCreateMeeting(t, s, meeting("aaaa-0000-0000-0001", "u_1", base))
	if err := s.AddMeetingBan(ctx, "aaaa-0000-0000-0009", store.BanUser, "u_2", base); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ban in unknown meeting: %v, want ErrNotFound", err)
	}
	if err := s.AddMeetingBan(ctx, "aaaa-0000-0000-0001", "address", "u_2", base); err == nil {
		t.Error("unknown ban kind accepted")
	}
	if err := s.AddMeetingBan(ctx, "aaaa-0000-0000-0001", store.BanUser, "", base); err == nil {
		t.Error("empty ban subject accepted")
	}
	if _, err := s.MeetingBanned(ctx, "aaaa-0000-0000-0001", "address", "u_2"); err == nil {
		t.Error("MeetingBanned with unknown kind must fail")
	}
}
