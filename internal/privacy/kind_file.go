package privacy

import (
	"context"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// SharedFiles is what the shared_file kind reads, erases and expires
// (*files.Service implements it: rows in the store, content in the data
// directory).
type SharedFiles interface {
	// SharedFilesOfSubject lists the files the subject uploaded or was
	// sent by name (an account's by account ID, a guest's by participant
	// ID); files to everyone are not listed for their recipients.
	SharedFilesOfSubject(ctx context.Context, subjectID string) ([]store.SharedFile, error)
	// ReadSharedFile returns a file's content in plain text.
	ReadSharedFile(ctx context.Context, f store.SharedFile) ([]byte, error)
	SharedFileIDsByUploader(ctx context.Context, subjectID string) ([]string, error)
	// DeleteSharedFiles deletes rows (with the sealed content keys) and
	// content.
	DeleteSharedFiles(ctx context.Context, ids []string) (int, error)
	// EraseFileRecipient replaces the subject by "erased" where it was
	// sent a file.
	EraseFileRecipient(ctx context.Context, subjectID string) (int, error)
	// ExpireSharedFiles deletes files created before the cut-off (their
	// meeting's own, for the meetings in cutoffs).
	ExpireSharedFiles(ctx context.Context, before time.Time, cutoffs map[string]time.Time) (int, error)
}

// SharedFileKind is the files participants share in meetings.
type SharedFileKind struct{ Files SharedFiles }

// Declare implements Kind.
func (SharedFileKind) Declare() Declaration {
	return Declaration{
		Name:     "shared_file",
		Category: CatFile,
		Description: "Files participants shared in a meeting's chat, with everyone or with chosen participants: " +
			"the file and its name (encrypted), its size and type, who shared it and with whom.",
		Purpose:    "Let participants share documents and pictures during a meeting.",
		LegalBasis: Contract,
		Storage: "directory DATA/files (content encrypted under a key per file); tables shared_files and " +
			"shared_file_recipients; the file keys sealed under the meeting's key",
		Fields: []string{"file content (encrypted)", "file name (sealed)", "size, detected type, scan result (plain)",
			"meeting ID (plain)", "uploader participant and account IDs (plain)", "recipient participant and account IDs (plain)",
			"shared at (plain)"},
	}
}

type sharedFileRecord struct {
	ID      string    `json:"id"`
	Meeting string    `json:"meeting"`
	Name    string    `json:"name"`
	Size    int64     `json:"size"`
	Type    string    `json:"type"`
	Shared  time.Time `json:"shared_at"`
	// Role is "uploader" or "recipient".
	Role string `json:"role"`
	// Recipients counts whom the uploader sent it to ("everyone" when
	// shared with the meeting); their IDs are theirs, not the subject's.
	Recipients string `json:"recipients,omitempty"`
}

// Export implements Kind: a record per file and the file itself.
func (k SharedFileKind) Export(ctx context.Context, s Subject) ([]Item, error) {
	fs, err := k.Files.SharedFilesOfSubject(ctx, s.ID)
	if err != nil {
		return nil, fmt.Errorf("shared_file: %w", err)
	}
	items := make([]Item, 0, len(fs))
	for _, f := range fs {
		content, err := k.Files.ReadSharedFile(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("shared_file: %w", err)
		}
		rec := sharedFileRecord{ID: f.ID, Meeting: f.MeetingID, Name: f.Name, Size: f.Size, Type: f.Type,
			Shared: f.CreatedAt, Role: "recipient"}
		if f.UploaderID == s.ID || f.UploaderUser == s.ID {
			rec.Role = "uploader"
			rec.Recipients = "everyone"
			if !f.ToEveryone() {
				rec.Recipients = fmt.Sprint(len(f.To))
			}
		}
		items = append(items, Item{Record: rec, Name: f.ID + "-" + f.Name, File: content})
	}
	return items, nil
}

// Erase implements Kind: the files the subject uploaded are deleted,
// content and row (its key goes with the row, so the content is
// unreadable in later backups too); where the subject received a file it
// stays for its uploader, the recipient shown as "erased".
func (k SharedFileKind) Erase(ctx context.Context, s Subject) (Erased, error) {
	ids, err := k.Files.SharedFileIDsByUploader(ctx, s.ID)
	if err != nil {
		return Erased{}, fmt.Errorf("shared_file: %w", err)
	}
	n, err := k.Files.DeleteSharedFiles(ctx, ids)
	if err != nil {
		return Erased{}, fmt.Errorf("shared_file: %w", err)
	}
	p, err := k.Files.EraseFileRecipient(ctx, s.ID)
	if err != nil {
		return Erased{Deleted: n, Shredded: n}, fmt.Errorf("shared_file: %w", err)
	}
	out := Erased{Deleted: n, Shredded: n, Pseudonymous: p}
	if p > 0 {
		out.Note = "files sent to the person stay with their uploaders, the recipient shown as erased"
	}
	return out, nil
}

// Expire implements Kind with the organisation's cut-off for every meeting.
func (k SharedFileKind) Expire(ctx context.Context, before time.Time) (int, error) {
	return k.ExpireMeetings(ctx, before, nil)
}

// ExpireMeetings implements retention.MeetingScoped: a meeting's own
// file period applies to its files.
func (k SharedFileKind) ExpireMeetings(ctx context.Context, before time.Time, cutoffs map[string]time.Time) (int, error) {
	n, err := k.Files.ExpireSharedFiles(ctx, before, cutoffs)
	if err != nil {
		return n, fmt.Errorf("shared_file: %w", err)
	}
	return n, nil
}
