package protocol

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/protocol/schema"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		code string // "" = valid
		typ  string
	}{
		{`{"type":"ping"}`, "", "ping"},
		{` {"type":"ping","seq":3,"data":{}} `, "", "ping"},
		{`{"type":"ping","data":null}`, "", "ping"},
		{`{"type":"hello","data":{"version":1},"extra":true}`, "", "hello"},
		{`{"TYPE":"ping"}`, "", "ping"},
		{``, CodeBadJSON, ""},
		{`null`, CodeBadJSON, ""},
		{`"ping"`, CodeBadJSON, ""},
		{`{"type":1}`, CodeBadJSON, ""},
		{`{"type":"ping"`, CodeBadJSON, ""},
		{`{"seq":1}`, CodeBadJSON, ""},
		{`{"type":"ping","seq":"1"}`, CodeBadJSON, ""},
		{`{"type":"ping","data":"x"}`, CodeBadRequest, "ping"},
		{`{"type":"ping","data":[1]}`, CodeBadRequest, "ping"},
		{"{\"type\":\"p\xffing\"}", CodeBadJSON, ""},
	}
	for _, c := range cases {
		env, err := Parse([]byte(c.in))
		var pe *Error
		switch {
		case c.code == "" && err != nil:
			t.Errorf("Parse(%q) failed: %v", c.in, err)
		case c.code != "" && (!errors.As(err, &pe) || pe.Code != c.code):
			t.Errorf("Parse(%q) = %v, want %s", c.in, err, c.code)
		case c.code == "" && env.Type != c.typ:
			t.Errorf("Parse(%q).Type = %q, want %q", c.in, env.Type, c.typ)
		}
	}
}

func TestEncode(t *testing.T) {
	b, err := Encode("pong", 0, Pong{})
	if err != nil || string(b) != `{"type":"pong","data":{}}` {
		t.Errorf("Encode(pong) = %s, %v", b, err)
	}
	b, err = Encode("ping", 0, nil)
	if err != nil || string(b) != `{"type":"ping"}` {
		t.Errorf("Encode(ping, nil) = %s, %v", b, err)
	}
	b, err = Encode("chat", 4, &ChatMessage{ID: "c_1", From: "p_a", Text: "hi"})
	want := `{"type":"chat","seq":4,"data":{"id":"c_1","from":"p_a","from_name":"","text":"hi","time":"0001-01-01T00:00:00Z"}}`
	if err != nil || string(b) != want {
		t.Errorf("Encode(chat) = %s, %v; want %s", b, err, want)
	}
	if _, err := Encode("", 0, nil); err == nil {
		t.Error("Encode accepted an empty type")
	}
}

func TestDecodeClient(t *testing.T) {
	v, err := DecodeClient(Envelope{Type: "video_size", Data: json.RawMessage(`{"participant_id":"p","source":"camera","width":3}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v, (&VideoSize{ParticipantID: "p", Source: "camera", Width: 3}); !reflect.DeepEqual(got, want) {
		t.Errorf("DecodeClient = %#v, want %#v", got, want)
	}
	// Server-only and unknown types are unknown_type; so are client types
	// looked up as server messages.
	for _, typ := range []string{"welcome", "nope", strings.Repeat("x", 100)} {
		_, err := DecodeClient(Envelope{Type: typ})
		var pe *Error
		if !errors.As(err, &pe) || pe.Code != CodeUnknownType || len(pe.Message) > 60 {
			t.Errorf("DecodeClient(%.20s) = %v, want a short unknown_type", typ, err)
		}
	}
	if _, err := DecodeServer(Envelope{Type: "hello"}); err == nil {
		t.Error("DecodeServer accepted hello")
	}
	// Both directions have chat and ice, with their own payloads.
	c, _ := LookupClient("chat")
	s, _ := LookupServer("chat")
	if _, ok := c.New().(*Chat); !ok {
		t.Errorf("client chat is %T", c.New())
	}
	if _, ok := s.New().(*ChatMessage); !ok {
		t.Errorf("server chat is %T", s.New())
	}
}

func TestDecodeReasons(t *testing.T) {
	cases := []struct{ data, want string }{
		{`{"version":"1"}`, "invalid data: field version has the wrong type"},
		{`[1]`, "invalid data: data has the wrong type"},
		{`{"version":1,"name":`, "invalid data: syntax error"},
		{`{"version":1,"name":"` + strings.Repeat("é", 129) + `"}`, "name must be at most 256 bytes"},
	}
	for _, c := range cases {
		err := Decode(json.RawMessage(c.data), &Hello{})
		var pe *Error
		if !errors.As(err, &pe) || pe.Code != CodeBadRequest || pe.Message != c.want {
			t.Errorf("Decode(%.30s) = %v, want bad_request: %s", c.data, err, c.want)
		}
	}
	err := Decode(json.RawMessage(`{"waiting":[{"id":"p","since":"soon"}]}`), &Lobby{})
	if err == nil || strings.Contains(err.Error(), "Time") || strings.Contains(err.Error(), "soon") {
		t.Errorf("Decode(bad time) = %v, want a reason without Go names or input", err)
	}
}

func TestValidateMessages(t *testing.T) {
	bad := func(v any, want string) {
		t.Helper()
		err := Validate(v)
		var pe *Error
		if !errors.As(err, &pe) || pe.Code != CodeBadRequest || pe.Message != want {
			t.Errorf("Validate(%+v) = %v, want %q", v, err, want)
		}
	}
	tr := true
	bad(&Resume{Version: 1}, "token is required")
	bad(&Resume{Version: 0, Token: "t"}, "version must be at least 1")
	bad(&Resume{Version: 1, Token: "t", LastSeq: -1}, "last_seq must be at least 0")
	bad(&VideoSize{Source: "camera", Width: 16385}, "width must be at most 16384")
	bad(&Publish{SDP: SDP{Type: "offer", SDP: "v"}}, "tracks must have at least 1 entry")
	bad(&Publish{SDP: SDP{Type: "offer", SDP: "v"}, Tracks: map[string]string{"a": "audio", "b": "audio", "c": "audio", "d": "audio"}}, "tracks must have at most 3 entries")
	bad(&Publish{SDP: SDP{Type: "offer", SDP: "v"}, Tracks: map[string]string{"b": "audio", "a": "mic"}}, `tracks["a"] must be one of audio, camera, screen`)
	bad(&Publish{SDP: SDP{Type: "offer", SDP: "v"}, Tracks: map[string]string{strings.Repeat("m", 17): "audio"}}, "tracks keys must be at most 16 bytes")
	bad(&Publish{SDP: SDP{Type: "offer"}, Tracks: map[string]string{"0": "audio"}}, "sdp.sdp is required")
	bad(&Lock{}, "locked is required")
	bad(&SettingsChange{Chat: &tr, ScreenShare: "all"}, "screen_share must be empty or one of presenters, everyone")
	bad(&Welcome{ParticipantID: "p", Role: "guest", Meeting: MeetingInfo{Settings: Settings{ChatWriters: "everyone", ScreenShare: "everyone"}},
		Participants: []Participant{{ID: "a", Role: "host"}, {Role: "host"}}}, "participants[1].id is required")
	bad(&Welcome{ParticipantID: "p", Role: "guest", Meeting: MeetingInfo{Settings: Settings{ChatWriters: "everyone", ScreenShare: "x"}}},
		"meeting.settings.screen_share must be one of presenters, everyone")
	bad(&Welcome{ParticipantID: "p", Role: "guest", Meeting: MeetingInfo{Settings: Settings{ChatWriters: "everyone", ScreenShare: "everyone"}},
		ICEServers: []ICEServer{{URLs: []string{"turn:x"}}, {}}}, "ice_servers[1].urls must have at least 1 entry")
	bad(&SubscribeOffer{SDP: SDP{Type: "offer", SDP: "v"}, Tracks: map[string]TrackOwner{"0": {ParticipantID: "p", Source: "x"}}},
		`tracks["0"].source must be one of audio, camera, screen`)
	bad(ICEServers{}, "ice_servers must have at least 1 entry") // a struct value works too

	if err := Validate(&Lock{Locked: &tr}); err != nil {
		t.Errorf("Validate(valid lock) = %v", err)
	}
	if err := Validate((*Lock)(nil)); err == nil || errors.As(err, new(*Error)) {
		t.Errorf("Validate(nil) = %v, want a plain error", err)
	}
	if err := Validate(42); err == nil {
		t.Error("Validate(42) accepted")
	}
}

// TestValidateRules covers each rule on each kind with a type of its own.
func TestValidateRules(t *testing.T) {
	type inner struct {
		S string `json:"s" proto:"required"`
	}
	type all struct {
		Str   string            `json:"str" proto:"min=2,max=4"`
		Enum  string            `json:"enum" proto:"enum=|x|y"`
		Int   int64             `json:"int" proto:"min=-1,max=1"`
		Ptr   *string           `json:"ptr" proto:"required,max=1"`
		List  []string          `json:"list" proto:"required,max=2,enum=a|b"`
		Map   map[string]inner  `json:"map" proto:"keymax=2"`
		Nest  *inner            `json:"nest"`
		Small map[string]string `json:"small" proto:"min=0"`
	}
	one := "x"
	ok := func() all {
		return all{Str: "ab", Int: 1, Ptr: &one, List: []string{"a"}, Map: map[string]inner{"k": {S: "s"}}}
	}
	if err := Validate(ok()); err != nil {
		t.Fatalf("Validate(ok) = %v", err)
	}
	two := "xy"
	cases := []struct {
		edit func(*all)
		want string
	}{
		{func(a *all) { a.Str = "a" }, "str must be at least 2 bytes"},
		{func(a *all) { a.Str = "ééé" }, "str must be at most 4 bytes"},
		{func(a *all) { a.Enum = "z" }, "enum must be empty or one of x, y"},
		{func(a *all) { a.Int = -2 }, "int must be at least -1"},
		{func(a *all) { a.Int = 2 }, "int must be at most 1"},
		{func(a *all) { a.Ptr = nil }, "ptr is required"},
		{func(a *all) { a.Ptr = &two }, "ptr must be at most 1 bytes"},
		{func(a *all) { a.List = nil }, "list is required"},
		{func(a *all) { a.List = []string{"a", "b", "a"} }, "list must have at most 2 entries"},
		{func(a *all) { a.List = []string{"a", "c"} }, "list[1] must be one of a, b"},
		{func(a *all) { a.Map = map[string]inner{"kkk": {S: "s"}} }, "map keys must be at most 2 bytes"},
		{func(a *all) { a.Map = map[string]inner{"k": {}} }, `map["k"].s is required`},
		{func(a *all) { a.Nest = &inner{} }, "nest.s is required"},
	}
	for _, c := range cases {
		a := ok()
		c.edit(&a)
		err := Validate(&a)
		if err == nil || err.Error() != CodeBadRequest+": "+c.want {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}

func TestValidateBadTags(t *testing.T) {
	type badEnum struct {
		N int `json:"n" proto:"enum=a|b"`
	}
	type badRule struct {
		S string `json:"s" proto:"maximum=3"`
	}
	type noJSON struct {
		S string
	}
	for _, v := range []any{badEnum{}, badRule{}, noJSON{}} {
		err := Validate(v)
		if err == nil || errors.As(err, new(*Error)) {
			t.Errorf("Validate(%T) = %v, want a plain error", v, err)
		}
	}
}

func TestValidateAllocs(t *testing.T) {
	tr := true
	v := &Welcome{ParticipantID: "p", Role: "guest", Meeting: MeetingInfo{Settings: Settings{ChatWriters: "everyone", ScreenShare: "everyone"}},
		Participants: []Participant{{ID: "a", Role: "host"}}, ICEServers: []ICEServer{{URLs: []string{"turn:x"}}}}
	l := &Lock{Locked: &tr}
	_ = Validate(v)
	if n := testing.AllocsPerRun(100, func() { _ = Validate(v); _ = Validate(l) }); n > 0 {
		t.Errorf("Validate of valid values allocates %.0f times", n)
	}
}

func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Messages() {
		key := s.Dir.String() + " " + s.Type
		if seen[key] {
			t.Errorf("%s registered twice", key)
		}
		seen[key] = true
		if s.Doc == "" {
			t.Errorf("%s has no Doc", key)
		}
		if _, err := schema.Of(reflect.TypeOf(s.New())); err != nil {
			t.Errorf("%s: %v", key, err)
		}
		got, ok := lookup(s.Dir, s.Type)
		if !ok || got.Type != s.Type || got.Dir != s.Dir {
			t.Errorf("lookup of %s = %+v, %v", key, got, ok)
		}
	}
	for _, typ := range []string{"hello", "resume", "publish", "subscribe_answer", "ice", "ice_restart", "media_state",
		"video_size", "ping", "leave", "chat", "admit", "deny", "lock", "settings", "end_meeting", "remove", "mute",
		"ask_unmute", "set_role"} {
		if !seen["client→server "+typ] {
			t.Errorf("client message %s missing", typ)
		}
	}
	for _, typ := range []string{"welcome", "waiting", "lobby", "ice_servers", "publish_answer", "subscribe_offer", "ice",
		"participant_joined", "participant_updated", "participant_left", "active_speaker", "meeting_updated", "muted",
		"unmute_request", "chat", "bye", "error", "pong", "resume_token", "resumed"} {
		if !seen["server→client "+typ] {
			t.Errorf("server message %s missing", typ)
		}
	}
}

// TestEnumsMatchConstants keeps the enum tags of bye and error equal to the
// constants (tags cannot name constants).
func TestEnumsMatchConstants(t *testing.T) {
	enum := func(v any, field string) []string {
		s, err := schema.Of(reflect.TypeOf(v))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range s.Fields {
			if f.JSON == field {
				return f.Node.Rules.Enum
			}
		}
		t.Fatalf("%T has no field %s", v, field)
		return nil
	}
	if got := enum(Bye{}, "reason"); !slices.Equal(got, ByeReasons()) {
		t.Errorf("Bye.Reason enum %v, constants %v", got, ByeReasons())
	}
	if got := enum(ErrorData{}, "code"); !slices.Equal(got, ErrorCodes()) {
		t.Errorf("ErrorData.Code enum %v, constants %v", got, ErrorCodes())
	}
}

func TestParseTrimsUnicodeSpace(t *testing.T) {
	if _, err := Parse([]byte("\u00a0\u2028{\"type\":\"pong\"}\u0085")); err != nil {
		t.Errorf("Parse with Unicode space around: %v", err)
	}
	if _, err := Parse([]byte("\ufeff{\"type\":\"pong\"}")); err == nil {
		t.Error("Parse accepted a byte order mark")
	}
}
