package protocol

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/conclave-meet/conclave/internal/protocol/schema"
)

// The rule checks. Their messages follow the JSON field name (added by
// the caller) and are the same in the generated TypeScript.

func checkString(r schema.Rules, s string) *violation {
	switch {
	case r.Required && s == "":
		return &violation{msg: "is required"}
	case r.HasMin && int64(len(s)) < r.Min:
		return &violation{msg: fmt.Sprintf("must be at least %d bytes", r.Min)}
	case r.HasMax && int64(len(s)) > r.Max:
		return &violation{msg: fmt.Sprintf("must be at most %d bytes", r.Max)}
	case r.Enum != nil && !slices.Contains(r.Enum, s):
		return &violation{msg: enumMessage(r.Enum)}
	}
	return nil
}

// enumMessage is "must be one of a, b" or "must be empty or one of a, b".
func enumMessage(enum []string) string {
	var vals []string
	empty := false
	for _, e := range enum {
		if e == "" {
			empty = true
			continue
		}
		vals = append(vals, e)
	}
	if empty {
		return "must be empty or one of " + strings.Join(vals, ", ")
	}
	return "must be one of " + strings.Join(vals, ", ")
}

func checkInt(r schema.Rules, n int64) *violation {
	switch {
	case r.HasMin && n < r.Min:
		return &violation{msg: fmt.Sprintf("must be at least %d", r.Min)}
	case r.HasMax && n > r.Max:
		return &violation{msg: fmt.Sprintf("must be at most %d", r.Max)}
	}
	return nil
}

// checkCount checks the number of entries of a slice or map.
func checkCount(r schema.Rules, n int) *violation {
	switch {
	case r.Required && n == 0:
		return &violation{msg: "is required"}
	case r.HasMin && int64(n) < r.Min:
		return &violation{msg: fmt.Sprintf("must have at least %d %s", r.Min, entries(r.Min))}
	case r.HasMax && int64(n) > r.Max:
		return &violation{msg: fmt.Sprintf("must have at most %d %s", r.Max, entries(r.Max))}
	}
	return nil
}

func entries(n int64) string {
	if n == 1 {
		return "entry"
	}
	return "entries"
}

// intOf reads any integer kind; unsigned values above MaxInt64 (only
// uint64 can hold them) are clamped, which no min or max can tell apart.
func intOf(v reflect.Value) int64 {
	if v.CanInt() {
		return v.Int()
	}
	u := v.Uint()
	if u > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(u)
}
