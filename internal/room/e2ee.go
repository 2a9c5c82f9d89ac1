package room

import "errors"

// End-to-end encryption (docs/e2ee.md): in an E2EE meeting the clients
// encrypt every frame with keys the server never sees. The room only
// relays what the keys need: each participant's public key to everyone,
// and each wrapped media key to its one recipient. It keeps the public
// keys in memory for late joiners and nowhere else.

// ErrE2EEOff: the meeting is not end-to-end encrypted.
var ErrE2EEOff = errors.New("room: this meeting is not end-to-end encrypted")

// E2EEKeyPublished gives a member another participant's public key.
type E2EEKeyPublished struct {
	Participant string
	SPKI        string
}

// E2EEKeyDelivered gives a member a media key wrapped for it by From.
type E2EEKeyDelivered struct {
	From    string
	Wrapped string
}

func (E2EEKeyPublished) roomEvent() {}
func (E2EEKeyDelivered) roomEvent() {}

// PublishE2EEKey sets mb's public key for this stay and gives it to
// everyone else in the meeting; a new key replaces the old one (the
// clients flag the change).
func (mb *Member) PublishE2EEKey(spki string) error {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.settings.E2EE {
		return ErrE2EEOff
	}
	if r.members[mb.info.ID] != mb {
		return ErrNotFound
	}
	mb.e2eeKey = spki
	for _, id := range r.order {
		if id != mb.info.ID {
			r.members[id].events.Deliver(E2EEKeyPublished{Participant: mb.info.ID, SPKI: spki})
		}
	}
	return nil
}

// SendE2EEKey delivers a media key wrapped for one admitted participant
// of the meeting, stamped with the sender's ID.
func (mb *Member) SendE2EEKey(to, wrapped string) error {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.settings.E2EE {
		return ErrE2EEOff
	}
	t := r.members[to]
	if r.members[mb.info.ID] != mb || t == nil || t == mb {
		return ErrNotFound
	}
	t.events.Deliver(E2EEKeyDelivered{From: mb.info.ID, Wrapped: wrapped})
	return nil
}

// e2eeJoinedLocked gives a member who was just admitted the public keys
// published so far.
func (r *Room) e2eeJoinedLocked(mb *Member) {
	if !r.settings.E2EE {
		return
	}
	for _, id := range r.order {
		if o := r.members[id]; o != mb && o.e2eeKey != "" {
			mb.events.Deliver(E2EEKeyPublished{Participant: id, SPKI: o.e2eeKey})
		}
	}
}
