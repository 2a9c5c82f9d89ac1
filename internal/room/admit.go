package room

import (
	"fmt"
	"slices"
)

// Admission runs in three steps so that nothing slow happens under r.mu:
// setting up a participant's peer connections takes milliseconds, more under
// load, and the whole meeting (chat, moderation, speaker changes) waits for
// whoever holds the lock.
//
//  1. Under r.mu the room decides and reserves (reserveLocked): the member
//     moves to r.admitting, where it holds a slot against the participant
//     limit and keeps the room from closing as empty, but is neither waiting
//     nor a member, so nobody is told anything about it yet.
//  2. Without the lock, the media joins (Media.Join).
//  3. Under r.mu again, admitOne finishes: if the reservation still stands,
//     the member is welcomed and announced (welcomeLocked); if it was
//     cancelled meanwhile (the member left, a host removed it, the meeting
//     ended) the media just set up is closed, outside the lock, and nobody
//     hears of the member.

// limit is the participant limit of this meeting: the meeting's own, within
// the server's.
func (r *Room) limit() int {
	lim := r.mgr.maxParticipants
	if p := r.policy.MaxParticipants; p > 0 && (lim == 0 || p < lim) {
		lim = p
	}
	return lim
}

// reserveLocked takes a slot for mb (step 1), or refuses with ErrFull:
// members whose media is still being set up count against the limit.
func (r *Room) reserveLocked(mb *Member) error {
	if lim := r.limit(); lim > 0 && len(r.members)+len(r.admitting) >= lim {
		return ErrFull
	}
	r.admitting[mb.info.ID] = mb
	return nil
}

// reserveWaitersLocked moves the waiters ids, in order, from the waiting
// room to admitting while slots last; ErrFull when the rest must wait on.
func (r *Room) reserveWaitersLocked(ids []string) ([]*Member, error) {
	var out []*Member
	for _, id := range slices.Clone(ids) {
		w := r.waiting[id]
		if err := r.reserveLocked(w); err != nil {
			return out, err
		}
		r.dropWaiterLocked(id)
		out = append(out, w)
	}
	return out, nil
}

// admitOne runs steps 2 and 3 for mb, reserved by the caller, who must not
// hold r.mu. ok reports whether mb is now a member; more are the waiters its
// arrival reserved (a first host), for the caller to admit in turn.
func (r *Room) admitOne(mb *Member) (more []*Member, ok bool, err error) {
	sig := &gatedSignaller{ev: mb.events}
	media, err := r.media.Join(mb.info.ID, sig)
	if err != nil {
		err = fmt.Errorf("room: join media for %s: %w", mb.info.ID, err)
	}
	r.mu.Lock()
	if r.admitting[mb.info.ID] != mb {
		r.mu.Unlock()
		// Cancelled while the media was set up: nobody was told of mb.
		sig.drop()
		if media != nil {
			media.Close()
		}
		return nil, false, nil
	}
	delete(r.admitting, mb.info.ID)
	if err != nil {
		sig.drop()
		r.requeueLocked(mb)
		r.mu.Unlock()
		return nil, false, err
	}
	more = r.welcomeLocked(mb, media, sig)
	r.mu.Unlock()
	return more, true, nil
}

// admitAll admits reserved members in order, then whoever their arrival
// lets in. Every reservation is settled, admitted or undone, whatever fails;
// err is the first media failure.
func (r *Room) admitAll(batch []*Member) (admitted []string, err error) {
	for len(batch) > 0 {
		mb := batch[0]
		batch = batch[1:]
		more, ok, jerr := r.admitOne(mb)
		batch = append(batch, more...)
		if ok {
			admitted = append(admitted, mb.info.ID)
		}
		if jerr != nil && err == nil {
			err = jerr
		}
	}
	return admitted, err
}

// requeueLocked undoes a reservation whose media failed: someone admitted
// from the waiting room waits again, in their old place in the queue.
func (r *Room) requeueLocked(mb *Member) {
	if !mb.waited() {
		return // a direct join: the caller reports the failure
	}
	i := 0
	for i < len(r.waitOrder) && r.waiting[r.waitOrder[i]].place < mb.place {
		i++
	}
	r.waiting[mb.info.ID] = mb
	r.waitOrder = slices.Insert(r.waitOrder, i, mb.info.ID)
	r.lobbyChangedLocked()
}

// welcomeLocked makes mb, whose media is ready, a full member: welcome, and
// everyone told; then the media's offers flow (sig). It returns the waiters
// a first host's arrival reserved.
func (r *Room) welcomeLocked(mb *Member, media MediaParticipant, sig *gatedSignaller) (more []*Member) {
	mb.media = media
	firstHost := isHost(mb.info.Role) && !r.hostPresentLocked()
	others := make([]Participant, 0, len(r.order))
	for _, oid := range r.order {
		o := r.members[oid]
		others = append(others, o.info)
		o.events.Deliver(ParticipantJoined{mb.info})
	}
	r.members[mb.info.ID] = mb
	r.order = append(r.order, mb.info.ID)
	r.applyScreenGateLocked(mb)
	ev := Admitted{Self: mb.info, Others: others, Settings: r.settings}
	if r.policy.ChatHistory {
		ev.ChatSince = r.started
	}
	mb.events.Deliver(ev)
	recording.joinedLocked(r, mb)
	transcription.joinedLocked(r, mb)
	r.e2eeJoinedLocked(mb)
	r.controlJoinedLocked(mb)
	if r.speaker != "" {
		mb.events.Deliver(ActiveSpeaker{r.speaker})
	}
	sig.release()
	r.mgr.log.Info("participant joined", "room", r.id, "participant", mb.info.ID, "verified", mb.info.Verified)
	if firstHost {
		more = r.hostArrivedLocked()
	}
	if isHost(mb.info.Role) {
		mb.events.Deliver(LobbyChanged{r.lobbyLocked()})
	}
	return more
}

// hostArrivedLocked runs when the first host or co-host is present: without
// a waiting room those waiting for a host are reserved to come in (while
// slots last; the rest keep waiting); with one they now wait for a decision.
func (r *Room) hostArrivedLocked() []*Member {
	var reserved []*Member
	if !r.policy.WaitingRoom {
		reserved, _ = r.reserveWaitersLocked(r.waitOrder)
	}
	r.tellWaitersLocked()
	return reserved
}

// enter admits mb, reserved by join, and then whoever its arrival lets in.
func (r *Room) enter(mb *Member) (*Member, error) {
	more, ok, err := r.admitOne(mb)
	if !ok {
		r.mgr.closeIfEmpty(r) // the room may have been started for mb
		if err != nil {
			return nil, err
		}
		// Only the meeting's end cancels a direct join: nobody knew of it,
		// so it is a join after the end, and a fresh meeting follows.
		return nil, errRoomClosed
	}
	if _, err := r.admitAll(more); err != nil {
		// They wait on; the host's own entry stands.
		r.mgr.log.Warn("letting waiters in failed", "room", r.id, "err", err)
	}
	return mb, nil
}

// waited reports whether mb came through the waiting room (hosts know its ID
// from the lobby), as opposed to entering directly.
func (mb *Member) waited() bool { return mb.place != 0 }
