// Package privacy is the data-protection core: every kind of personal data
// Conclave stores is declared here, with its category, purpose, legal basis
// and retention, and implements export, erasure and expiry. A feature cannot
// store personal data without registering a Kind: the registry refuses
// incomplete declarations, and export, erasure, retention and the records
// of processing (docs/privacy.md) all walk the same registry, so none of
// them can miss a kind.
package privacy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// LegalBasis is a GDPR Art. 6(1) basis.
type LegalBasis string

const (
	Consent            LegalBasis = "consent (Art. 6(1)(a))"
	Contract           LegalBasis = "contract (Art. 6(1)(b))"
	LegalObligation    LegalBasis = "legal obligation (Art. 6(1)(c))"
	PublicTask         LegalBasis = "public task (Art. 6(1)(e))"
	LegitimateInterest LegalBasis = "legitimate interests (Art. 6(1)(f))"
)

// Declaration says what a kind of data is and why it is kept. Every field
// is required.
type Declaration struct {
	// Name is the kind's stable identifier, e.g. "account", "audit_log".
	Name string
	// Category is the retention category it belongs to (Categories).
	Category Category
	// Description says in plain words what is stored, for the records of
	// processing and the transparency page.
	Description string
	Purpose     string
	LegalBasis  LegalBasis
	// Storage says where it lives: a table, a directory.
	Storage string
	// Fields lists what is stored; those kept in plain text because they
	// must stay searchable are marked with a trailing " (plain)".
	Fields []string
	// Recipients who receive it outside this server; empty means none.
	Recipients []string
}

// Category is a retention category: one retention period applies to all
// kinds in it.
type Category string

const (
	CatAccount    Category = "account"    // account data of users
	CatMeeting    Category = "meeting"    // meeting metadata
	CatAudit      Category = "audit_log"  // the audit log
	CatConsent    Category = "consent"    // notice acceptances and consents
	CatChat       Category = "chat"       // stored chat (none yet: relayed only)
	CatFile       Category = "file"       // shared files
	CatRecording  Category = "recording"  // recordings
	CatTranscript Category = "transcript" // transcripts
	CatRequest    Category = "subject_request"
)

// Subject names a data subject: an account ("u_…") or a guest
// participant ("p_…").
type Subject struct {
	ID string
}

// Item is one exported piece of data.
type Item struct {
	// Record is machine-readable data, exported as JSON.
	Record any
	// File, when set, is an original file to include under Name.
	Name string
	File []byte
}

// Erased reports what erasure did to one kind. Its JSON names match the
// data.erase audit details (deleted, shredded, pseudonymised), since
// erasure reports and audit entries are read side by side.
type Erased struct {
	Deleted      int    `json:"deleted"`       // records removed
	Shredded     int    `json:"shredded"`      // keys destroyed (data unreadable everywhere)
	Pseudonymous int    `json:"pseudonymised"` // records kept with the subject replaced
	Note         string `json:"note,omitempty"`
}

// Kind is one kind of personal data. Implementations must be safe for
// concurrent use.
type Kind interface {
	Declare() Declaration
	// Export returns everything of this kind about s.
	Export(ctx context.Context, s Subject) ([]Item, error)
	// Erase removes or shreds what is s's own and pseudonymises s in what
	// must be kept.
	Erase(ctx context.Context, s Subject) (Erased, error)
	// Expire deletes what is older than the retention period before now.
	Expire(ctx context.Context, before time.Time) (int, error)
}

// Registry holds the kinds of a running server.
type Registry struct {
	mu    sync.Mutex
	kinds map[string]Kind
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{kinds: map[string]Kind{}} }

// ErrIncomplete is returned for a declaration with a missing field.
var ErrIncomplete = errors.New("privacy: incomplete declaration")

// Register adds k; it refuses incomplete declarations and duplicates.
func (r *Registry) Register(k Kind) error {
	d := k.Declare()
	if err := d.Validate(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.kinds[d.Name]; dup {
		return fmt.Errorf("privacy: kind %q registered twice", d.Name)
	}
	r.kinds[d.Name] = k
	return nil
}

// Validate checks that every required field is present.
func (d Declaration) Validate() error {
	var missing []string
	for name, v := range map[string]string{
		"Name": d.Name, "Category": string(d.Category), "Description": d.Description,
		"Purpose": d.Purpose, "LegalBasis": string(d.LegalBasis), "Storage": d.Storage,
	} {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, name)
		}
	}
	if len(d.Fields) == 0 {
		missing = append(missing, "Fields")
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("%w: %q lacks %s", ErrIncomplete, d.Name, strings.Join(missing, ", "))
	}
	return nil
}

// Kinds returns the registered kinds sorted by name.
func (r *Registry) Kinds() []Kind {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Kind, 0, len(r.kinds))
	for _, k := range r.kinds {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Declare().Name < out[j].Declare().Name })
	return out
}
