-- A live meeting outlives the node it ran on (docs/architecture.md,
-- "Placing meetings on nodes"): when a node dies and another takes its
-- lease over, the meeting goes on, and what depends on when it began
-- (the chat a late joiner may read) must not restart. The start is kept
-- with the lease, and begins afresh only when the meeting ended (its
-- lease given back) or was never live.

-- +goose Up
ALTER TABLE meeting_leases ADD COLUMN started_at TIMESTAMPTZ NOT NULL DEFAULT now();

-- +goose Down
ALTER TABLE meeting_leases DROP COLUMN started_at;
