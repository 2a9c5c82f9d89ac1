package schema

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

type inner struct {
	S string `json:"s" proto:"required"`
}

type sample struct {
	Name   string            `json:"name" proto:"required,max=8"`
	Count  int16             `json:"count,omitempty" proto:"min=-1,max=9"`
	Index  *uint16           `json:"index" proto:"required,max=3"`
	Tags   []string          `json:"tags" proto:"max=2,enum=|a|b"`
	Tracks map[string]inner  `json:"tracks" proto:"keymax=4"`
	When   time.Time         `json:"when"`
	Inner  *inner            `json:"inner"`
	Skip   string            `json:"-"`
	hidden string            // unexported: not on the wire
	Plain  map[string]string `json:"plain"`
}

func TestOf(t *testing.T) {
	s, err := Of(reflect.TypeFor[*sample]())
	if err != nil {
		t.Fatal(err)
	}
	_ = sample{hidden: "x"}
	if s.Name != "sample" || len(s.Fields) != 8 {
		t.Fatalf("Of(sample) = %s with %d fields", s.Name, len(s.Fields))
	}
	byName := map[string]Field{}
	for _, f := range s.Fields {
		byName[f.JSON] = f
	}
	if f := byName["name"]; f.Node.Kind != KindString || !f.Node.Rules.Required || f.Node.Rules.Max != 8 {
		t.Errorf("name: %+v", f.Node)
	}
	if f := byName["count"]; f.Node.Kind != KindInt || !f.OmitEmpty || f.Node.Lo != -32768 || f.Node.Hi != 32767 || f.Node.Rules.Min != -1 {
		t.Errorf("count: %+v", f.Node)
	}
	if f := byName["index"]; !f.Node.Rules.Required || f.Node.Elem.Rules.Required || f.Node.Elem.Rules.Max != 3 || f.Node.Elem.Hi != 65535 {
		t.Errorf("index: pointer %+v, elem %+v", f.Node.Rules, f.Node.Elem.Rules)
	}
	if f := byName["tags"]; f.Node.Rules.Max != 2 || f.Node.Rules.Enum != nil || !slices.Equal(f.Node.Elem.Rules.Enum, []string{"", "a", "b"}) {
		t.Errorf("tags: %+v, elem %+v", f.Node.Rules, f.Node.Elem.Rules)
	}
	if f := byName["tracks"]; f.Node.Rules.KeyMax != 4 || f.Node.Elem.Struct == nil || f.Node.Elem.Struct.Name != "inner" {
		t.Errorf("tracks: %+v", f.Node)
	}
	if f := byName["when"]; f.Node.Kind != KindTime {
		t.Errorf("when: %v", f.Node.Kind)
	}
	again, _ := Of(reflect.TypeFor[sample]())
	if again != s {
		t.Error("Of is not cached")
	}
}

func TestOfRefuses(t *testing.T) {
	type noTag struct{ S string }
	type badOption struct {
		S string `json:"s,string"`
	}
	type unknownRule struct {
		S string `json:"s" proto:"pattern=x"`
	}
	type enumOnInt struct {
		N int `json:"n" proto:"enum=1|2"`
	}
	type requiredBool struct {
		B bool `json:"b" proto:"required"`
	}
	type minAboveMax struct {
		S string `json:"s" proto:"min=3,max=2"`
	}
	type twice struct {
		S string `json:"s" proto:"max=1,max=2"`
	}
	type dupEnum struct {
		S string `json:"s" proto:"enum=a|a"`
	}
	type keymaxOnSlice struct {
		L []string `json:"l" proto:"keymax=2"`
	}
	type enumOnStructs struct {
		L []inner `json:"l" proto:"enum=a"`
	}
	type caseTwins struct {
		A string `json:"name"`
		B string `json:"Name"`
	}
	type float struct {
		F float64 `json:"f"`
	}
	type bytes struct {
		B []byte `json:"b"`
	}
	type intKeys struct {
		M map[int]string `json:"m"`
	}
	type embedded struct {
		inner
	}
	type custom struct {
		D time.Duration `json:"d"`
		R rawish        `json:"r"`
	}
	type anon struct {
		A struct {
			X string `json:"x"`
		} `json:"a"`
	}
	for _, v := range []any{noTag{}, badOption{}, unknownRule{}, enumOnInt{}, requiredBool{}, minAboveMax{}, twice{},
		dupEnum{}, keymaxOnSlice{}, enumOnStructs{}, caseTwins{}, float{}, bytes{}, intKeys{}, embedded{}, custom{}, anon{}, 5} {
		if s, err := Of(reflect.TypeOf(v)); err == nil {
			t.Errorf("Of(%T) = %+v, want an error", v, s)
		}
	}
}

type rawish string

func (rawish) MarshalText() ([]byte, error) { return nil, nil }

func TestRecursive(t *testing.T) {
	type node struct {
		Name     string  `json:"name" proto:"required"`
		Children []*node `json:"children"`
	}
	s, err := Of(reflect.TypeFor[node]())
	if err != nil {
		t.Fatal(err)
	}
	if s.Fields[1].Node.Elem.Elem.Struct != s {
		t.Error("recursive type not linked to itself")
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"sdpMLineIndex": "sdpmlineindex", "TYPE": "type", "\u017fource": "source", "loc\u212aed": "locked", "é": "é", "ß": "ß",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}
