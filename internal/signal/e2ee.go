package signal

import (
	"context"
	"errors"

	"github.com/conclave-meet/conclave/internal/protocol"
	"github.com/conclave-meet/conclave/internal/room"
)

// End-to-end encryption keys (docs/e2ee.md) pass through here and the
// room only: never logged, stored or audited. Errors name no key.

func onE2EEPubKey(_ context.Context, c *conn, d *protocol.E2EEPubKey) error {
	return e2eeError(c.member.PublishE2EEKey(d.SPKI))
}

func onE2EEKey(_ context.Context, c *conn, d *protocol.E2EEKey) error {
	return e2eeError(c.member.SendE2EEKey(d.To, d.Wrapped))
}

func e2eeError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, room.ErrE2EEOff):
		return protoErr(protocol.CodeForbidden, "this meeting is not end-to-end encrypted")
	case errors.Is(err, room.ErrNotFound):
		return protoErr(protocol.CodeNotFound, "no such participant in this meeting")
	}
	return roomError(err)
}
