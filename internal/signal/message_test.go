package signal

import (
	"encoding/json"
	"errors"
	"testing"
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
		{``, CodeBadJSON, ""},
		{`null`, CodeBadJSON, ""},
		{`"ping"`, CodeBadJSON, ""},
		{`{"type":1}`, CodeBadJSON, ""},
		{`{"type":"ping"`, CodeBadJSON, ""},
		{`{"seq":1}`, CodeBadJSON, ""},
		{`{"type":"ping","data":"x"}`, CodeBadRequest, "ping"},
		{`{"type":"ping","data":[1]}`, CodeBadRequest, "ping"},
		{"{\"type\":\"p\xffing\"}", CodeBadJSON, ""},
	}
	for _, c := range cases {
		env, err := Parse([]byte(c.in))
		var pe *ProtocolError
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

func TestCleanName(t *testing.T) {
	good := map[string]string{"  Ada ": "Ada", "Zoë Ş": "Zoë Ş", "李小龍": "李小龍"}
	for in, want := range good {
		if got, err := cleanName(in); err != nil || got != want {
			t.Errorf("cleanName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "   ", "a\nb", "a\u202eb", string(make([]rune, 65))} {
		if _, err := cleanName(bad); err == nil {
			t.Errorf("cleanName(%q) accepted", bad)
		}
	}
}

// FuzzParse feeds arbitrary frames through the envelope parser and every
// handler's payload decoder: none may panic, and every failure must be a
// ProtocolError the client can be told about.
func FuzzParse(f *testing.F) {
	seeds := []string{
		`{"type":"hello","data":{"version":1,"meeting_id":"m","passcode":"p","name":"n"}}`,
		`{"type":"publish","data":{"sdp":{"type":"offer","sdp":"v=0"},"tracks":{"0":"audio"}}}`,
		`{"type":"ice","data":{"pc":"publish","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0"}}}`,
		`{"type":"video_size","data":{"participant_id":"p","source":"camera","width":1,"height":2}}`,
		`{"type":"media_state","data":{"audio":true}}`,
		`{"type":"x","seq":-1,"data":{"a":[{},{}]}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	payloads := []func() any{
		func() any { return &helloData{} },
		func() any { return &publishData{} },
		func() any { return &answerData{} },
		func() any { return &iceData{} },
		func() any { return &mediaStateData{} },
		func() any { return &videoSizeData{} },
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		env, err := Parse(frame)
		if err != nil {
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error is not a ProtocolError: %v", err)
			}
			return
		}
		if env.Type == "" {
			t.Fatal("Parse accepted an envelope without type")
		}
		for _, mk := range payloads {
			v := mk()
			if err := decodeData(env.Data, v); err != nil {
				var pe *ProtocolError
				if !errors.As(err, &pe) {
					t.Fatalf("decodeData error is not a ProtocolError: %v", err)
				}
				continue
			}
			if _, err := json.Marshal(v); err != nil {
				t.Fatalf("decoded payload does not re-encode: %v", err)
			}
		}
		if d, ok := any(&helloData{}).(*helloData); ok && decodeData(env.Data, d) == nil {
			_, _ = cleanName(d.Name)
		}
	})
}
