package protocol

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// fixtures are testdata/fixtures.json, shared with web/test/wire.test.ts:
// for every message, payloads that must decode and payloads that must not.
type fixtures struct {
	Client map[string]fixtureSet `json:"client"`
	Server map[string]fixtureSet `json:"server"`
}

type fixtureSet struct {
	Valid   []json.RawMessage `json:"valid"`
	Invalid []struct {
		Data json.RawMessage `json:"data"`
		Why  string          `json:"why"`
	} `json:"invalid"`
}

func loadFixtures(t testing.TB) fixtures {
	t.Helper()
	raw, err := os.ReadFile("testdata/fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	var f fixtures
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("fixtures.json: %v", err)
	}
	return f
}

func (f fixtures) of(dir Direction) map[string]fixtureSet {
	if dir == ClientToServer {
		return f.Client
	}
	return f.Server
}

func lookup(dir Direction, typ string) (Spec, bool) {
	if dir == ClientToServer {
		return LookupClient(typ)
	}
	return LookupServer(typ)
}

func TestFixturesCoverRegistry(t *testing.T) {
	f := loadFixtures(t)
	for _, s := range Messages() {
		set, ok := f.of(s.Dir)[s.Type]
		if !ok {
			t.Errorf("%v %s: no fixtures", s.Dir, s.Type)
			continue
		}
		wantInvalid := 2
		if reflect.TypeOf(s.New()).Elem().NumField() == 0 {
			wantInvalid = 1
		}
		if len(set.Valid) < 1 || len(set.Invalid) < wantInvalid {
			t.Errorf("%v %s: %d valid and %d invalid fixtures, want at least 1 and %d", s.Dir, s.Type, len(set.Valid), len(set.Invalid), wantInvalid)
		}
		for _, inv := range set.Invalid {
			if inv.Why == "" {
				t.Errorf("%v %s: invalid fixture %s without why", s.Dir, s.Type, inv.Data)
			}
		}
	}
	for _, dir := range []Direction{ClientToServer, ServerToClient} {
		for typ := range f.of(dir) {
			if _, ok := lookup(dir, typ); !ok {
				t.Errorf("fixtures name %v message %q, which is not registered", dir, typ)
			}
		}
	}
}

func TestFixtures(t *testing.T) {
	f := loadFixtures(t)
	for _, dir := range []Direction{ClientToServer, ServerToClient} {
		for typ, set := range f.of(dir) {
			s, ok := lookup(dir, typ)
			if !ok {
				continue // TestFixturesCoverRegistry reports it
			}
			for _, data := range set.Valid {
				v := s.New()
				if err := Decode(data, v); err != nil {
					t.Errorf("%v %s: valid %s refused: %v", dir, typ, data, err)
					continue
				}
				roundTrip(t, s, v)
			}
			for _, inv := range set.Invalid {
				err := Decode(inv.Data, s.New())
				if err == nil {
					t.Errorf("%v %s: invalid %s (%s) accepted", dir, typ, inv.Data, inv.Why)
					continue
				}
				if pe, ok := err.(*Error); !ok || pe.Code != CodeBadRequest {
					t.Errorf("%v %s: invalid %s: error %#v, want a bad_request *Error", dir, typ, inv.Data, err)
				}
			}
		}
	}
}

// roundTrip checks that a decoded payload encodes to what decodes to it.
func roundTrip(t *testing.T, s Spec, v any) {
	t.Helper()
	frame, err := Encode(s.Type, 9, v)
	if err != nil {
		t.Errorf("%s: encode %+v: %v", s.Type, v, err)
		return
	}
	env, err := Parse(frame)
	if err != nil {
		t.Errorf("%s: parse own frame %s: %v", s.Type, frame, err)
		return
	}
	again := s.New()
	if err := Decode(env.Data, again); err != nil {
		t.Errorf("%s: decode own frame %s: %v", s.Type, frame, err)
		return
	}
	if !reflect.DeepEqual(v, again) {
		t.Errorf("%s: round trip changed\n%+v\nto\n%+v", s.Type, v, again)
	}
	if env.Type != s.Type || env.Seq != 9 {
		t.Errorf("%s: round trip envelope %+v", s.Type, env)
	}
}
