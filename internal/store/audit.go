package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// AuditEntry is one record of the append-only audit log (package audit
// defines the actions and computes the hashes). People appear only as
// subject IDs ("u_..." accounts, "p_..." participants), never by name or
// e-mail, so that erasing a person's identity leaves the chain intact.
type AuditEntry struct {
	Seq     int64 // 1, 2, 3, ... without gaps (retention removes a prefix)
	Time    time.Time
	Action  string
	Actor   string // subject ID of who acted; "" for the system or the CLI
	Target  string // subject ID acted upon; "" when none
	Meeting string // meeting ID; "" when none
	Outcome string
	Details map[string]string

	// ClientAddr is the client's IP address. It is personal data with its
	// own retention, so it is stored apart from the chain, which covers only
	// AddrHash = SHA-256(AddrSalt || ClientAddr). Erasing ClientAddr and
	// AddrSalt later leaves the chain verifiable.
	ClientAddr string
	AddrSalt   []byte
	AddrHash   []byte

	PrevHash []byte // Hash of the previous entry (the genesis value for Seq 1)
	Hash     []byte
}

// AuditSeal completes an entry inside AppendAudit; see there.
type AuditSeal func(AuditEntry) (AuditEntry, error)

// AuditFilter selects audit entries. Zero fields do not filter.
type AuditFilter struct {
	Since time.Time // Time >= Since
	Until time.Time // Time < Until

	Action  string
	Actor   string
	Target  string
	Meeting string
	Outcome string

	AfterSeq int64   // Seq > AfterSeq: keyset paging in chain order
	Seqs     []int64 // only these sequence numbers (nil: any)

	Newest bool // newest first instead of chain order
	Limit  int  // at most this many (0: no limit)
	Offset int  // skip this many first
}

// AuditCheckpoint stands for the entries retention removed from the front
// of the audit log: the Seq and Hash of the last one removed, so that the
// entry after it still links to something and the chain verifies from
// there. Seal is computed by package audit (under the audit key) over the
// other fields, so that someone with only the database cannot pass off
// removed entries as retention.
type AuditCheckpoint struct {
	Seq  int64     // the last removed entry's Seq
	Hash []byte    // its Hash: the PrevHash of the first remaining entry
	Time time.Time // when it was removed
	Seal []byte
}

// AuditCheckpointSeal completes a checkpoint inside TruncateAudit: it must
// keep Seq and Hash and fill in Time and Seal.
type AuditCheckpointSeal func(AuditCheckpoint) (AuditCheckpoint, error)

// AuditRetentionStore removes old audit entries without breaking the chain.
type AuditRetentionStore interface {
	// TruncateAudit removes the longest prefix of the log whose entries are
	// all older than before, never the newest entry (so the head, and the
	// next entry's link, stay). In one write transaction, serialised with
	// appends, it replaces the checkpoint with the last removed entry's Seq
	// and Hash completed by seal, then deletes those entries and their
	// addresses. It returns how many entries it removed (0: nothing to do,
	// and the checkpoint is unchanged).
	TruncateAudit(ctx context.Context, before time.Time, seal AuditCheckpointSeal) (int, error)
	// AuditCheckpoint returns the checkpoint of the last truncation;
	// ErrNotFound when no entry was ever removed.
	AuditCheckpoint(ctx context.Context) (AuditCheckpoint, error)
}

// EncodeAuditDetails is how every backend stores an entry's details: JSON
// text, "{}" when empty. encoding/json sorts map keys, so equal maps give
// equal text.
func EncodeAuditDetails(d map[string]string) (string, error) {
	if len(d) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("encode details: %w", err)
	}
	return string(b), nil
}

// DecodeAuditDetails reads what EncodeAuditDetails stored; empty details
// read as nil.
func DecodeAuditDetails(text string) (map[string]string, error) {
	var d map[string]string
	if err := json.Unmarshal([]byte(text), &d); err != nil {
		return nil, err
	}
	if len(d) == 0 {
		return nil, nil
	}
	return d, nil
}
