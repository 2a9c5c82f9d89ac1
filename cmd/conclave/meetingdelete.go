package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/meeting"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/store"
)

// runMeetingDelete deletes one meeting the way DELETE /api/meetings/{id}
// does, through the privacy registry's meeting kind (the same rows go and
// its key is destroyed): conclave meeting delete --id ID --yes. A running
// server is in another process, so people already in the meeting are not
// disconnected here; they can no longer join or rejoin it.
func runMeetingDelete(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("meeting delete", e)
	var cf cliFlags
	cf.register(fs, false)
	rawID := fs.String("id", "", "ID of the meeting to delete (required)")
	yes := fs.Bool("yes", false, "confirm: deletion cannot be undone")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *rawID == "" {
		return usageError{"meeting delete: --id is required"}
	}
	id, err := meeting.NormalizeID(*rawID)
	if err != nil {
		return usageError{"meeting delete: --id: " + err.Error()}
	}
	if !*yes {
		return usageError{"meeting delete: deletion cannot be undone; add --yes to confirm"}
	}
	cfg, st, err := cf.openExisting(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	m, err := st.MeetingByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no meeting has the ID %s", id)
	}
	if err != nil {
		return err
	}
	auditLog, err := openAuditLog(st, cfg)
	if err != nil {
		return err
	}
	erased, err := privacy.MeetingKind{Store: st}.DeleteMeeting(ctx, m.ID)
	if err != nil {
		return err
	}
	// No actor: the operator has no account.
	ev := audit.Event{Action: audit.MeetingDelete, Target: m.HostID, Meeting: m.ID,
		Details: map[string]string{"deleted": strconv.Itoa(erased.Deleted), "shredded": strconv.Itoa(erased.Shredded)}}
	if err := recordCLI(ctx, auditLog, ev); err != nil {
		return fmt.Errorf("meeting %s was deleted, but its audit entry could not be written: %w", m.ID, err)
	}
	fmt.Fprintf(e.stdout, "deleted meeting %s\n", m.ID)
	return nil
}
