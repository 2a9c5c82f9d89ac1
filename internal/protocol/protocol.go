// Package protocol is the one definition of Conclave's signalling wire
// format (docs/protocol.md): the envelope, every message in both directions
// with its payload type, the error codes and bye reasons, and the limits a
// payload must meet before a handler sees it.
//
// Payload types are plain structs. Their json tags give the wire names and
// their proto tags the checks that Decode applies (package schema documents
// the rules). cmd/protogen reads the registry (Messages) by reflection and
// generates the browser's types and validators (web/src/wire.gen.ts) and the
// message reference in docs/protocol.md, so adding a message means adding a
// type and a Spec here, running `go generate ./internal/protocol` and adding
// fixtures to testdata/fixtures.json, which the Go and TypeScript tests share.
//
// What a tag cannot say simply (rules across fields, rules that depend on
// the meeting or on the sender) stays with the handlers.
package protocol

//go:generate go run ../../cmd/protogen

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// Version is the protocol version this server speaks.
const Version = 1

// MaxMessageSize is the largest frame accepted from a client.
const MaxMessageSize = 64 << 10

// MaxChatCiphertext bounds an end-to-end encrypted chat message once
// decoded (docs/e2ee.md, "Chat"): the longest text (2000 characters, at
// most 8000 bytes, padded), its tag and header, and a wrapped message key
// for each of 50 recipients and the sender fit. Base64url makes it at
// most 21846 characters (the ciphertext fields' max).
const MaxChatCiphertext = 16 << 10

// Envelope is one protocol message. Seq is chosen by the client on its
// messages (echoed as ref in an error) and, after entry, numbered by the
// server on its own (for resume).
type Envelope struct {
	Type string          `json:"type"`
	Seq  int64           `json:"seq,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

var null = []byte("null")

// Parse decodes one frame into an envelope. It checks the envelope only:
// the frame must be UTF-8, a JSON object with a non-empty type, and data,
// if present, an object or null. Payloads are decoded by Decode.
func Parse(frame []byte) (Envelope, error) {
	var env Envelope
	if !utf8.Valid(frame) {
		return env, errorf(CodeBadJSON, "frame is not UTF-8")
	}
	trimmed := bytes.TrimSpace(frame)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return env, errorf(CodeBadJSON, "frame is not a JSON object")
	}
	if err := json.Unmarshal(trimmed, &env); err != nil {
		return Envelope{}, errorf(CodeBadJSON, "invalid JSON: %v", jsonReason(err))
	}
	if env.Type == "" {
		return env, errorf(CodeBadJSON, "message has no type")
	}
	if len(env.Data) > 0 && !bytes.Equal(env.Data, null) && env.Data[0] != '{' {
		return env, errorf(CodeBadRequest, "data must be an object")
	}
	return env, nil
}

// Encode builds a frame: type typ, sequence number seq (0: none) and
// payload data (nil: none). It does not validate data.
func Encode(typ string, seq int64, data any) ([]byte, error) {
	if typ == "" {
		return nil, errors.New("protocol: encode: empty message type")
	}
	env := Envelope{Type: typ, Seq: seq}
	if data != nil {
		raw, err := json.Marshal(data)
		if err != nil {
			return nil, err
		}
		env.Data = raw
	}
	return json.Marshal(env)
}
