package audit

import (
	"bytes"
	"errors"
	"maps"
	"testing"
	"time"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.UTC)

func sample() Entry {
	return Entry{
		Seq: 7, Time: t0, Action: string(MeetingRemove), Actor: "u_host", Target: "p_guest",
		Meeting: "k3m9-x2qa-7hvt-p4dz", Outcome: string(Success),
		Details:  map[string]string{"reason": "spam", "role": "guest"},
		AddrHash: bytes.Repeat([]byte{1}, 32), PrevHash: bytes.Repeat([]byte{2}, 32),
	}
}

// TestEncodeNoConcatenationCollisions: entries whose fields concatenate to
// the same text must encode (and so hash) differently.
func TestEncodeNoConcatenationCollisions(t *testing.T) {
	base := sample()
	with := func(f func(*Entry)) Entry {
		e := base
		e.Details = maps.Clone(base.Details)
		f(&e)
		return e
	}
	pairs := map[string][2]Entry{
		"actor/target boundary": {
			with(func(e *Entry) { e.Actor, e.Target = "u_ab", "c" }),
			with(func(e *Entry) { e.Actor, e.Target = "u_a", "bc" }),
		},
		"target/meeting boundary": {
			with(func(e *Entry) { e.Target, e.Meeting = "p_x", "m1" }),
			with(func(e *Entry) { e.Target, e.Meeting = "p_xm", "1" }),
		},
		"empty actor vs empty target": {
			with(func(e *Entry) { e.Actor, e.Target = "u_a", "" }),
			with(func(e *Entry) { e.Actor, e.Target = "", "u_a" }),
		},
		"detail key/value boundary": {
			with(func(e *Entry) { e.Details = map[string]string{"ab": "c"} }),
			with(func(e *Entry) { e.Details = map[string]string{"a": "bc"} }),
		},
		"detail pair split": {
			with(func(e *Entry) { e.Details = map[string]string{"a": "b", "c": "d"} }),
			with(func(e *Entry) { e.Details = map[string]string{"a": "bcd"} }),
		},
		"details vs outcome": {
			with(func(e *Entry) { e.Outcome, e.Details = "success", nil }),
			with(func(e *Entry) { e.Outcome, e.Details = "", map[string]string{"success": ""} }),
		},
		"addr hash vs prev hash": {
			with(func(e *Entry) { e.AddrHash, e.PrevHash = []byte("ab"), []byte("c") }),
			with(func(e *Entry) { e.AddrHash, e.PrevHash = []byte("a"), []byte("bc") }),
		},
		"seq": {with(func(e *Entry) { e.Seq = 1 }), with(func(e *Entry) { e.Seq = 2 })},
		"time by a nanosecond": {
			with(func(e *Entry) {}),
			with(func(e *Entry) { e.Time = e.Time.Add(time.Nanosecond) }),
		},
	}
	c := chain{key: []byte("k")}
	for name, p := range pairs {
		if bytes.Equal(Encode(p[0]), Encode(p[1])) {
			t.Errorf("%s: encodings collide", name)
		}
		if bytes.Equal(c.sum(p[0]), c.sum(p[1])) {
			t.Errorf("%s: hashes collide", name)
		}
	}
}

func TestEncodeIgnoresErasableAndHashFields(t *testing.T) {
	a, b := sample(), sample()
	b.ClientAddr, b.AddrSalt, b.Hash = "192.0.2.1", []byte("salt"), []byte("hash")
	if !bytes.Equal(Encode(a), Encode(b)) {
		t.Fatal("address, salt or hash changed the encoding: erasure would break the chain")
	}
}

func TestEncodeDetailsOrderAndNil(t *testing.T) {
	a, b := sample(), sample()
	b.Details = map[string]string{"role": "guest", "reason": "spam"}
	if !bytes.Equal(Encode(a), Encode(b)) {
		t.Fatal("map order changed the encoding")
	}
	a.Details, b.Details = nil, map[string]string{}
	if !bytes.Equal(Encode(a), Encode(b)) {
		t.Fatal("nil and empty details encode differently")
	}
}

func TestEncodeTimeZoneIrrelevant(t *testing.T) {
	a, b := sample(), sample()
	b.Time = a.Time.In(time.FixedZone("X", 5*3600))
	if !bytes.Equal(Encode(a), Encode(b)) {
		t.Fatal("the same instant in another zone encodes differently")
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	for _, e := range []Entry{sample(), {Time: time.Unix(0, 0).UTC()}} {
		got, err := Decode(Encode(e))
		if err != nil {
			t.Fatal(err)
		}
		if !sameEntry(got, e) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, e)
		}
	}
}

// withDetails encodes sample() with the given key/value pairs in the given
// order, bypassing Encode's sorting.
func withDetails(kv ...string) []byte {
	e := sample()
	e.Details = nil
	enc := Encode(e)
	b := bytes.Clone(enc[:len(enc)-4-(4+32)-(4+32)]) // up to the details count
	b = append(b, 0, 0, 0, byte(len(kv)/2))
	for _, s := range kv {
		b = appendString(b, s)
	}
	b = appendString(b, string(e.AddrHash))
	return appendString(b, string(e.PrevHash))
}

func TestDecodeRejectsNonCanonical(t *testing.T) {
	good := Encode(sample())
	if _, err := Decode(withDetails("a", "1", "b", "2")); err != nil {
		t.Fatalf("sorted details refused: %v", err)
	}
	prefix := withDetails()
	prefix = prefix[:len(prefix)-4-(4+32)-(4+32)]
	cases := map[string][]byte{
		"empty":          nil,
		"wrong tag":      append([]byte("conclave-audit-v2"), good[len(encodingTag):]...),
		"truncated":      good[:len(good)-1],
		"trailing byte":  append(bytes.Clone(good), 0),
		"unsorted keys":  withDetails("b", "1", "a", "2"),
		"duplicate keys": withDetails("a", "1", "a", "2"),
		"huge length":    append(bytes.Clone(good[:len(encodingTag)+16]), 0xff, 0xff, 0xff, 0xff),
		"huge det count": append(bytes.Clone(prefix), 0x7f, 0xff, 0xff, 0xff),
	}
	for name, b := range cases {
		if _, err := Decode(b); !errors.Is(err, ErrEncoding) {
			t.Errorf("%s: err = %v, want ErrEncoding", name, err)
		}
	}
}

// sameEntry compares the chained fields, treating nil and empty alike.
func sameEntry(a, b Entry) bool {
	return bytes.Equal(Encode(a), Encode(b)) && a.Seq == b.Seq && a.Time.Equal(b.Time) &&
		a.Action == b.Action && a.Actor == b.Actor && a.Target == b.Target && a.Meeting == b.Meeting &&
		a.Outcome == b.Outcome && maps.Equal(a.Details, b.Details) &&
		bytes.Equal(a.AddrHash, b.AddrHash) && bytes.Equal(a.PrevHash, b.PrevHash)
}

// FuzzDecode: whatever Decode accepts re-encodes to the same bytes, so each
// entry has exactly one encoding (and distinct entries cannot share one).
func FuzzDecode(f *testing.F) {
	f.Add(Encode(sample()))
	f.Add(Encode(Entry{}))
	f.Add([]byte(encodingTag))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Decode(b)
		if err != nil {
			return
		}
		if got := Encode(e); !bytes.Equal(got, b) {
			t.Fatalf("Encode(Decode(b)) != b\n b   %x\n got %x", b, got)
		}
	})
}

// FuzzEncode: any entry survives Encode then Decode, and entries that
// differ in a chained field never share an encoding.
func FuzzEncode(f *testing.F) {
	f.Add(int64(1), int64(0), "auth.login.success", "u_a", "", "", "success", "k", "v", []byte{1}, []byte{2}, "u_b")
	f.Add(int64(9), int64(-5), "", "", "u_x", "m", "", "", "", []byte(nil), []byte(nil), "")
	f.Fuzz(func(t *testing.T, seq, nanos int64, action, actor, target, meeting, outcome, k, v string, addrHash, prev []byte, otherActor string) {
		e := Entry{Seq: seq, Time: time.Unix(0, nanos).UTC(), Action: action, Actor: actor, Target: target,
			Meeting: meeting, Outcome: outcome, AddrHash: addrHash, PrevHash: prev}
		if k != "" || v != "" {
			e.Details = map[string]string{k: v}
		}
		got, err := Decode(Encode(e))
		if err != nil || !sameEntry(got, e) {
			t.Fatalf("round trip of %+v: %+v, %v", e, got, err)
		}
		other := e
		other.Actor = otherActor
		if otherActor != actor && bytes.Equal(Encode(e), Encode(other)) {
			t.Fatalf("actors %q and %q encode alike", actor, otherActor)
		}
	})
}
