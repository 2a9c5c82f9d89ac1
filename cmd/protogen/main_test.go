package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/protocol"
	"github.com/conclave-meet/conclave/internal/protocol/schema"
)

// TestOutputsFresh fails when web/src/wire.gen.ts or the generated part of
// docs/protocol.md differs from what the registry generates now.
func TestOutputsFresh(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	outs, err := generate(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		old, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(o.path)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(old, o.data) {
			t.Errorf("%s is stale: run `go generate ./internal/protocol`", o.path)
		}
	}
	again, err := generate(root)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(outs, again) {
		t.Error("two runs generate different output")
	}
}

func TestCheckNamesStaleFile(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{tsFile, docFile} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	doc := "# Protocol\n\nhand-written\n\n" + beginMarker + "\nold\n" + endMarker + "\n\ntail\n"
	if err := os.WriteFile(filepath.Join(root, docFile), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run(root, true)
	if err == nil || !strings.Contains(err.Error(), tsFile) || !strings.Contains(err.Error(), docFile) {
		t.Fatalf("run -check on stale files = %v, want both named", err)
	}
	if err := run(root, false); err != nil {
		t.Fatal(err)
	}
	if err := run(root, true); err != nil {
		t.Fatalf("run -check after generating = %v", err)
	}
	got, _ := os.ReadFile(filepath.Join(root, docFile))
	if !strings.HasPrefix(string(got), "# Protocol\n\nhand-written\n\n"+beginMarker+"\n") ||
		!strings.HasSuffix(string(got), endMarker+"\n\ntail\n") || strings.Contains(string(got), "\nold\n") {
		t.Errorf("splice changed the hand-written parts:\n%s", got)
	}
}

func TestSpliceNeedsMarkers(t *testing.T) {
	for _, doc := range []string{
		"no markers",
		beginMarker + " only",
		endMarker + "\n" + beginMarker,
		beginMarker + beginMarker + endMarker,
	} {
		if _, err := splice([]byte(doc), "x"); err == nil {
			t.Errorf("splice(%q) accepted", doc)
		}
	}
}

// TestZeroValid checks the generator's reading of the rules (which fields
// the TypeScript makes optional) against protocol.Validate.
func TestZeroValid(t *testing.T) {
	m, err := load()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range m.structs {
		for _, f := range s.Fields {
			v := reflect.New(s.Type).Elem()
			fill(v, s, f.Index)
			err := protocol.Validate(v.Interface())
			if zeroValid(f.Node) != (err == nil) {
				t.Errorf("%s.%s: zeroValid %v, Validate of its zero value: %v", s.Name, f.GoName, zeroValid(f.Node), err)
			}
		}
	}
}

// fill sets every field of v but skip to a value that passes its rules,
// the first fixture-like value the rules allow.
func fill(v reflect.Value, s *schema.Struct, skip int) {
	for _, f := range s.Fields {
		if f.Index != skip {
			fillNode(v.Field(f.Index), f.Node)
		}
	}
}

func fillNode(v reflect.Value, n *schema.Node) {
	r := n.Rules
	switch n.Kind {
	case schema.KindString:
		switch {
		case r.Enum != nil:
			v.SetString(r.Enum[len(r.Enum)-1])
		default:
			v.SetString(strings.Repeat("x", int(max(r.Min, 1))))
		}
	case schema.KindInt:
		x := max(r.Min, 0)
		if v.CanInt() {
			v.SetInt(x)
		} else {
			v.SetUint(uint64(x))
		}
	case schema.KindPointer:
		v.Set(reflect.New(n.Type.Elem()))
		fillNode(v.Elem(), n.Elem)
	case schema.KindSlice:
		v.Set(reflect.MakeSlice(n.Type, int(max(r.Min, 1)), int(max(r.Min, 1))))
		for i := range v.Len() {
			fillNode(v.Index(i), n.Elem)
		}
	case schema.KindMap:
		v.Set(reflect.MakeMap(n.Type))
		e := reflect.New(n.Type.Elem()).Elem()
		fillNode(e, n.Elem)
		v.SetMapIndex(reflect.ValueOf("k").Convert(n.Type.Key()), e)
	case schema.KindStruct:
		fill(v, n.Struct, -1)
	}
}

func TestTypeScriptTypes(t *testing.T) {
	m, err := load()
	if err != nil {
		t.Fatal(err)
	}
	ts := typeScript(m)
	for _, want := range []string{
		"export interface ClientMessages {",
		"export interface ServerMessages {",
		"  tracks: Record<string, 'audio' | 'camera' | 'screen'>;",
		"  sdpMLineIndex?: number | null;",
		"  screen_share?: '' | 'presenters' | 'everyone';",
		"  reason: ByeReason;",
		"  code: ErrorCode;",
		"  reconnecting: boolean;",
		"export type Ping = Record<string, never>;",
		"export function decodeWelcome(data: unknown): Decoded<Welcome> {",
		"{ j: 'sdpMLineIndex', f: 'sdpmlineindex', t: { k: 'p', e: { k: 'i', lo: 0, hx: 65536, u: true } } }",
	} {
		if !strings.Contains(ts, want) {
			t.Errorf("wire.gen.ts lacks %q", want)
		}
	}
	if strings.Count(ts, "export function decodeICE(") != 1 {
		t.Error("decodeICE generated other than once (ice is in both directions)")
	}
}
