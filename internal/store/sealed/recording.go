package sealed

import (
	"context"

	"github.com/conclave-meet/conclave/internal/store"
)

// Names bound into a recording's and a track's sealed fields, with the
// row's ID after them, so that a value moved to another row of the same
// meeting fails to open.
const (
	AADRecordingPurpose = "recordings.purpose\x00"
	AADTrackKey         = "recording_tracks.key\x00"
	AADTrackOwnerName   = "recording_tracks.owner_name\x00"
)

// Recording is a recording as a backend stores it: its purpose sealed
// under the meeting's key (the embedded recording's Purpose is empty).
type Recording struct {
	store.Recording
	PurposeSealed []byte
}

// SealRecording seals r's purpose. Callers check first that the meeting
// exists (sealing creates a missing meeting key).
func SealRecording(ctx context.Context, k Keys, r store.Recording) (Recording, error) {
	purpose, err := k.Seal(ctx, MeetingOwner(r.MeetingID), []byte(r.Purpose), []byte(AADRecordingPurpose+r.ID))
	if err != nil {
		return Recording{}, err
	}
	plain := r
	plain.Purpose = ""
	return Recording{Recording: plain, PurposeSealed: purpose}, nil
}

// Open opens the purpose; store.ErrErased when the meeting's key was
// shredded.
func (sr Recording) Open(ctx context.Context, k Keys) (store.Recording, error) {
	r := sr.Recording
	purpose, err := k.Open(ctx, MeetingOwner(r.MeetingID), sr.PurposeSealed, []byte(AADRecordingPurpose+r.ID))
	if IsShredded(err) {
		return store.Recording{}, store.ErrErased
	}
	if err != nil {
		return store.Recording{}, err
	}
	r.Purpose = string(purpose)
	return r, nil
}

// Track is a recording's track file as a backend stores it: its content
// key and its owner's name sealed under the meeting's key (the embedded
// track's Key and OwnerName are empty; a composite's subjects are the
// backend's to store).
type Track struct {
	store.RecordingTrack
	KeySealed, OwnerNameSealed []byte
}

// SealTrack seals t's key and owner's name under meetingID's key (a
// track's row names its recording, not its meeting).
func SealTrack(ctx context.Context, k Keys, meetingID string, t store.RecordingTrack) (Track, error) {
	owner := MeetingOwner(meetingID)
	key, err := k.Seal(ctx, owner, t.Key, []byte(AADTrackKey+t.ID))
	if err != nil {
		return Track{}, err
	}
	name, err := k.Seal(ctx, owner, []byte(t.OwnerName), []byte(AADTrackOwnerName+t.ID))
	if err != nil {
		return Track{}, err
	}
	plain := t
	plain.MeetingID, plain.Key, plain.OwnerName = meetingID, nil, ""
	return Track{RecordingTrack: plain, KeySealed: key, OwnerNameSealed: name}, nil
}

// Open opens the key and owner's name (t.MeetingID must be set);
// store.ErrErased when the meeting's key was shredded.
func (st Track) Open(ctx context.Context, k Keys) (store.RecordingTrack, error) {
	t := st.RecordingTrack
	owner := MeetingOwner(t.MeetingID)
	key, err := k.Open(ctx, owner, st.KeySealed, []byte(AADTrackKey+t.ID))
	if IsShredded(err) {
		return store.RecordingTrack{}, store.ErrErased
	}
	if err != nil {
		return store.RecordingTrack{}, err
	}
	name, err := k.Open(ctx, owner, st.OwnerNameSealed, []byte(AADTrackOwnerName+t.ID))
	if err != nil {
		return store.RecordingTrack{}, err
	}
	t.Key, t.OwnerName = key, string(name)
	return t, nil
}
