package room

// EndMeeting ends the live meeting id for everyone (they are told
// ReasonMeetingEnded), as when its host deletes it. It reports whether the
// meeting was live.
func (m *Manager) EndMeeting(id string) bool {
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
	r.endLocked(ReasonMeetingEnded)
	r.mu.Unlock()
	r.closeMedia()
	m.forget(r)
	return true
}
