package room

// EndMeeting ends the live meeting id for everyone (they are told
// ReasonMeetingEnded), as when its host deletes it. It reports whether the
// meeting was live.
func (m *Manager) EndMeeting(id string) bool { return m.end(id, ReasonMeetingEnded) }

// MoveMeeting ends this node's copy of the live meeting id because the
// meeting now runs on another node of the cluster (its lease was taken
// over): everyone is told ReasonMoved and joins again, landing on the
// meeting's new node. It reports whether the meeting was live here.
func (m *Manager) MoveMeeting(id string) bool { return m.end(id, ReasonMoved) }

// Live reports whether meeting id is live on this node.
func (m *Manager) Live(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rooms[id] != nil
}

func (m *Manager) end(id, reason string) bool {
	m.mu.Lock()
	r := m.rooms[id]
	m.mu.Unlock()
	if r == nil {
		return false
	}
	r.mu.Lock()
	// The last member may have left since: the room then closed its media
	// already, and closing it twice is not safe.
	if r.closed {
		r.mu.Unlock()
		return false
	}
	r.endLocked(reason)
	r.mu.Unlock()
	r.closeMedia(RecordingEnded)
	m.forget(r)
	return true
}

// DisconnectUser ends the presence of an account's participants in every
// live meeting, waiting or admitted, telling them why (an administrator
// disabled the account: revoking its sessions alone would leave an open
// signalling connection in the meeting). Their connections then leave as
// on any bye. It returns how many were disconnected.
func (m *Manager) DisconnectUser(userID, reason string) int {
	if userID == "" {
		return 0 // guests have no account
	}
	n := 0
	for _, r := range m.live() {
		r.mu.Lock()
		for _, mb := range r.members {
			if mb.userID == userID {
				mb.events.Deliver(Ended{reason})
				n++
			}
		}
		for _, mb := range r.waiting {
			if mb.userID == userID {
				mb.events.Deliver(Ended{reason})
				n++
			}
		}
		r.mu.Unlock()
	}
	return n
}
