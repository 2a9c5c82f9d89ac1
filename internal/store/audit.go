package store

import "time"

// AuditEntry is one record of the append-only audit log (package audit
// defines the actions and computes the hashes). People appear only as
// subject IDs ("u_..." accounts, "p_..." participants), never by name or
// e-mail, so that erasing a person's identity leaves the chain intact.
type AuditEntry struct {
	Seq     int64 // 1, 2, 3, ... without gaps
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
