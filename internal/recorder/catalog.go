// Package recorder writes a meeting's recording: one WebM file per
// published track (VP8 or Opus), sealed from its first byte, fed by an
// sfu.Tap and gated per participant by consent. Which tracks exist, where
// their files live and under which key is the catalog's business
// (internal/recordings implements Catalog on the store); the recorder only
// turns packets into sealed bytes.
package recorder

import (
	"context"
	"time"
)

// TrackMeta describes a track file about to be written.
type TrackMeta struct {
	RecordingID string
	MeetingID   string
	// Owner is the publishing participant's ID; Subject is the data
	// subject the file belongs to (the account ID of a signed-in
	// participant, the participant ID of a guest), for export and erasure.
	Owner   string
	Subject string
	Source  string // "camera", "microphone" or "screen"
	Kind    string // "audio" or "video"
	Codec   string // "VP8" or "opus"
	// Offset is when the file's first frame was captured, counted from the
	// recording's start: the files of one recording play together by it.
	Offset time.Duration
}

// TrackFile is a registered track file: where to write it and how to seal
// it.
type TrackFile struct {
	ID   string // bound into every sealed chunk (see seal.go)
	Path string // the recorder creates it (O_EXCL, 0600) and writes only sealed bytes
	Key  []byte // the file's own 32-byte content key
}

// TrackEnd is how a track file ended.
type TrackEnd struct {
	Frames   int64
	Bytes    int64 // sealed size on disk
	Duration time.Duration
	// Complete is false when the file was cut short (a fault, low disk):
	// what was written before still plays.
	Complete bool
}

// Catalog registers track files as the recorder opens and closes them.
type Catalog interface {
	AddTrack(ctx context.Context, m TrackMeta) (TrackFile, error)
	FinishTrack(ctx context.Context, id string, end TrackEnd) error
}
