package protocol

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzParseDecode feeds arbitrary frames through Parse and DecodeClient:
// nothing may panic, every refusal must be an *Error the client can be
// told, and every accepted payload must encode to a frame that decodes to
// the same payload. Seeds: every client fixture.
func FuzzParseDecode(f *testing.F) {
	fx := loadFixtures(f)
	for typ, set := range fx.Client {
		for _, data := range set.Valid {
			f.Add(seedFrame(f, typ, data))
		}
		for _, inv := range set.Invalid {
			f.Add(seedFrame(f, typ, inv.Data))
		}
	}
	f.Add([]byte(`{"type":"x","seq":-1,"data":{"a":[{},{}]}}`))
	f.Add([]byte("{\"type\":\"lock\",\"data\":{\"loc\u212aed\":true,\"LOCKED\":null}}"))
	f.Fuzz(func(t *testing.T, frame []byte) {
		env, err := Parse(frame)
		if err != nil {
			if !errors.As(err, new(*Error)) {
				t.Fatalf("Parse error is not an *Error: %v", err)
			}
			return
		}
		v, err := DecodeClient(env)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || (pe.Code != CodeBadRequest && pe.Code != CodeUnknownType) {
				t.Fatalf("DecodeClient error %v, want a bad_request or unknown_type *Error", err)
			}
			return
		}
		again, err := Encode(env.Type, env.Seq, v)
		if err != nil {
			t.Fatalf("accepted %s does not encode: %v", frame, err)
		}
		env2, err := Parse(again)
		if err != nil {
			t.Fatalf("own frame %s does not parse: %v", again, err)
		}
		v2, err := DecodeClient(env2)
		if err != nil {
			t.Fatalf("own frame %s does not decode: %v", again, err)
		}
		if !reflect.DeepEqual(v, v2) || env2.Seq != env.Seq {
			t.Fatalf("round trip of %s changed %+v to %+v", frame, v, v2)
		}
	})
}

func seedFrame(f *testing.F, typ string, data json.RawMessage) []byte {
	b, err := json.Marshal(Envelope{Type: typ, Seq: 1, Data: data})
	if err != nil {
		f.Fatal(err)
	}
	return b
}
