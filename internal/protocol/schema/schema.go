// Package schema reads the wire description of a signalling payload type:
// its JSON field names and its `proto` validation tags. Package protocol
// validates payloads with it and cmd/protogen generates the TypeScript
// client code and the reference docs from it, so that the server, the
// browser and the docs cannot read a tag differently.
//
// Tag rules (comma-separated in a `proto:"..."` struct tag):
//
//	required   string: not empty; pointer: not null; slice, map: at least one entry
//	min=N      string: at least N bytes (UTF-8); int: at least N; slice, map: at least N entries
//	max=N      string: at most N bytes (UTF-8); int: at most N; slice, map: at most N entries
//	enum=a|b   string: one of the values; a leading | also allows the empty string.
//	           On a slice or map of strings it applies to every element.
//	keymax=N   map: every key at most N bytes
//
// On a pointer every rule but required applies to the value pointed to,
// when there is one. Supported field types: string, bool, the integer
// kinds, time.Time (an RFC 3339 string on the wire), pointers, slices,
// map[string]T and structs of these. Every exported field needs a json tag
// with a name; the only json option allowed is omitempty.
package schema

import (
	"fmt"
	"math"
	"reflect"
	"sync"
	"time"
)

// Kind is the wire kind of a value.
type Kind int

// Kinds of values.
const (
	KindString Kind = iota + 1
	KindBool
	KindInt
	KindTime
	KindPointer
	KindSlice
	KindMap
	KindStruct
)

var kindNames = [...]string{KindString: "string", KindBool: "bool", KindInt: "int", KindTime: "time", KindPointer: "pointer", KindSlice: "slice", KindMap: "map", KindStruct: "struct"}

func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Rules are the checks of one value, from its field's proto tag.
type Rules struct {
	Required       bool
	HasMin, HasMax bool
	Min, Max       int64
	// Enum lists the allowed strings; nil allows any. "" in it allows the
	// empty string.
	Enum   []string
	KeyMax int // map keys, in bytes; 0: no limit
}

// Empty reports whether there is nothing to check.
func (r Rules) Empty() bool {
	return !r.Required && !r.HasMin && !r.HasMax && r.Enum == nil && r.KeyMax == 0
}

// Node describes one value: a field, or an element of a slice or map.
type Node struct {
	Kind  Kind
	Type  reflect.Type
	Rules Rules
	// Lo and Hi are an Int's range, from its Go type.
	Lo int64
	Hi uint64
	// Elem is what a Pointer points to, or a Slice's or Map's elements.
	Elem *Node
	// Struct is a Struct's description.
	Struct *Struct
}

// Struct describes a struct type.
type Struct struct {
	Type   reflect.Type
	Name   string // the Go type name
	Fields []Field
}

// Field is one field of a Struct.
type Field struct {
	GoName    string
	Index     int
	JSON      string
	OmitEmpty bool
	Tag       string // the proto tag as written
	Node      *Node
}

var timeType = reflect.TypeFor[time.Time]()

var (
	mu    sync.Mutex
	cache = map[reflect.Type]*Struct{}
)

// Of describes struct type t (or the struct a pointer type points to).
// The result is shared and must not be modified.
func Of(t reflect.Type) (*Struct, error) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == timeType {
		return nil, fmt.Errorf("schema: %v is not a struct type", t)
	}
	mu.Lock()
	defer mu.Unlock()
	if s, ok := cache[t]; ok {
		return s, nil
	}
	b := builder{pending: map[reflect.Type]*Struct{}}
	s, err := b.structOf(t)
	if err != nil {
		return nil, err
	}
	for k, v := range b.pending {
		cache[k] = v
	}
	return s, nil
}

// builder collects the structs of one Of call, committed only if all of
// them are valid. A struct is registered before its fields are read, so
// that recursive types terminate.
type builder struct {
	pending map[reflect.Type]*Struct
}

func (b *builder) structOf(t reflect.Type) (*Struct, error) {
	if s, ok := cache[t]; ok {
		return s, nil
	}
	if s, ok := b.pending[t]; ok {
		return s, nil
	}
	if t.Name() == "" {
		return nil, fmt.Errorf("schema: anonymous struct %v: give it a name", t)
	}
	if err := noCustomJSON(t); err != nil {
		return nil, err
	}
	s := &Struct{Type: t, Name: t.Name()}
	b.pending[t] = s
	folded := map[string]string{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			return nil, fmt.Errorf("schema: %s.%s: embedded fields are not supported", t.Name(), sf.Name)
		}
		if !sf.IsExported() {
			continue
		}
		name, omit, err := jsonName(sf)
		if err != nil {
			return nil, fmt.Errorf("schema: %s.%s: %w", t.Name(), sf.Name, err)
		}
		if name == "" {
			continue // json:"-"
		}
		if other, dup := folded[Fold(name)]; dup {
			return nil, fmt.Errorf("schema: %s: json names %q and %q differ only in case", t.Name(), other, name)
		}
		folded[Fold(name)] = name
		tag := sf.Tag.Get("proto")
		rules, err := parseRules(tag)
		if err != nil {
			return nil, fmt.Errorf("schema: %s.%s: %w", t.Name(), sf.Name, err)
		}
		n, err := b.node(sf.Type)
		if err != nil {
			return nil, fmt.Errorf("schema: %s.%s: %w", t.Name(), sf.Name, err)
		}
		if err := apply(n, rules); err != nil {
			return nil, fmt.Errorf("schema: %s.%s: %w", t.Name(), sf.Name, err)
		}
		s.Fields = append(s.Fields, Field{GoName: sf.Name, Index: i, JSON: name, OmitEmpty: omit, Tag: tag, Node: n})
	}
	return s, nil
}

// node describes a value of type t, without rules.
func (b *builder) node(t reflect.Type) (*Node, error) {
	n := &Node{Type: t}
	if t == timeType {
		n.Kind = KindTime
		return n, nil
	}
	if t.Kind() != reflect.Struct && t.Kind() != reflect.Pointer {
		if err := noCustomJSON(t); err != nil {
			return nil, err
		}
	}
	switch t.Kind() {
	case reflect.String:
		n.Kind = KindString
	case reflect.Bool:
		n.Kind = KindBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n.Kind = KindInt
		n.Lo, n.Hi = math.MinInt64>>(64-t.Bits()), math.MaxInt64>>(64-t.Bits())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n.Kind = KindInt
		n.Hi = math.MaxUint64 >> (64 - t.Bits())
	case reflect.Pointer:
		n.Kind = KindPointer
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil, fmt.Errorf("%v is base64 on the wire: not supported", t)
		}
		n.Kind = KindSlice
	case reflect.Map:
		if t.Key().Kind() != reflect.String || noCustomJSON(t.Key()) != nil {
			return nil, fmt.Errorf("%v: map keys must be plain strings", t)
		}
		n.Kind = KindMap
	case reflect.Struct:
		s, err := b.structOf(t)
		if err != nil {
			return nil, err
		}
		n.Kind, n.Struct = KindStruct, s
		return n, nil
	default:
		return nil, fmt.Errorf("type %v is not supported on the wire", t)
	}
	if n.Kind == KindPointer || n.Kind == KindSlice || n.Kind == KindMap {
		if t.Elem().Kind() == reflect.Pointer && n.Kind == KindPointer {
			return nil, fmt.Errorf("%v: pointer to pointer is not supported", t)
		}
		e, err := b.node(t.Elem())
		if err != nil {
			return nil, err
		}
		n.Elem = e
	}
	return n, nil
}

type jsonMarshaler interface{ MarshalJSON() ([]byte, error) }
type jsonUnmarshaler interface{ UnmarshalJSON([]byte) error }
type textMarshaler interface{ MarshalText() ([]byte, error) }
type textUnmarshaler interface{ UnmarshalText([]byte) error }

// noCustomJSON refuses types with their own JSON or text encoding: the
// generated TypeScript could not mirror them.
func noCustomJSON(t reflect.Type) error {
	p := reflect.PointerTo(t)
	for _, it := range []reflect.Type{
		reflect.TypeFor[jsonMarshaler](), reflect.TypeFor[jsonUnmarshaler](),
		reflect.TypeFor[textMarshaler](), reflect.TypeFor[textUnmarshaler](),
	} {
		if t.Implements(it) || p.Implements(it) {
			return fmt.Errorf("%v has its own JSON or text encoding: not supported", t)
		}
	}
	return nil
}
