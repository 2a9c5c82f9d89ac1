package relay

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/conclave-meet/conclave/internal/remotecontrol"
)

// Refusals of a frame, besides remotecontrol.Check's.
var (
	errFrameSize = errors.New("relay: frame too large")
	errPlain     = errors.New("relay: this meeting is end-to-end encrypted: events must come sealed")
	errSealed    = errors.New("relay: this meeting is not end-to-end encrypted: events must come plain")
	errSealedBad = errors.New("relay: sealed event damaged")
)

// decodeFrame parses one frame from the controller's page: at most
// maxFrameBytes of one JSON object with no unknown fields.
func decodeFrame(b []byte) (remotecontrol.Frame, error) {
	var f remotecontrol.Frame
	if len(b) > maxFrameBytes {
		return f, fmt.Errorf("%w: %d bytes", errFrameSize, len(b))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return remotecontrol.Frame{}, fmt.Errorf("relay: bad frame: %w", err)
	}
	if dec.More() {
		return remotecontrol.Frame{}, errors.New("relay: bad frame: trailing data")
	}
	return f, nil
}

// checkFrame is what the server can check of a frame without its grant's
// sequence: in an end-to-end encrypted meeting only that it is sealed,
// nothing else beside the seq, and of a size that can open; otherwise
// that it is plain and remotecontrol.Check passes it.
func checkFrame(f remotecontrol.Frame, e2ee, pointerOnly bool) error {
	if !e2ee {
		if f.Sealed != "" {
			return errSealed
		}
		return remotecontrol.Check(f.Event, pointerOnly)
	}
	if f.Sealed == "" {
		return errPlain
	}
	if !reflect.DeepEqual(f.Event, remotecontrol.Event{Seq: f.Seq}) {
		return fmt.Errorf("%w: plain fields beside the sealed event", errSealedBad)
	}
	ct, err := base64.RawURLEncoding.DecodeString(f.Sealed)
	if err != nil || len(ct) > remotecontrol.MaxEventBytes {
		return errSealedBad
	}
	return nil
}
