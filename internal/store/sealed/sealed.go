// Package sealed seals and opens the personal fields of stored records, the
// same for every storage backend: a backend stores the sealed values and
// blind indexes this package computes and never sees plain text in a
// personal column.
//
// Each kind of record has a row type (User, …) holding what a backend
// stores: the sealed fields as bytes, the blind indexes as strings, and the
// non-personal fields as they are. Seal<Kind> turns a store value into a
// row before any transaction (sealing may create the owner's data key,
// which writes to the store itself); Row.Open turns it back, reading a row
// whose owner's key was shredded as store.ErrErased.
//
// The names bound into sealed values (AAD) and blind indexes are part of
// the stored format: changing one makes existing values unreadable.
package sealed

import (
	"context"
	"errors"
	"strconv"

	"github.com/conclave-meet/conclave/internal/store"
)

// Keys seals, opens and indexes under per-owner data keys; *crypt.Keyring
// implements it.
type Keys interface {
	// Seal encrypts plaintext under owner's data key (created if needed),
	// binding aad.
	Seal(ctx context.Context, owner string, plaintext, aad []byte) ([]byte, error)
	// Open decrypts what Seal returned; an error matching store.ErrNotFound
	// when owner's key is gone (shredded).
	Open(ctx context.Context, owner string, sealed, aad []byte) ([]byte, error)
	// Index is a blind index of value for field.
	Index(field, value string) string
}

// Key owners: whose data key seals a value. Shredding the owner's key
// erases everything sealed for it.
const (
	subjectPrefix = "subject:"
	meetingPrefix = "meeting:"
	requestPrefix = "request:"
)

// SubjectOwner owns a person's fields: an account ("u_…") or a
// participant ("p_…").
func SubjectOwner(subjectID string) string { return subjectPrefix + subjectID }

// MeetingOwner owns a meeting's fields and its content (chat, files,
// recordings).
func MeetingOwner(meetingID string) string { return meetingPrefix + meetingID }

// RequestOwner owns one data-subject request's fields.
func RequestOwner(id int64) string { return requestPrefix + strconv.FormatInt(id, 10) }

// IsShredded reports an error from Keys.Open for a value whose owner's key
// is gone.
func IsShredded(err error) bool { return errors.Is(err, store.ErrNotFound) }
