package schema

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// parseRules reads a proto tag.
func parseRules(tag string) (Rules, error) {
	var r Rules
	if tag == "" {
		return r, nil
	}
	seen := map[string]bool{}
	for part := range strings.SplitSeq(tag, ",") {
		key, val, hasVal := strings.Cut(part, "=")
		if seen[key] {
			return r, fmt.Errorf("proto tag %q: %s given twice", tag, key)
		}
		seen[key] = true
		switch key {
		case "required":
			if hasVal {
				return r, fmt.Errorf("proto tag %q: required takes no value", tag)
			}
			r.Required = true
		case "min", "max", "keymax":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || !hasVal {
				return r, fmt.Errorf("proto tag %q: %s needs an integer", tag, key)
			}
			switch key {
			case "min":
				r.HasMin, r.Min = true, n
			case "max":
				r.HasMax, r.Max = true, n
			default:
				if n <= 0 || n > 1<<30 {
					return r, fmt.Errorf("proto tag %q: keymax must be positive", tag)
				}
				r.KeyMax = int(n)
			}
		case "enum":
			if val == "" {
				return r, fmt.Errorf("proto tag %q: enum needs values", tag)
			}
			r.Enum = strings.Split(val, "|")
			sorted := slices.Clone(r.Enum)
			slices.Sort(sorted)
			if len(slices.Compact(sorted)) != len(r.Enum) {
				return r, fmt.Errorf("proto tag %q: enum lists a value twice", tag)
			}
		default:
			return r, fmt.Errorf("proto tag %q: unknown rule %q", tag, key)
		}
	}
	if r.HasMin && r.HasMax && r.Min > r.Max {
		return r, fmt.Errorf("proto tag %q: min is above max", tag)
	}
	return r, nil
}

// apply puts the rules of a field's tag on the node they check.
func apply(n *Node, r Rules) error {
	if r.Empty() {
		return nil
	}
	if n.Kind == KindPointer {
		n.Rules.Required, r.Required = r.Required, false
		if r.Empty() {
			return nil
		}
		n = n.Elem
	}
	switch n.Kind {
	case KindString:
		if r.KeyMax != 0 {
			return errors.New("keymax applies to maps only")
		}
	case KindInt:
		if r.Required || r.Enum != nil || r.KeyMax != 0 {
			return errors.New("an integer takes only min and max")
		}
	case KindSlice, KindMap:
		if r.KeyMax != 0 && n.Kind != KindMap {
			return errors.New("keymax applies to maps only")
		}
		if r.Enum != nil {
			if n.Elem.Kind != KindString {
				return errors.New("enum on a slice or map needs string elements")
			}
			n.Elem.Rules.Enum, r.Enum = r.Enum, nil
		}
	default:
		return fmt.Errorf("a %v takes no rules", n.Kind)
	}
	n.Rules = r
	return nil
}

// jsonName returns the field's JSON name ("" for json:"-") and whether it
// is omitted when empty.
func jsonName(sf reflect.StructField) (string, bool, error) {
	tag, ok := sf.Tag.Lookup("json")
	if tag == "-" {
		return "", false, nil
	}
	if !ok {
		return "", false, errors.New("needs a json tag")
	}
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		return "", false, errors.New("needs a json name")
	}
	omit := false
	for o := range strings.SplitSeq(opts, ",") {
		switch o {
		case "":
		case "omitempty":
			omit = true
		default:
			return "", false, fmt.Errorf("json option %q is not supported", o)
		}
	}
	return name, omit, nil
}

// Fold maps a JSON key to the field name it selects: encoding/json matches
// keys to fields case-insensitively, with Unicode simple folding, under
// which only U+017F (ſ) and U+212A (Kelvin sign) fold to ASCII letters.
// The generated TypeScript folds the same way.
func Fold(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case 'A' <= r && r <= 'Z':
			r += 'a' - 'A'
		case r == '\u017f': // ſ
			r = 's'
		case r == '\u212a': // Kelvin sign
			r = 'k'
		}
		b.WriteRune(r)
	}
	return b.String()
}
