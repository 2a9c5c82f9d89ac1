package room

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/sfu"
)

// banTimeout bounds persisting a ban; the in-memory ban applies at once.
const banTimeout = 10 * time.Second

// roleLocked is the role the permission table sees: Waiting until admitted.
func (r *Room) roleLocked(mb *Member) authz.Role {
	if r.members[mb.info.ID] != mb {
		return authz.Waiting
	}
	return mb.info.Role
}

// openLocked says whether the meeting opened action to role, for the
// table's "if open" cells. Chat opens to everyone, or (chat_writers
// presenters) to presenters only; private and group chat only where chat
// is open to the role and private chat is on. Sharing a file is writing
// in the chat, and opens with it.
func (r *Room) openLocked(action authz.Action, role authz.Role) bool {
	switch action {
	case authz.ScreenShare:
		return r.settings.ScreenShare == shareEveryone
	case authz.ChatSend, authz.FileShare:
		return r.chatOpenLocked(role)
	case authz.ChatPrivate:
		return r.chatOpenLocked(role) && r.settings.PrivateChat
	case authz.RemoteRequest:
		return r.controlOpenLocked(role)
	}
	return false
}

func (r *Room) chatOpenLocked(role authz.Role) bool {
	return r.settings.Chat && (r.settings.ChatWriters != ChatWritersPresenters || role == authz.Presenter)
}

func (r *Room) authorizeLocked(mb *Member, action authz.Action) error {
	id := mb.info.ID
	if r.members[id] != mb && r.waiting[id] != mb && r.admitting[id] != mb {
		return fmt.Errorf("%w: not in the meeting", ErrForbidden)
	}
	role := r.roleLocked(mb)
	return authz.Check(role, action, r.openLocked(action, role))
}

// Authorize checks action for the member against the permission table.
// Handlers that change room state check again under the same lock.
func (mb *Member) Authorize(action authz.Action) error {
	mb.room.mu.Lock()
	defer mb.room.mu.Unlock()
	return mb.room.authorizeLocked(mb, action)
}

// targetLocked finds an admitted participant of this meeting whom actor
// outranks. Unknown and foreign IDs get the same ErrNotFound.
func (r *Room) targetLocked(actor *Member, id string) (*Member, error) {
	t := r.members[id]
	if t == nil {
		return nil, ErrNotFound
	}
	if !authz.Outranks(actor.info.Role, t.info.Role) {
		return nil, fmt.Errorf("%w: %s may not act on %s", ErrForbidden, actor.info.Role, t.info.Role)
	}
	return t, nil
}

// actOnLocked checks that the table allows actor the action and returns
// the target it may act on (targetLocked).
func (r *Room) actOnLocked(actor *Member, action authz.Action, id string) (*Member, error) {
	if err := r.authorizeLocked(actor, action); err != nil {
		return nil, err
	}
	return r.targetLocked(actor, id)
}

// Admit lets someone in from the waiting room, or everyone when all. It
// returns the IDs admitted; it works on a locked meeting too, because
// admitting is the host's own decision. When the meeting fills up, those
// who do not fit wait on and the error is ErrFull.
func (mb *Member) Admit(id string, all bool) ([]string, error) {
	r := mb.room
	r.mu.Lock()
	ids, err := r.lobbyTargetsLocked(mb, id, all)
	if err != nil {
		r.mu.Unlock()
		return nil, err
	}
	batch, full := r.reserveWaitersLocked(ids)
	r.lobbyChangedLocked()
	r.mu.Unlock()
	// Media set-up without the lock (admit.go).
	admitted, err := r.admitAll(batch)
	if err == nil {
		err = full
	}
	return admitted, err
}

// Deny refuses entry to someone waiting, or everyone when all; they get a
// final `bye`.
func (mb *Member) Deny(id string, all bool) ([]string, error) {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	ids, err := r.lobbyTargetsLocked(mb, id, all)
	if err != nil {
		return nil, err
	}
	for _, wid := range ids {
		r.waiting[wid].events.Deliver(Ended{ReasonDenied})
		r.dropWaiterLocked(wid)
	}
	r.lobbyChangedLocked()
	return ids, nil
}

func (r *Room) lobbyTargetsLocked(actor *Member, id string, all bool) ([]string, error) {
	if err := r.authorizeLocked(actor, authz.LobbyDecide); err != nil {
		return nil, err
	}
	if all {
		return append([]string(nil), r.waitOrder...), nil
	}
	if r.waiting[id] == nil {
		return nil, ErrNotFound
	}
	return []string{id}, nil
}

// SetLocked locks or unlocks the meeting and tells everyone, the waiting
// room included.
func (mb *Member) SetLocked(locked bool) error {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.authorizeLocked(mb, authz.MeetingLock); err != nil {
		return err
	}
	r.settings.Locked = locked
	r.settingsChangedLocked()
	r.tellWaitersLocked()
	return nil
}

// SettingsChange is a host's change of live settings: nil or empty fields
// stay as they are.
type SettingsChange struct {
	Chat        *bool
	PrivateChat *bool
	ChatWriters string // ChatWritersEveryone or ChatWritersPresenters
	ScreenShare string // "presenters" or "everyone"
	// RemoteControl turns remote control on or off in this meeting;
	// refused (ErrControlOff) where the organisation does not allow it.
	RemoteControl *bool
}

// UpdateSettings applies a host's change of live settings.
func (mb *Member) UpdateSettings(ch SettingsChange) error {
	if ch.ScreenShare != "" && ch.ScreenShare != sharePresenters && ch.ScreenShare != shareEveryone {
		return fmt.Errorf("room: screen_share must be %q or %q", sharePresenters, shareEveryone)
	}
	if ch.ChatWriters != "" && ch.ChatWriters != ChatWritersEveryone && ch.ChatWriters != ChatWritersPresenters {
		return fmt.Errorf("room: chat_writers must be %q or %q", ChatWritersEveryone, ChatWritersPresenters)
	}
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.authorizeLocked(mb, authz.MeetingSetting); err != nil {
		return err
	}
	if r.org.refuses(ch) {
		return ErrLockedByOrg
	}
	if ch.RemoteControl != nil && *ch.RemoteControl && !r.org.RemoteControl {
		return ErrControlOff
	}
	if ch.Chat != nil {
		r.settings.Chat = *ch.Chat
	}
	if ch.PrivateChat != nil {
		r.settings.PrivateChat = *ch.PrivateChat
	}
	if ch.ChatWriters != "" {
		r.settings.ChatWriters = ch.ChatWriters
	}
	if ch.ScreenShare != "" {
		r.settings.ScreenShare = ch.ScreenShare
	}
	if ch.RemoteControl != nil {
		r.settings.RemoteControl = *ch.RemoteControl
		r.controlSettingLocked(mb)
	}
	for _, id := range r.order {
		r.applyScreenGateLocked(r.members[id])
	}
	r.settingsChangedLocked()
	return nil
}

func (r *Room) settingsChangedLocked() {
	for _, id := range r.order {
		r.members[id].events.Deliver(SettingsChanged{r.settings})
	}
}

// End ends the meeting for everyone.
func (mb *Member) End() error {
	r := mb.room
	r.mu.Lock()
	if err := r.authorizeLocked(mb, authz.MeetingEnd); err != nil {
		r.mu.Unlock()
		return err
	}
	r.endLocked(ReasonMeetingEnded)
	r.mu.Unlock()
	r.closeMedia(RecordingEnded)
	r.mgr.forget(r)
	return nil
}

// Removed describes whom Remove removed, for the audit log.
type Removed struct {
	ID     string
	UserID string
}

// Remove disconnects a participant (or someone waiting); with ban they may
// not return to this meeting, by account or by device.
func (mb *Member) Remove(ctx context.Context, id string, ban bool) (Removed, error) {
	r := mb.room
	r.mu.Lock()
	t, err := r.actOnLocked(mb, authz.Remove, id)
	if errors.Is(err, ErrNotFound) {
		t, err = r.enteringLocked(id)
	}
	if err != nil {
		r.mu.Unlock()
		return Removed{}, err
	}
	reason := ReasonRemoved
	if ban {
		reason = ReasonBanned
		for _, k := range banKeys(t.userID, t.deviceHash) {
			r.bans[k] = true
		}
	}
	t.events.Deliver(Ended{reason})
	wasMember := r.removeMemberLocked(t)
	if !wasMember {
		r.dropEntrantLocked(t)
	}
	r.mu.Unlock()
	if wasMember {
		t.media.Close()
	}
	out := Removed{ID: t.info.ID, UserID: t.userID}
	if ban {
		if err := r.mgr.persistBan(ctx, r.id, t); err != nil {
			return out, err
		}
	}
	return out, nil
}

// enteringLocked finds someone a host may remove who is not (yet) a member:
// waiting, or admitted from the waiting room with media still being set up.
// They have no rank. Direct joins in progress were never announced, so
// they are not found, as before their join.
func (r *Room) enteringLocked(id string) (*Member, error) {
	if w := r.waiting[id]; w != nil {
		return w, nil
	}
	if a := r.admitting[id]; a != nil && a.waited() {
		return a, nil
	}
	return nil, ErrNotFound
}

func (m *Manager) persistBan(ctx context.Context, meetingID string, t *Member) error {
	if m.bans == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), banTimeout)
	defer cancel()
	now := time.Now().UTC()
	for kind, subject := range map[string]string{"user": t.userID, "device": t.deviceHash} {
		if subject == "" {
			continue
		}
		if err := m.bans.AddMeetingBan(ctx, meetingID, kind, subject, now); err != nil {
			return fmt.Errorf("room: persist ban: %w", err)
		}
	}
	return nil
}

// Mute stops one source of a participant on the server and tells them. It
// flows again only when they turn it back on themselves.
func (mb *Member) Mute(id string, source sfu.Source) error {
	if !source.Valid() {
		return fmt.Errorf("room: unknown source %q", source)
	}
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	t, err := r.actOnLocked(mb, authz.Mute, id)
	if err != nil {
		return err
	}
	t.hostMuted[source] = true
	t.media.SetBlocked(source, true)
	setSource(&t.info, source, false)
	t.events.Deliver(Muted{Source: source, By: mb.info.ID})
	r.updatedLocked(t)
	return nil
}

// AskUnmute passes a host's request to turn a microphone or camera on.
func (mb *Member) AskUnmute(id string, source sfu.Source) error {
	if source != sfu.SourceAudio && source != sfu.SourceCamera {
		return fmt.Errorf("room: can only ask to unmute audio or camera")
	}
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	t, err := r.actOnLocked(mb, authz.AskUnmute, id)
	if err != nil {
		return err
	}
	t.events.Deliver(UnmuteRequested{Source: source, By: mb.info.ID})
	return nil
}

// ErrGuestCohost refuses making a guest co-host: whoever admits people must
// have an account.
var ErrGuestCohost = fmt.Errorf("room: guests cannot be co-hosts")

// SetRole makes a participant co-host, presenter or attendee (their base
// role: guest when they have no account).
func (mb *Member) SetRole(id string, role authz.Role) error {
	if role != authz.Cohost && role != authz.Presenter && role != authz.Attendee {
		return fmt.Errorf("room: role must be cohost, presenter or attendee")
	}
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.members[id]
	if t == nil {
		if err := r.authorizeLocked(mb, authz.SetPresenter); err != nil {
			return err // the refusal comes first: do not confirm IDs to the unauthorised
		}
		return ErrNotFound
	}
	action := authz.SetPresenter
	if role == authz.Cohost || t.info.Role == authz.Cohost {
		action = authz.SetCohost
	}
	if _, err := r.actOnLocked(mb, action, id); err != nil {
		return err
	}
	if role == authz.Cohost && t.userID == "" {
		return ErrGuestCohost
	}
	if role == authz.Attendee {
		role = baseRole(t.userID)
	}
	wasHost := isHost(t.info.Role)
	t.info.Role = role
	r.applyScreenGateLocked(t)
	r.updatedLocked(t)
	if isHost(role) && !wasHost {
		t.events.Deliver(LobbyChanged{r.lobbyLocked()})
	}
	return nil
}

// SetMediaState records what the member sends and tells everyone. Turning
// a source on lifts a host's mute of it; turning on a screen share the
// member may not share is refused.
func (mb *Member) SetMediaState(audio, video, screen bool) error {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.authorizeLocked(mb, authz.Media); err != nil {
		return err
	}
	if screen && !mb.info.Screen {
		if err := r.authorizeLocked(mb, authz.ScreenShare); err != nil {
			return err
		}
	}
	for src, on := range map[sfu.Source]bool{sfu.SourceAudio: audio, sfu.SourceCamera: video, sfu.SourceScreen: screen} {
		if on && mb.hostMuted[src] {
			mb.hostMuted[src] = false
			if src != sfu.SourceScreen {
				mb.media.SetBlocked(src, false)
			}
		}
	}
	mb.info.Audio, mb.info.Video, mb.info.Screen = audio, video, screen
	r.applyScreenGateLocked(mb)
	r.updatedLocked(mb)
	return nil
}

// SetReconnecting marks the member as away (its connection dropped and it
// may resume) or back, and tells the others, who show it as reconnecting
// instead of seeing it leave and join again. Someone waiting has nobody
// to tell: the mark only travels with their welcome if they are admitted
// while away.
func (mb *Member) SetReconnecting(on bool) {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if mb.info.Reconnecting == on {
		return
	}
	mb.info.Reconnecting = on
	if r.members[mb.info.ID] == mb {
		r.updatedLocked(mb)
	}
}

// applyScreenGateLocked forwards mb's screen share only while its role may
// share and no host stopped it; a share that lost its right ends.
func (r *Room) applyScreenGateLocked(mb *Member) {
	allowed := authz.Check(mb.info.Role, authz.ScreenShare, r.openLocked(authz.ScreenShare, mb.info.Role)) == nil
	mb.media.SetBlocked(sfu.SourceScreen, !allowed || mb.hostMuted[sfu.SourceScreen])
	if !allowed && mb.info.Screen {
		mb.info.Screen = false
		mb.events.Deliver(Muted{Source: sfu.SourceScreen, By: ""})
		r.updatedLocked(mb)
	}
}

// updatedLocked tells everyone, the member included, about its new state.
func (r *Room) updatedLocked(mb *Member) {
	for _, oid := range r.order {
		r.members[oid].events.Deliver(ParticipantUpdated{mb.info})
	}
	r.controlShareLocked(mb) // a screen no longer shared ends its control
}

func setSource(p *Participant, s sfu.Source, on bool) {
	switch s {
	case sfu.SourceAudio:
		p.Audio = on
	case sfu.SourceCamera:
		p.Video = on
	case sfu.SourceScreen:
		p.Screen = on
	}
}
