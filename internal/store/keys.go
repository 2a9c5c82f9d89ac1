package store

import (
	"context"
	"fmt"
	"time"
)

// ErrErased is returned when a record's owner was erased: its row may
// remain as a tombstone, but its content is gone. It matches ErrNotFound
// (errors.Is), so callers that only know "not found" treat it as such.
var ErrErased = fmt.Errorf("%w (erased)", ErrNotFound)

// DataKey is one owner's data key, wrapped (encrypted) under a master key.
// Package crypt creates, wraps and unwraps them; the store only keeps the
// opaque bytes, so a copy of the database alone reveals nothing.
type DataKey struct {
	Owner     string // "subject:u_…", "subject:p_…", "meeting:<id>", "system:…"
	Wrapped   []byte
	MasterID  string // ID of the master key that wrapped it
	CreatedAt time.Time
}

// Rewrap replaces an owner's wrapped key, but only while it is still
// wrapped under FromMaster: a key shredded or re-wrapped meanwhile is left
// alone, so a rotation never resurrects or clobbers a key.
type Rewrap struct {
	Owner      string
	FromMaster string
	Wrapped    []byte
	MasterID   string
}

// KeyStore keeps the wrapped data keys (table data_keys).
type KeyStore interface {
	// DataKey returns owner's key; ErrNotFound when it has none (never
	// created, or shredded).
	DataKey(ctx context.Context, owner string) (DataKey, error)
	// InsertDataKey stores k unless k.Owner already has a key, and returns
	// the key that is stored, so concurrent creators agree on one key.
	InsertDataKey(ctx context.Context, k DataKey) (DataKey, error)
	// DeleteDataKey destroys owner's key (crypto-shredding) and reports
	// whether there was one.
	DeleteDataKey(ctx context.Context, owner string) (bool, error)
	// DataKeysNotUnder lists up to limit keys wrapped under another master
	// than masterID, in owner order.
	DataKeysNotUnder(ctx context.Context, masterID string, limit int) ([]DataKey, error)
	// RewrapDataKeys applies rs in one transaction and returns how many
	// keys it changed.
	RewrapDataKeys(ctx context.Context, rs []Rewrap) (int, error)
	// DataKeyCounts returns the number of keys per master key ID.
	DataKeyCounts(ctx context.Context) (map[string]int, error)
}

// UserErasure reports what erasing an account did (see sqlite.EraseUser).
type UserErasure struct {
	Sessions    int  // login sessions deleted
	Cohosts     int  // co-host entries in others' meetings deleted
	Credentials int  // sign-in factors (TOTP, recovery codes, passkeys, OIDC) deleted
	Shredded    bool // the subject key existed and was destroyed
}
