package meeting

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

const day = 24 * time.Hour

func boolPtr(b bool) *bool { return &b }

// addUsers creates members u_1..u_n to name as co-hosts.
func addUsers(t *testing.T, s *Service, n int) []string {
	t.Helper()
	var ids []string
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("u_%d", i)
		u := store.User{ID: id, Email: id + "@example.org", Name: id, Role: store.RoleMember, PasswordHash: "x", CreatedAt: t0}
		if err := s.Store.(store.Store).CreateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func TestCreateDefaults(t *testing.T) {
	s, host := newService(t)
	m, err := s.Create(context.Background(), host.ID, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !m.WaitingRoom || m.JoinBeforeHost || m.ScreenShare != store.ScreenSharePresenters ||
		m.MaxParticipants != 0 || m.Recurrence != store.RecurrenceNone || !m.StartsAt.IsZero() || m.Cohosts != nil {
		t.Fatalf("defaults %+v", m)
	}
	if !m.EndsAt.Equal(t0.Add(30 * day)) {
		t.Fatalf("EndsAt %v, want creation + 30 days", m.EndsAt)
	}
}

func TestCreateStoresEverySetting(t *testing.T) {
	s, host := newService(t)
	cohosts := addUsers(t, s, 3)
	o := Options{
		Title: "Stand-up", WaitingRoom: boolPtr(false), JoinBeforeHost: true,
		ScreenShare: store.ScreenShareEveryone, MaxParticipants: 40, Recurrence: store.RecurrenceWeekly,
		StartsAt: t0.Add(day).In(time.FixedZone("X", 7200)), EndsAt: t0.Add(100 * day),
		Cohosts: []string{cohosts[2], cohosts[0]},
	}
	m, err := s.Create(context.Background(), host.ID, o)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Store.MeetingByID(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.WaitingRoom || !got.JoinBeforeHost || got.ScreenShare != store.ScreenShareEveryone || got.MaxParticipants != 40 ||
		got.Recurrence != store.RecurrenceWeekly || !got.StartsAt.Equal(o.StartsAt) || !got.EndsAt.Equal(o.EndsAt) ||
		!reflect.DeepEqual(got.Cohosts, []string{"u_3", "u_1"}) {
		t.Fatalf("stored %+v", got)
	}
	if m.StartsAt.Location() != time.UTC {
		t.Fatalf("StartsAt kept zone %v, want UTC", m.StartsAt.Location())
	}
	o.Cohosts[0] = "u_2"
	if m.Cohosts[0] != "u_3" {
		t.Fatal("the meeting shares the caller's co-host slice")
	}
}

func TestCreateOptionErrors(t *testing.T) {
	s, host := newService(t)
	s.Policy = Policy{ForceWaitingRoom: true, MaxParticipants: 50}
	many := make([]string, MaxCohosts+1)
	for i := range many {
		many[i] = fmt.Sprintf("u_%d", i)
	}
	cases := []struct {
		name  string
		o     Options
		field string
	}{
		{"waiting room off when forced", Options{WaitingRoom: boolPtr(false)}, "waiting_room"},
		{"screen share", Options{ScreenShare: "nobody"}, "screen_share"},
		{"recurrence", Options{Recurrence: "monthly", EndsAt: t0.Add(day)}, "recurrence"},
		{"negative max", Options{MaxParticipants: -1}, "max_participants"},
		{"over the org cap", Options{MaxParticipants: 51}, "max_participants"},
		{"recurring without end", Options{Recurrence: store.RecurrenceDaily}, "ends_at"},
		{"ends in the past", Options{EndsAt: t0.Add(-time.Minute)}, "ends_at"},
		{"ends now", Options{EndsAt: t0}, "ends_at"},
		{"ends too late", Options{EndsAt: t0.Add(366*day + 1)}, "ends_at"},
		{"ends before it starts", Options{StartsAt: t0.Add(2 * day), EndsAt: t0.Add(day)}, "ends_at"},
		{"default end too late", Options{StartsAt: t0.Add(340 * day)}, "starts_at"},
		{"too many co-hosts", Options{Cohosts: many}, "cohosts"},
		{"duplicate co-host", Options{Cohosts: []string{"u_1", "u_1"}}, "cohosts"},
		{"host as co-host", Options{Cohosts: []string{host.ID}}, "cohosts"},
		{"empty co-host", Options{Cohosts: []string{""}}, "cohosts"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Create(context.Background(), host.ID, c.o)
			var oe *OptionError
			if !errors.As(err, &oe) || oe.Field != c.field || oe.Message == "" {
				t.Fatalf("err = %v, want an OptionError on %s", err, c.field)
			}
			if !strings.HasPrefix(err.Error(), c.field+": ") {
				t.Fatalf("message %q does not name the field", err)
			}
		})
	}
	if ms, _ := s.ListByHost(context.Background(), host.ID); len(ms) != 0 {
		t.Fatalf("refused options stored %d meetings", len(ms))
	}
}

func TestCreateWithinPolicy(t *testing.T) {
	s, host := newService(t)
	s.Policy = Policy{ForceWaitingRoom: true, MaxParticipants: 50}
	ok := map[string]Options{
		"waiting room explicitly on": {WaitingRoom: boolPtr(true)},
		"max at the org cap":         {MaxParticipants: 50},
		"ends at the maximum":        {EndsAt: t0.Add(366 * day)},
		"recurring with an end":      {Recurrence: store.RecurrenceDaily, EndsAt: t0.Add(90 * day)},
		"started earlier":            {StartsAt: t0.Add(-time.Hour)},
		"join before host recorded":  {JoinBeforeHost: true},
	}
	for name, o := range ok {
		if _, err := s.Create(context.Background(), host.ID, o); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	s.Policy = Policy{}
	if _, err := s.Create(context.Background(), host.ID, Options{MaxParticipants: 100000}); err != nil {
		t.Errorf("no org cap: %v", err)
	}
}

func TestCreateLifetimes(t *testing.T) {
	s, host := newService(t)
	s.Policy = Policy{DefaultLifetime: 2 * time.Hour, MaxLifetime: 7 * day}
	m, err := s.Create(context.Background(), host.ID, Options{})
	if err != nil || !m.EndsAt.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("ad hoc: EndsAt %v, %v", m.EndsAt, err)
	}
	starts := t0.Add(3 * day)
	m, err = s.Create(context.Background(), host.ID, Options{StartsAt: starts})
	if err != nil || !m.EndsAt.Equal(starts.Add(2*time.Hour)) || !m.StartsAt.Equal(starts) {
		t.Fatalf("scheduled: %v..%v, %v", m.StartsAt, m.EndsAt, err)
	}
	_, err = s.Create(context.Background(), host.ID, Options{EndsAt: t0.Add(8 * day)})
	var oe *OptionError
	if !errors.As(err, &oe) || !strings.Contains(oe.Message, "7 days") {
		t.Fatalf("beyond max lifetime: %v", err)
	}
}

func TestCreateUnknownCohost(t *testing.T) {
	s, host := newService(t)
	_, err := s.Create(context.Background(), host.ID, Options{Cohosts: []string{"u_ghost"}})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown co-host: %v, want store.ErrNotFound", err)
	}
}

func TestAuthorizeExpired(t *testing.T) {
	s, host := newService(t)
	now := t0
	s.Clock = func() time.Time { return now }
	ctx := context.Background()
	m, err := s.Create(ctx, host.ID, Options{EndsAt: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	now = m.EndsAt.Add(-time.Nanosecond)
	if _, err := s.Authorize(ctx, m.ID, m.Passcode); err != nil {
		t.Fatalf("just before the end: %v", err)
	}
	now = m.EndsAt
	if got, err := s.Authorize(ctx, m.ID, m.Passcode); !errors.Is(err, ErrMeetingExpired) || got.ID != "" {
		t.Fatalf("at the end: %+v, %v; want ErrMeetingExpired", got, err)
	}
	// Without the passcode, an expired meeting looks like any refusal.
	if _, err := s.Authorize(ctx, m.ID, NewPasscode()); err != ErrJoinRefused {
		t.Fatalf("wrong passcode after expiry: %v, want ErrJoinRefused", err)
	}
}

// TestAuthorizeWithoutEndFailsClosed: a meeting written to the store
// without an end date (not through Create) admits nobody.
func TestAuthorizeWithoutEndFailsClosed(t *testing.T) {
	s, host := newService(t)
	m := store.Meeting{ID: NewID(), Title: "t", Passcode: NewPasscode(), HostID: host.ID, CreatedAt: t0,
		WaitingRoom: true, ScreenShare: store.ScreenSharePresenters, Recurrence: store.RecurrenceNone}
	if err := s.Store.CreateMeeting(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authorize(context.Background(), m.ID, m.Passcode); !errors.Is(err, ErrMeetingExpired) {
		t.Fatalf("no end date: %v, want ErrMeetingExpired", err)
	}
}
