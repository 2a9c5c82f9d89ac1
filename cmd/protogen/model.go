package main

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"

	"github.com/conclave-meet/conclave/internal/protocol"
	"github.com/conclave-meet/conclave/internal/protocol/schema"
)

// model is the registry as the generators see it.
type model struct {
	client, server []message
	// structs lists every struct type once, dependencies first within the
	// order the messages name them.
	structs []*schema.Struct
	// fromClient holds the structs a client message contains: the client
	// composes them, so their fields that may be left out are optional.
	fromClient map[*schema.Struct]bool
}

type message struct {
	spec protocol.Spec
	st   *schema.Struct
}

var jsonIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func load() (*model, error) {
	m := &model{fromClient: map[*schema.Struct]bool{}}
	seen := map[*schema.Struct]bool{}
	names := map[string]reflect.Type{}
	var visit func(s *schema.Struct, client bool) error
	visit = func(s *schema.Struct, client bool) error {
		if client {
			if m.fromClient[s] {
				return nil
			}
			m.fromClient[s] = true
		}
		first := !seen[s]
		seen[s] = true
		if t, dup := names[s.Name]; dup && t != s.Type {
			return fmt.Errorf("two types are named %s: %v and %v", s.Name, t, s.Type)
		}
		names[s.Name] = s.Type
		for _, f := range s.Fields {
			if !jsonIdent.MatchString(f.JSON) || f.JSON == "__proto__" {
				return fmt.Errorf("%s.%s: json name %q is not a plain identifier", s.Name, f.GoName, f.JSON)
			}
			for _, inner := range structsIn(f.Node) {
				if err := visit(inner, client); err != nil {
					return err
				}
			}
		}
		if first {
			m.structs = append(m.structs, s)
		}
		return nil
	}
	for _, spec := range protocol.Messages() {
		s, err := schema.Of(reflect.TypeOf(spec.New()))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", spec.Type, err)
		}
		if err := visit(s, spec.Dir == protocol.ClientToServer); err != nil {
			return nil, err
		}
		msg := message{spec: spec, st: s}
		if spec.Dir == protocol.ClientToServer {
			m.client = append(m.client, msg)
		} else {
			m.server = append(m.server, msg)
		}
	}
	return m, nil
}

// structsIn lists the structs directly inside a field's value.
func structsIn(n *schema.Node) []*schema.Struct {
	for n.Elem != nil {
		n = n.Elem
	}
	if n.Struct != nil {
		return []*schema.Struct{n.Struct}
	}
	return nil
}

// zeroValid reports whether the zero value (the field left out) passes
// the node's rules.
func zeroValid(n *schema.Node) bool {
	r := n.Rules
	minOK := !r.HasMin || r.Min <= 0
	switch n.Kind {
	case schema.KindString:
		return !r.Required && minOK && (r.Enum == nil || slices.Contains(r.Enum, ""))
	case schema.KindInt:
		return minOK && (!r.HasMax || r.Max >= 0)
	case schema.KindPointer:
		return !r.Required
	case schema.KindSlice, schema.KindMap:
		return !r.Required && minOK
	case schema.KindStruct:
		return structZeroValid(n.Struct, map[*schema.Struct]bool{})
	}
	return true
}

func structZeroValid(s *schema.Struct, visiting map[*schema.Struct]bool) bool {
	if visiting[s] {
		return true
	}
	visiting[s] = true
	for _, f := range s.Fields {
		if f.Node.Kind == schema.KindStruct {
			if !structZeroValid(f.Node.Struct, visiting) {
				return false
			}
		} else if !zeroValid(f.Node) {
			return false
		}
	}
	return true
}
