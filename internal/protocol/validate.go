package protocol

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/conclave-meet/conclave/internal/protocol/schema"
)

// Validate applies the proto tag rules of v's type (a struct or a pointer
// to one) to v, nested values included. The first violation, in field
// order (map entries in key order), is a bad_request *Error naming the
// JSON field, e.g. "name must be at most 256 bytes". A type whose tags are
// malformed gives a plain error: a bug, not the client's fault.
//
// The rules of each type are compiled once into checks of only the fields
// that have rules; checking a valid value allocates nothing but the sorted
// keys of maps whose entries have rules.
func Validate(v any) error {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return fmt.Errorf("protocol: validate a nil %T", v)
		}
		rv = rv.Elem()
	}
	if !rv.IsValid() {
		return fmt.Errorf("protocol: validate %T", v)
	}
	p, err := planOf(rv.Type())
	if err != nil {
		return err
	}
	if bad := p.check(rv); bad != nil {
		return &Error{Code: CodeBadRequest, Message: bad.path + " " + bad.msg}
	}
	return nil
}

// violation is a broken rule, with the path to the value that broke it,
// built on the way back up only when there is one.
type violation struct{ path, msg string }

func (b *violation) under(prefix string) *violation {
	switch {
	case b.path == "":
		b.path = prefix
	case b.path[0] == '[':
		b.path = prefix + b.path
	default:
		b.path = prefix + "." + b.path
	}
	return b
}

// check checks one value; nil means nothing to check at all.
type check func(v reflect.Value) *violation

// plan checks one struct type.
type plan struct {
	fields []fieldCheck
	done   bool // compiled; false while its own fields refer back to it
}

type fieldCheck struct {
	index int
	name  string
	check check
}

func (p *plan) check(v reflect.Value) *violation {
	for _, f := range p.fields {
		if bad := f.check(v.Field(f.index)); bad != nil {
			return bad.under(f.name)
		}
	}
	return nil
}

var plans sync.Map // reflect.Type → *plan

func planOf(t reflect.Type) (*plan, error) {
	if p, ok := plans.Load(t); ok {
		return p.(*plan), nil
	}
	s, err := schema.Of(t)
	if err != nil {
		return nil, err
	}
	p := compileStruct(s, map[*schema.Struct]*plan{})
	actual, _ := plans.LoadOrStore(t, p)
	return actual.(*plan), nil
}

// compileStruct builds a struct's plan; seen ends recursion for types
// that contain themselves.
func compileStruct(s *schema.Struct, seen map[*schema.Struct]*plan) *plan {
	if p, ok := seen[s]; ok {
		return p
	}
	p := &plan{}
	seen[s] = p
	for _, f := range s.Fields {
		if c := compile(f.Node, seen); c != nil {
			p.fields = append(p.fields, fieldCheck{index: f.Index, name: f.JSON, check: c})
		}
	}
	p.done = true
	return p
}

func compile(n *schema.Node, seen map[*schema.Struct]*plan) check {
	r := n.Rules
	switch n.Kind {
	case schema.KindString:
		if r.Empty() {
			return nil
		}
		return func(v reflect.Value) *violation { return checkString(r, v.String()) }
	case schema.KindInt:
		if r.Empty() {
			return nil
		}
		return func(v reflect.Value) *violation { return checkInt(r, intOf(v)) }
	case schema.KindPointer:
		elem := compile(n.Elem, seen)
		if elem == nil && !r.Required {
			return nil
		}
		return func(v reflect.Value) *violation {
			if v.IsNil() {
				if r.Required {
					return &violation{msg: "is required"}
				}
				return nil
			}
			if elem == nil {
				return nil
			}
			return elem(v.Elem())
		}
	case schema.KindSlice:
		return compileSlice(r, compile(n.Elem, seen))
	case schema.KindMap:
		return compileMap(r, compile(n.Elem, seen))
	case schema.KindStruct:
		p := compileStruct(n.Struct, seen)
		if p.done && len(p.fields) == 0 {
			return nil
		}
		return p.check // maybe still filling in: a type that contains itself
	}
	return nil // Bool, Time: no rules
}

func compileSlice(r schema.Rules, elem check) check {
	if r.Empty() && elem == nil {
		return nil
	}
	return func(v reflect.Value) *violation {
		if bad := checkCount(r, v.Len()); bad != nil {
			return bad
		}
		if elem == nil {
			return nil
		}
		for i := range v.Len() {
			if bad := elem(v.Index(i)); bad != nil {
				return bad.under("[" + strconv.Itoa(i) + "]")
			}
		}
		return nil
	}
}

func compileMap(r schema.Rules, elem check) check {
	if r.Empty() && elem == nil {
		return nil
	}
	return func(v reflect.Value) *violation {
		if bad := checkCount(r, v.Len()); bad != nil {
			return bad
		}
		if r.KeyMax == 0 && elem == nil {
			return nil
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			if r.KeyMax > 0 && len(k.String()) > r.KeyMax {
				return &violation{msg: fmt.Sprintf("keys must be at most %d bytes", r.KeyMax)}
			}
			if elem == nil {
				continue
			}
			if bad := elem(v.MapIndex(k)); bad != nil {
				return bad.under("[" + strconv.Quote(truncate(k.String(), 16)) + "]")
			}
		}
		return nil
	}
}
