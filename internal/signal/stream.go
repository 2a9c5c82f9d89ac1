package signal

import "encoding/json"

// Limits of the replay kept for a resume: the newest events, up to this
// many frames and bytes. A session that missed more than that cannot be
// resumed exactly and is refused (resume_failed); its client joins anew.
const (
	replayFrames = 256
	replayBytes  = 512 << 10
)

// stream numbers a session's events and keeps the newest for replay. The
// session's mutex guards it.
type stream struct {
	seq   int64      // number of the last event
	ring  []numbered // oldest first
	bytes int        // total size of ring's frames
}

type numbered struct {
	seq   int64
	frame []byte
}

// add numbers an event and returns its frame.
func (s *stream) add(typ string, data json.RawMessage) []byte {
	s.seq++
	f := envelope(typ, s.seq, data)
	s.ring = append(s.ring, numbered{seq: s.seq, frame: f})
	s.bytes += len(f)
	for len(s.ring) > replayFrames || (s.bytes > replayBytes && len(s.ring) > 1) {
		s.bytes -= len(s.ring[0].frame)
		s.ring[0] = numbered{}
		s.ring = s.ring[1:]
	}
	return f
}

// since returns the frames after last, or false when some of them are no
// longer kept or last is ahead of the stream.
func (s *stream) since(last int64) ([][]byte, bool) {
	if last < 0 || last > s.seq {
		return nil, false
	}
	first := s.seq + 1
	if len(s.ring) > 0 {
		first = s.ring[0].seq
	}
	if last+1 < first {
		return nil, false
	}
	var out [][]byte
	for _, n := range s.ring {
		if n.seq > last {
			out = append(out, n.frame)
		}
	}
	return out, true
}
