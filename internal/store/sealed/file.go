package sealed

import (
	"context"

	"github.com/conclave-meet/conclave/internal/store"
)

// Names bound into a shared file's sealed fields, with the file's ID after
// them, so that a name or key moved to another file of the same meeting
// fails to open.
const (
	AADFileName = "shared_files.name\x00"
	AADFileKey  = "shared_files.key\x00"
)

// File is a shared file as a backend stores it: its name and content key
// sealed under the meeting's key. The embedded file's Name and Key are
// empty, and its recipients are the backend's to store.
type File struct {
	store.SharedFile
	NameSealed, KeySealed []byte
}

// SealFile seals f's name and content key. Callers check first that the
// meeting exists: sealing creates a missing meeting key, which for an
// unknown meeting would own nothing.
func SealFile(ctx context.Context, k Keys, f store.SharedFile) (File, error) {
	owner := MeetingOwner(f.MeetingID)
	name, err := k.Seal(ctx, owner, []byte(f.Name), []byte(AADFileName+f.ID))
	if err != nil {
		return File{}, err
	}
	key, err := k.Seal(ctx, owner, f.Key, []byte(AADFileKey+f.ID))
	if err != nil {
		return File{}, err
	}
	plain := f
	plain.Name, plain.Key = "", nil
	return File{SharedFile: plain, NameSealed: name, KeySealed: key}, nil
}

// Open opens the name and key; store.ErrErased when the meeting's key was
// shredded.
func (sf File) Open(ctx context.Context, k Keys) (store.SharedFile, error) {
	f := sf.SharedFile
	owner := MeetingOwner(f.MeetingID)
	name, err := k.Open(ctx, owner, sf.NameSealed, []byte(AADFileName+f.ID))
	if IsShredded(err) {
		return store.SharedFile{}, store.ErrErased
	}
	if err != nil {
		return store.SharedFile{}, err
	}
	key, err := k.Open(ctx, owner, sf.KeySealed, []byte(AADFileKey+f.ID))
	if err != nil {
		return store.SharedFile{}, err
	}
	f.Name, f.Key = string(name), key
	return f, nil
}
