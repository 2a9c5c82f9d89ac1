package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"
)

// Decode decodes a payload into v (a pointer to a payload type) and
// validates it. Empty or null data decodes as {}. A payload of the wrong
// shape or one that breaks a proto tag rule is a bad_request *Error; the
// reason names JSON fields, never Go types or byte offsets.
func Decode(data json.RawMessage, v any) error {
	if len(data) == 0 || bytes.Equal(data, null) {
		data = []byte("{}")
	}
	if err := json.Unmarshal(data, v); err != nil {
		return errorf(CodeBadRequest, "invalid data: %s", jsonReason(err))
	}
	return Validate(v)
}

// DecodeClient decodes and validates the payload of a client message,
// returning a pointer to its payload type (*Hello for hello, ...). An
// unregistered type is an unknown_type *Error.
func DecodeClient(env Envelope) (any, error) {
	s, ok := LookupClient(env.Type)
	if !ok {
		return nil, errorf(CodeUnknownType, "unknown message type %q", truncate(env.Type, 32))
	}
	return decodeSpec(s, env.Data)
}

// DecodeServer is DecodeClient for server messages (Go clients, tests).
func DecodeServer(env Envelope) (any, error) {
	s, ok := LookupServer(env.Type)
	if !ok {
		return nil, errorf(CodeUnknownType, "unknown message type %q", truncate(env.Type, 32))
	}
	return decodeSpec(s, env.Data)
}

func decodeSpec(s Spec, data json.RawMessage) (any, error) {
	v := s.New()
	if err := Decode(data, v); err != nil {
		return nil, err
	}
	return v, nil
}

// jsonReason hides offsets and Go type names from clients.
func jsonReason(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tim *time.ParseError
	switch {
	case errors.As(err, &syn):
		return "syntax error"
	case errors.As(err, &typ) && typ.Field == "":
		return "data has the wrong type"
	case errors.As(err, &typ):
		return "field " + typ.Field + " has the wrong type"
	case errors.As(err, &tim):
		return "a time is not in RFC 3339 format"
	}
	return "cannot decode"
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
