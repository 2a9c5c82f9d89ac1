package remotecontrol

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"testing"
)

// testdata/vectors.json is shared with the browser client's unit test
// (web/test/remotecontrol.test.ts), so that both sides agree on the keys
// the agent can inject, the combinations refused, the event JSON, the
// seal of E2EE meetings, the grant key's derivation and the pairing code.
// REMOTECONTROL_WRITE_VECTORS=1 rewrites it from the inputs below.
const vectorFile = "testdata/vectors.json"

type vectors struct {
	Comment string        `json:"comment"`
	Keys    []string      `json:"keys"`
	Combos  []comboVector `json:"combos"`
	Seal    sealVectors   `json:"seal"`
	HKDF    hkdfVector    `json:"hkdf"`
	Pairing pairVector    `json:"pairing"`
}

type comboVector struct {
	Key     string   `json:"key"`
	Mods    []string `json:"mods"`
	Allowed bool     `json:"allowed"`
}

type sealVectors struct {
	Key    string       `json:"key"`
	Grant  string       `json:"grant"`
	Events []sealVector `json:"events"`
}

type sealVector struct {
	Event  Event  `json:"event"`
	JSON   string `json:"json"`
	Sealed string `json:"sealed"`
}

type hkdfVector struct {
	Shared string `json:"shared"`
	Grant  string `json:"grant"`
	Key    string `json:"key"`
}

type pairVector struct {
	Server string `json:"server"`
	Key    string `json:"key"`
	Code   string `json:"code"`
}

func comboInputs() []comboVector {
	c := func(key string, allowed bool, mods ...string) comboVector {
		if mods == nil {
			mods = []string{}
		}
		return comboVector{Key: key, Mods: mods, Allowed: allowed}
	}
	return []comboVector{
		c("KeyA", true), c("KeyA", true, ModShift), c("KeyC", true, ModCtrl), c("Enter", true),
		c("Delete", true), c("Delete", true, ModCtrl), c("Delete", false, ModCtrl, ModAlt), c("Delete", false, ModAlt, ModCtrl, ModShift),
		c("Backspace", true, ModCtrl), c("Backspace", false, ModCtrl, ModAlt),
		c("KeyL", true, ModCtrl), c("KeyL", false, ModCtrl, ModAlt), c("KeyL", false, ModMeta), c("KeyL", false, ModMeta, ModShift),
		c("F1", true), c("F1", true, ModAlt), c("F1", false, ModCtrl, ModAlt), c("F12", false, ModCtrl, ModAlt), c("F13", false, ModCtrl, ModAlt),
		c("F4", true, ModAlt),
		c("PrintScreen", true), c("PrintScreen", false, ModAlt), c("PrintScreen", true, ModCtrl),
		c("Escape", true), c("Escape", true, ModCtrl), c("Escape", false, ModCtrl, ModAlt), c("Escape", true, ModCtrl, ModAlt, ModShift),
		c("Tab", true, ModAlt), c("ControlLeft", true, ModCtrl), c("MetaLeft", true, ModMeta),
		c("AudioVolumeUp", false), c("Power", false), c("F13", false), c("KeyA", false, "Hyper"), c("", false),
	}
}

func sealInputs() []Event {
	return []Event{
		{Seq: 1, Kind: Move, X: 0.5, Y: 0.25},
		{Seq: 2, Kind: Down, X: 0.12345, Y: 0.99999, Button: ButtonLeft},
		{Seq: 3, Kind: Up, X: 0.12345, Y: 0.99999, Button: ButtonRight},
		{Seq: 4, Kind: Wheel, X: 1, Y: 0.00001, DX: -3, DY: 20},
		{Seq: 5, Kind: KeyDown, Key: "KeyA", Mods: []string{ModCtrl, ModShift}},
		{Seq: 1 << 40, Kind: KeyUp, Key: "Enter"},
	}
}

func seqBytes(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// makeVectors computes every output from the inputs above.
func makeVectors(t *testing.T) vectors {
	t.Helper()
	v := vectors{
		Comment: "Shared by internal/remotecontrol/vector_test.go and web/test/remotecontrol.test.ts; regenerate with REMOTECONTROL_WRITE_VECTORS=1 go test ./internal/remotecontrol -run TestVectors",
		Keys:    Keys,
		Combos:  comboInputs(),
	}
	key := seqBytes(KeySize, 0x10)
	v.Seal = sealVectors{Key: hex.EncodeToString(key), Grant: "g7Hq2xZ4"}
	for _, e := range sealInputs() {
		j, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Seal(key, v.Seal.Grant, e)
		if err != nil {
			t.Fatal(err)
		}
		v.Seal.Events = append(v.Seal.Events, sealVector{Event: e, JSON: string(j), Sealed: f.Sealed})
	}
	shared := seqBytes(32, 0xa0)
	gk, err := grantKey(shared, "g7Hq2xZ4")
	if err != nil {
		t.Fatal(err)
	}
	v.HKDF = hkdfVector{Shared: hex.EncodeToString(shared), Grant: "g7Hq2xZ4", Key: hex.EncodeToString(gk)}
	pc := PairingCode{Server: "Xy3-pairing_Code9", Key: gk}
	v.Pairing = pairVector{Server: pc.Server, Key: hex.EncodeToString(gk), Code: pc.String()}
	return v
}

// grantKey is the grant key of an E2EE meeting as both pages derive it
// (docs/e2ee.md, "Remote control"): only the browsers compute it; the Go
// side has it here for the shared test vector.
func grantKey(shared []byte, grant string) ([]byte, error) {
	return hkdf.Key(sha256.New, shared, nil, string(aad(grant)), KeySize)
}

func TestVectors(t *testing.T) {
	want := makeVectors(t)
	out, err := json.MarshalIndent(want, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, '\n')
	if os.Getenv("REMOTECONTROL_WRITE_VECTORS") != "" {
		if err := os.WriteFile(vectorFile, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(vectorFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, out) {
		t.Fatalf("%s differs from what the Go side computes; regenerate it (REMOTECONTROL_WRITE_VECTORS=1) and run the web tests", vectorFile)
	}
	var got vectors
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}

	if !slices.Equal(got.Keys, Keys) {
		t.Errorf("keys differ from Keys")
	}
	for _, c := range got.Combos {
		err := CheckKey(c.Key, c.Mods)
		if (err == nil) != c.Allowed {
			t.Errorf("CheckKey(%q, %v) = %v, want allowed %v", c.Key, c.Mods, err, c.Allowed)
		}
		if kd := (Event{Kind: KeyDown, Key: c.Key, Mods: c.Mods}); (Check(kd, false) == nil) != c.Allowed {
			t.Errorf("Check keydown %q %v disagrees", c.Key, c.Mods)
		}
	}
	// A blocked combination of known keys is ErrBlockedKey, not ErrKey.
	if err := CheckKey("Delete", []string{ModCtrl, ModAlt}); !errors.Is(err, ErrBlockedKey) {
		t.Errorf("Ctrl+Alt+Delete: %v", err)
	}

	key, _ := hex.DecodeString(got.Seal.Key)
	for _, s := range got.Seal.Events {
		e, err := Open(key, got.Seal.Grant, Frame{Event: Event{Seq: s.Event.Seq}, Sealed: s.Sealed})
		if err != nil {
			t.Fatalf("open %d: %v", s.Event.Seq, err)
		}
		if j, _ := json.Marshal(e); string(j) != s.JSON {
			t.Errorf("opened %s, want %s", j, s.JSON)
		}
		if err := Check(e, false); err != nil {
			t.Errorf("vector event %s refused: %v", s.JSON, err)
		}
		if _, err := Open(key, got.Seal.Grant+"x", Frame{Event: Event{Seq: s.Event.Seq}, Sealed: s.Sealed}); err == nil {
			t.Errorf("sealed %d opened under another grant", s.Event.Seq)
		}
		if _, err := Open(key, got.Seal.Grant, Frame{Event: Event{Seq: s.Event.Seq + 1}, Sealed: s.Sealed}); err == nil {
			t.Errorf("sealed %d opened at another seq", s.Event.Seq)
		}
	}

	pc, err := ParsePairingCode(got.Pairing.Code)
	if err != nil || pc.Server != got.Pairing.Server || hex.EncodeToString(pc.Key) != got.Pairing.Key {
		t.Errorf("pairing code %q parsed to %+v, %v", got.Pairing.Code, pc, err)
	}
}
