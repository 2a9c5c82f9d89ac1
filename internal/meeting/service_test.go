package meeting

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
)

var t0 = time.Date(2025, 6, 1, 9, 30, 0, 987654321, time.UTC)

func newService(t *testing.T) (*Service, store.User) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	host := store.User{ID: "u_host", Email: "host@example.org", Name: "Host", Role: store.RoleMember, PasswordHash: "x", CreatedAt: t0}
	if err := st.CreateUser(context.Background(), host); err != nil {
		t.Fatal(err)
	}
	return &Service{Store: st, Clock: func() time.Time { return t0 }}, host
}

func TestCreate(t *testing.T) {
	s, host := newService(t)
	m, err := s.Create(context.Background(), host.ID, Options{Title: "  Weekly sync  "})
	if err != nil {
		t.Fatal(err)
	}
	if !idRE.MatchString(m.ID) || len(m.Passcode) != 12 || m.Title != "Weekly sync" || m.HostID != host.ID || !m.CreatedAt.Equal(t0) {
		t.Fatalf("meeting %+v", m)
	}
	got, err := s.Store.MeetingByID(context.Background(), m.ID)
	if err != nil || got.Passcode != m.Passcode || !got.CreatedAt.Equal(m.CreatedAt) {
		t.Fatalf("stored %+v %v", got, err)
	}
}

func TestCreateTitles(t *testing.T) {
	s, host := newService(t)
	ctx := context.Background()
	for in, want := range map[string]string{"": "Meeting", "   ": "Meeting", strings.Repeat("é", 120): strings.Repeat("é", 120)} {
		m, err := s.Create(ctx, host.ID, Options{Title: in})
		if err != nil || m.Title != want {
			t.Errorf("title %q -> %q, %v", in, m.Title, err)
		}
	}
	for _, bad := range []string{strings.Repeat("x", 121), "a\nb", "tab\there", "rtl\u202eoverride", "\xff"} {
		if _, err := s.Create(ctx, host.ID, Options{Title: bad}); !errors.Is(err, ErrBadTitle) {
			t.Errorf("title %q: %v, want ErrBadTitle", bad, err)
		}
	}
}

func TestCreateUnknownHost(t *testing.T) {
	s, _ := newService(t)
	if _, err := s.Create(context.Background(), "u_ghost", Options{Title: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown host: %v", err)
	}
}

// collidingStore reports a conflict for the first n creations.
type collidingStore struct {
	Store
	n, calls int
}

func (c *collidingStore) CreateMeeting(ctx context.Context, m store.Meeting) error {
	c.calls++
	if c.calls <= c.n {
		return store.ErrConflict
	}
	return c.Store.CreateMeeting(ctx, m)
}

func TestCreateRetriesOnCollision(t *testing.T) {
	s, host := newService(t)
	cs := &collidingStore{Store: s.Store, n: 2}
	s.Store = cs
	if _, err := s.Create(context.Background(), host.ID, Options{Title: "x"}); err != nil || cs.calls != 3 {
		t.Fatalf("after 2 collisions: %v (calls %d)", err, cs.calls)
	}
	cs.calls, cs.n = 0, 10
	if _, err := s.Create(context.Background(), host.ID, Options{Title: "x"}); !errors.Is(err, store.ErrConflict) || cs.calls != createAttempts {
		t.Fatalf("persistent collisions: %v (calls %d)", err, cs.calls)
	}
}

func TestAuthorize(t *testing.T) {
	s, host := newService(t)
	ctx := context.Background()
	m, _ := s.Create(ctx, host.ID, Options{Title: "Weekly"})
	typedID := strings.ToUpper(strings.ReplaceAll(m.ID, "-", ""))
	typedCode := strings.ToUpper(m.Passcode[:4] + "-" + m.Passcode[4:8] + " " + m.Passcode[8:])
	for _, tc := range [][2]string{{m.ID, m.Passcode}, {typedID, typedCode}} {
		got, err := s.Authorize(ctx, tc[0], tc[1])
		if err != nil || got.ID != m.ID || got.Title != "Weekly" {
			t.Errorf("Authorize(%q, %q) = %+v, %v", tc[0], tc[1], got, err)
		}
	}
}

// TestRefusalsIndistinguishable: an unknown meeting, a malformed ID and a
// wrong passcode must produce the very same result.
func TestRefusalsIndistinguishable(t *testing.T) {
	s, host := newService(t)
	ctx := context.Background()
	m, _ := s.Create(ctx, host.ID, Options{Title: "Weekly"})
	other := NewID()
	attempts := map[string][2]string{
		"wrong passcode":            {m.ID, NewPasscode()},
		"empty passcode":            {m.ID, ""},
		"prefix passcode":           {m.ID, m.Passcode[:11]},
		"unknown meeting":           {other, m.Passcode},
		"unknown meeting, no code":  {other, ""},
		"malformed id":              {"nonsense", m.Passcode},
		"other meeting's passcode":  {m.ID, "000000000000"},
		"passcode with bad symbols": {m.ID, m.Passcode + "!"},
	}
	for name, a := range attempts {
		got, err := s.Authorize(ctx, a[0], a[1])
		if err != ErrJoinRefused || !reflect.DeepEqual(got, store.Meeting{}) || err.Error() != "meeting: join refused" {
			t.Errorf("%s: %+v, %v", name, got, err)
		}
	}
}

type brokenStore struct{ Store }

func (brokenStore) MeetingByID(context.Context, string) (store.Meeting, error) {
	return store.Meeting{}, errors.New("disk I/O error")
}

func TestAuthorizeStoreFailureIsNotARefusal(t *testing.T) {
	s, _ := newService(t)
	s.Store = brokenStore{s.Store}
	_, err := s.Authorize(context.Background(), NewID(), "x")
	if err == nil || errors.Is(err, ErrJoinRefused) {
		t.Fatalf("store failure: %v", err)
	}
}

func TestListByHost(t *testing.T) {
	s, host := newService(t)
	ctx := context.Background()
	if ms, err := s.ListByHost(ctx, host.ID); err != nil || len(ms) != 0 {
		t.Fatalf("empty: %v %v", ms, err)
	}
	s.Create(ctx, host.ID, Options{Title: "a"})
	s.Create(ctx, host.ID, Options{Title: "b"})
	if ms, err := s.ListByHost(ctx, host.ID); err != nil || len(ms) != 2 {
		t.Fatalf("list: %v %v", ms, err)
	}
}

func TestJoinURL(t *testing.T) {
	m := store.Meeting{ID: "k3m9-x2qa-7hvt-p4dz", Passcode: "7hvtp4dzk3m9"}
	for _, base := range []string{"https://meet.example.org", "https://meet.example.org/"} {
		if got, want := JoinURL(base, m), "https://meet.example.org/m/k3m9-x2qa-7hvt-p4dz#pwd=7hvtp4dzk3m9"; got != want {
			t.Errorf("JoinURL(%q) = %q, want %q", base, got, want)
		}
	}
}

func TestDefaultClockIsUTC(t *testing.T) {
	s := &Service{}
	if s.now().Location() != time.UTC {
		t.Fatal("default clock must be UTC")
	}
}

// TestRegeneratePasscode: the old passcode is refused at once, the new one
// admits, and an unknown meeting is ErrNotFound.
func TestRegeneratePasscode(t *testing.T) {
	s, host := newService(t)
	ctx := context.Background()
	m, err := s.Create(ctx, host.ID, Options{Title: "Weekly"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.RegeneratePasscode(ctx, m.ID)
	if err != nil || got.Passcode == m.Passcode || len(got.Passcode) != 12 || got.Title != "Weekly" {
		t.Fatalf("RegeneratePasscode = %+v, %v", got, err)
	}
	if _, err := s.Authorize(ctx, m.ID, m.Passcode); !errors.Is(err, ErrJoinRefused) {
		t.Fatalf("old passcode: %v", err)
	}
	if _, err := s.Authorize(ctx, m.ID, got.Passcode); err != nil {
		t.Fatalf("new passcode: %v", err)
	}
	if _, err := s.RegeneratePasscode(ctx, "0000-0000-0000-0000"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown meeting: %v", err)
	}
}
