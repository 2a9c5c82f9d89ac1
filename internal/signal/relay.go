package signal

import (
	"time"

	"github.com/conclave-meet/conclave/internal/protocol"
)

// Relay hands admitted participants credentials for the embedded TURN
// server and takes them back when they go (package turn's Server). Credentials are worth something only while their
// participant is in the meeting; the connection renews them before they
// expire so that an ICE restart late in a long meeting still finds a relay.
type Relay interface {
	// Grant returns one participant's TURN URLs and credential, and when
	// to renew them (zero: never). It must be cheap: it runs under the
	// connection's lock.
	Grant(participantID string) (urls []string, username, credential string, renewIn time.Duration)
	// Revoke withdraws the participant's credentials and ends their relays.
	Revoke(participantID string)
}

// grantRelay issues the admitted participant's ICE servers and arms their
// renewal. Called from Admitted, under the room lock: Grant is cheap.
func (c *conn) grantRelay(participantID string) []protocol.ICEServer {
	relay := c.h.opts.Relay
	if relay == nil {
		return []protocol.ICEServer{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.final {
		return []protocol.ICEServer{}
	}
	servers, renewIn := grantICE(relay, participantID)
	c.relayID = participantID
	c.armRenewLocked(renewIn)
	return servers
}

func grantICE(relay Relay, participantID string) ([]protocol.ICEServer, time.Duration) {
	urls, user, cred, renewIn := relay.Grant(participantID)
	return []protocol.ICEServer{{URLs: urls, Username: user, Credential: cred}}, renewIn
}

func (c *conn) armRenewLocked(in time.Duration) {
	if c.renew != nil {
		c.renew.Stop()
		c.renew = nil
	}
	if in > 0 {
		c.renew = time.AfterFunc(in, c.renewRelay)
	}
}

// renewRelay sends fresh credentials and arms the next renewal. Granting
// and revoking both happen under c.mu, so a renewal racing the connection's
// end cannot hand out a credential after it was revoked.
func (c *conn) renewRelay() {
	c.mu.Lock()
	if c.relayID == "" || c.final {
		c.mu.Unlock()
		return
	}
	servers, next := grantICE(c.h.opts.Relay, c.relayID)
	c.armRenewLocked(next)
	c.mu.Unlock()
	c.event("ice_servers", protocol.ICEServers{ICEServers: servers})
}

// revokeRelay ends the participant's relay credentials: on leave, removal,
// the meeting's end or a dropped connection, whichever comes first.
func (c *conn) revokeRelay() {
	c.mu.Lock()
	id := c.relayID
	c.relayID = ""
	c.armRenewLocked(0)
	c.mu.Unlock()
	if id != "" {
		c.h.opts.Relay.Revoke(id)
	}
}
