package throttle

import "time"

// Attempt counts one attempt against every key, unless one of them is
// locked out. It returns how long until the longest lock-out among keys
// ends (0: the attempt may proceed, and was counted) and the keys this
// attempt locked out, so that the caller can audit each lock-out once.
//
// It is Check and Fail in one step, for limits on every attempt whatever
// its outcome (joins): attempts sent in parallel cannot all pass before
// the count catches up. The attempt that reaches MaxFailures proceeds and
// locks its keys; the next one is refused.
func (l *Limiter) Attempt(keys ...string) (wait time.Duration, locked []string) {
	l.mu.Lock()
	now := l.elapsed()
	for _, k := range keys {
		wait = max(wait, l.tableFor(k).remaining(k, now))
	}
	if wait > 0 {
		l.mu.Unlock()
		return wait, nil
	}
	locked = l.failLocked(now, keys)
	p := l.peers
	l.mu.Unlock()
	if p != nil {
		p.Failed(keys)
	}
	return 0, locked
}

// joinMeetingKeys bounds the meeting scope of the join limiter: its
// entries hold up to 300 timestamps each (2.4 KB), so the scope stays
// within about 5 MiB; a server hosts far fewer meetings at once.
const joinMeetingKeys = 2_000

// JoinIPPolicy limits joins (signalling hello, right passcode or wrong)
// per client address: 60 within a minute lock the address out for a
// minute. Enough for an office behind one NAT joining a meeting at once
// and for reconnects; it bounds what one outsider can make the server
// record.
func JoinIPPolicy() Policy {
	return Policy{MaxFailures: 60, Window: time.Minute, Lockout: time.Minute, MaxKeys: defaultMaxKeys}
}

// JoinMeetingPolicy limits joins per meeting from all addresses together:
// 300 within a minute (three times the default participant limit) lock
// the meeting's joins for a minute.
func JoinMeetingPolicy() Policy {
	return Policy{MaxFailures: 300, Window: time.Minute, Lockout: time.Minute, MaxKeys: joinMeetingKeys}
}

// NewJoins returns the join limiter: JoinIPPolicy for IPKey keys,
// JoinMeetingPolicy for MeetingKey keys, and JoinIPPolicy, the stricter,
// for keys of any other scope. now is the clock (nil: time.Now).
//
//	if wait, locked := l.Attempt(IPKey(addr), MeetingKey(id)); wait > 0 { refuse }
//
// Every join counts, whether or not its passcode is right: the limit
// bounds the rows joins write (consents, audit entries), which right
// passcodes write too.
func NewJoins(now func() time.Time) *Limiter {
	return NewJoinsLimited(now, 0, 0)
}

// NewJoinsLimited is NewJoins with the per-minute limits per address and
// per meeting set by the operator (0: the default policy's). Many
// participants behind one NAT address (a lecture hall) need a higher
// address limit.
func NewJoinsLimited(now func() time.Time, perAddress, perMeeting int) *Limiter {
	ip, meeting := JoinIPPolicy(), JoinMeetingPolicy()
	if perAddress > 0 {
		ip.MaxFailures = perAddress
	}
	if perMeeting > 0 {
		meeting.MaxFailures = perMeeting
	}
	return NewScoped(ip, map[string]Policy{ScopeIP: ip, ScopeMeeting: meeting}, now)
}
