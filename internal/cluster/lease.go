package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Placement of live meetings on nodes (docs/architecture.md, "Placing
// meetings on nodes"). Each live meeting runs on exactly one node, named
// by a lease in PostgreSQL with an expiry and an epoch:
//
//   - the first join of a meeting, on whichever node it arrives, places it
//     on the least loaded live node (fewest participants, then least CPU)
//     by writing the lease for that node; joins on other nodes are sent
//     there while the lease lives;
//   - the node that runs the meeting renews the lease well before it
//     expires; a node that died stops renewing, its leases expire, and the
//     next join places the meeting again, on a live node, with the epoch
//     raised by one;
//   - a renewal names the epoch it holds, so a node that was cut off and
//     comes back finds its lease taken (ErrFenced) and ends its copy of the
//     meeting instead of fighting over it.
//
// Every decision is one transaction under an advisory lock on the
// meeting, so nodes placing the same meeting at once agree.

// Load is what a node reports of itself in its heartbeat.
type Load struct {
	Participants int
	// CPUMilli is the machine's CPU use in thousandths: 1000 is every
	// core busy.
	CPUMilli int
}

// Lease says which node runs a meeting until Expires.
type Lease struct {
	Meeting string
	Node    string
	URL     string // the node's public URL, from its heartbeat
	Epoch   int64
	Expires time.Time
	// Started is when the live meeting began: kept when a lease is taken
	// over from a node that died (the meeting goes on elsewhere), new when
	// the meeting was not live (its lease given back, or none).
	Started time.Time
}

// ErrFenced is returned by Renew when the lease was taken over (or
// released): the meeting now runs elsewhere, or nowhere.
var ErrFenced = errors.New("cluster: the meeting's lease belongs to another node now")

// LeaseOptions configure a node's Leases.
type LeaseOptions struct {
	// Node is this node's ID (Options.Node of its Bus), URL its public URL
	// that clients are sent to.
	Node, URL string
	// TTL is how long a lease and a heartbeat count without renewal
	// (default DefaultLeaseTTL). Renew at a third of it.
	TTL time.Duration
	// Now, when set, is the clock for every expiry. Nil uses the
	// database's clock, one for all nodes whatever their own clocks say.
	Now func() time.Time
}

// DefaultLeaseTTL bounds how long a dead node's meetings wait to move.
const DefaultLeaseTTL = 6 * time.Second

// Leases places meetings and holds this node's leases.
type Leases struct {
	pool *pgxpool.Pool
	o    LeaseOptions
}

// NewLeases uses pool (the cluster's database, migrated with the
// store's schema).
func NewLeases(pool *pgxpool.Pool, o LeaseOptions) (*Leases, error) {
	if o.Node == "" || o.URL == "" {
		return nil, errors.New("cluster: leases need the node's ID and public URL")
	}
	if o.TTL <= 0 {
		o.TTL = DefaultLeaseTTL
	}
	return &Leases{pool: pool, o: o}, nil
}

// now is the injected clock's time, or nil for the database's now().
func (l *Leases) now() any {
	if l.o.Now == nil {
		return nil
	}
	return l.o.Now().UTC()
}

// clock is the SQL for "now": the injected time ($1) or the database's.
const clock = "COALESCE($1::timestamptz, now())"

// Heartbeat records that this node is alive with load.
func (l *Leases) Heartbeat(ctx context.Context, load Load) error {
	_, err := l.pool.Exec(ctx, `INSERT INTO cluster_nodes (id, url, participants, cpu_milli, seen_at)
		VALUES ($2, $3, $4, $5, `+clock+`)
		ON CONFLICT (id) DO UPDATE SET url = $3, participants = $4, cpu_milli = $5, seen_at = `+clock,
		l.now(), l.o.Node, l.o.URL, max(load.Participants, 0), max(load.CPUMilli, 0))
	if err != nil {
		return fmt.Errorf("cluster: heartbeat: %w", err)
	}
	return nil
}

// Leave removes this node's heartbeat: a node that stops is no longer
// chosen for meetings, even before its last heartbeat would go stale.
func (l *Leases) Leave(ctx context.Context) error {
	if _, err := l.pool.Exec(ctx, `DELETE FROM cluster_nodes WHERE id = $1`, l.o.Node); err != nil {
		return fmt.Errorf("cluster: leave: %w", err)
	}
	return nil
}

// Place returns the node that runs meetingID: the holder of a live lease,
// or else the least loaded live node, for which a new lease is written
// (this node when no node has a live heartbeat, itself included).
func (l *Leases) Place(ctx context.Context, meetingID string) (Lease, error) {
	var out Lease
	err := l.tx(ctx, meetingID, func(tx pgx.Tx) error {
		cur, found, err := l.current(ctx, tx, meetingID)
		if err != nil {
			return err
		}
		if found && cur.live {
			out = cur.Lease
			return nil
		}
		node, url, err := l.leastLoaded(ctx, tx)
		if err != nil {
			return err
		}
		out = Lease{Meeting: meetingID, Node: node, URL: url, Epoch: cur.Epoch + 1}
		// A holder that expired without giving the lease back died: its
		// meeting goes on, from when it began.
		goesOn := found && cur.Node != ""
		return tx.QueryRow(ctx, `INSERT INTO meeting_leases (meeting_id, node_id, epoch, expires_at, started_at)
			VALUES ($2, $3, $4, `+clock+` + $5 * interval '1 millisecond', `+clock+`)
			ON CONFLICT (meeting_id) DO UPDATE SET node_id = $3, epoch = $4, expires_at = EXCLUDED.expires_at,
				started_at = CASE WHEN $6 THEN meeting_leases.started_at ELSE EXCLUDED.started_at END
			RETURNING expires_at, started_at`,
			l.now(), meetingID, node, out.Epoch, l.o.TTL.Milliseconds(), goesOn).Scan(&out.Expires, &out.Started)
	})
	if err != nil {
		return Lease{}, fmt.Errorf("cluster: place meeting: %w", err)
	}
	return out, nil
}

// Holder returns the live lease on meetingID, if any, and writes
// nothing.
func (l *Leases) Holder(ctx context.Context, meetingID string) (Lease, bool, error) {
	var c current
	var found bool
	err := pgx.BeginTxFunc(ctx, l.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		c, found, err = l.current(ctx, tx, meetingID)
		return err
	})
	if err != nil {
		return Lease{}, false, fmt.Errorf("cluster: read lease: %w", err)
	}
	if !found || !c.live || c.Node == "" {
		return Lease{}, false, nil
	}
	return c.Lease, true, nil
}

type current struct {
	Lease
	live bool
}

// current reads meetingID's lease, live or not, with its node's URL.
func (l *Leases) current(ctx context.Context, tx pgx.Tx, meetingID string) (current, bool, error) {
	var c current
	err := tx.QueryRow(ctx, `SELECT m.node_id, COALESCE(n.url, ''), m.epoch, m.expires_at, m.started_at, m.expires_at > `+clock+`
		FROM meeting_leases m LEFT JOIN cluster_nodes n ON n.id = m.node_id WHERE m.meeting_id = $2`,
		l.now(), meetingID).Scan(&c.Node, &c.URL, &c.Epoch, &c.Expires, &c.Started, &c.live)
	if errors.Is(err, pgx.ErrNoRows) {
		return current{}, false, nil
	}
	c.Meeting = meetingID
	return c, err == nil, err
}

// leastLoaded picks the live node with the fewest participants, then the
// least CPU, then the lowest ID (so that every node picks the same).
func (l *Leases) leastLoaded(ctx context.Context, tx pgx.Tx) (node, url string, err error) {
	err = tx.QueryRow(ctx, `SELECT id, url FROM cluster_nodes
		WHERE seen_at > `+clock+` - $2 * interval '1 millisecond'
		ORDER BY participants, cpu_milli, id LIMIT 1`, l.now(), l.o.TTL.Milliseconds()).Scan(&node, &url)
	if errors.Is(err, pgx.ErrNoRows) {
		return l.o.Node, l.o.URL, nil
	}
	return node, url, err
}

// Renew extends this node's lease on the meeting; ErrFenced when the
// lease is no longer this node's at this epoch.
func (l *Leases) Renew(ctx context.Context, lease Lease) (Lease, error) {
	err := l.pool.QueryRow(ctx, `UPDATE meeting_leases SET expires_at = `+clock+` + $5 * interval '1 millisecond'
		WHERE meeting_id = $2 AND node_id = $3 AND epoch = $4 RETURNING expires_at`,
		l.now(), lease.Meeting, l.o.Node, lease.Epoch, l.o.TTL.Milliseconds()).Scan(&lease.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return Lease{}, ErrFenced
	}
	if err != nil {
		return Lease{}, fmt.Errorf("cluster: renew lease: %w", err)
	}
	return lease, nil
}

// Release gives up this node's lease (the meeting ended here); a lease
// taken over meanwhile is left alone. The row stays, holderless, with its
// epoch raised, so that epochs only grow and no old copy of the meeting
// can renew its way back.
func (l *Leases) Release(ctx context.Context, lease Lease) error {
	_, err := l.pool.Exec(ctx, `UPDATE meeting_leases SET node_id = '', epoch = epoch + 1, expires_at = 'epoch'
		WHERE meeting_id = $1 AND node_id = $2 AND epoch = $3`, lease.Meeting, l.o.Node, lease.Epoch)
	if err != nil {
		return fmt.Errorf("cluster: release lease: %w", err)
	}
	return nil
}

// HandOver gives up this node's lease on a meeting that goes on (the
// node stops while it is live): the lease expires now but keeps its
// holder, so that the next placement, on another node, continues the
// meeting (Lease.Started kept) instead of starting it afresh.
func (l *Leases) HandOver(ctx context.Context, lease Lease) error {
	_, err := l.pool.Exec(ctx, `UPDATE meeting_leases SET expires_at = `+clock+`
		WHERE meeting_id = $2 AND node_id = $3 AND epoch = $4`, l.now(), lease.Meeting, l.o.Node, lease.Epoch)
	if err != nil {
		return fmt.Errorf("cluster: hand over lease: %w", err)
	}
	return nil
}

// tx runs f in a transaction holding an advisory lock on meetingID, so
// that placements of one meeting happen one after another.
func (l *Leases) tx(ctx context.Context, meetingID string, f func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('conclave.lease:' || $1, 0))`, meetingID); err != nil {
			return err
		}
		return f(tx)
	})
}
