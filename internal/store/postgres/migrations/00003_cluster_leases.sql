-- Several nodes (docs/architecture.md, "Placing meetings on nodes"): each
-- node's heartbeat with its load, and which node runs each live meeting.
-- Neither table holds personal data: node IDs and URLs are the
-- operator's, a meeting ID names a meeting, and a lease row goes when its
-- meeting ends on its node (or is taken over once it expired).

-- +goose Up
CREATE TABLE cluster_nodes (
    id           TEXT PRIMARY KEY,
    url          TEXT NOT NULL,
    participants INTEGER NOT NULL DEFAULT 0 CHECK (participants >= 0),
    cpu_milli    INTEGER NOT NULL DEFAULT 0 CHECK (cpu_milli >= 0),
    seen_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE meeting_leases (
    meeting_id TEXT PRIMARY KEY,
    node_id    TEXT NOT NULL,
    epoch      BIGINT NOT NULL CHECK (epoch > 0),
    expires_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE meeting_leases;
DROP TABLE cluster_nodes;
