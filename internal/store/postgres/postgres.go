// Package postgres implements Conclave's store on PostgreSQL (pgx), the
// backend several nodes share. Its schema is migrated with goose from the
// embedded migrations directory on Open, under an advisory lock so that
// nodes starting together migrate once.
//
// Personal fields are sealed by package store/sealed, as in the SQLite
// backend, under data keys kept in the data_keys table and wrapped by the
// master key, which every node must be given alike.
//
// It implements store.Store and the narrow interfaces beside it, and runs
// the same conformance suite as SQLite (storetest). SQLite-only
// maintenance (store.Scrubber) has no counterpart here: see
// docs/architecture.md, "Storage backends".
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/conclave-meet/conclave/internal/crypt"
	"github.com/conclave-meet/conclave/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the PostgreSQL store.
type Store struct {
	pool *pgxpool.Pool
	keys *crypt.Keyring // seals personal fields (package store/sealed)
}

var (
	_ store.Store               = (*Store)(nil)
	_ store.AccountStore        = (*Store)(nil)
	_ store.SessionStore        = (*Store)(nil)
	_ store.KeyStore            = (*Store)(nil)
	_ store.AuditRetentionStore = (*Store)(nil)
)

// Option configures Open.
type Option func(*options)

type options struct {
	keySource *crypt.Source
}

// WithKeySource says where the master keys come from. It is required:
// unlike SQLite's, a PostgreSQL database has no directory of its own to
// keep a key file in, and every node must use the same key (give each
// $CONCLAVE_MASTER_KEY).
func WithKeySource(src crypt.Source) Option {
	return func(o *options) { o.keySource = &src }
}

// Open connects to the database named by dsn (a pgx connection string or
// URL), applies pending migrations and loads the keyring.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.keySource == nil {
		return nil, errors.New("open postgres store: no master key source (WithKeySource)")
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	s := &Store{pool: pool}
	keys, err := crypt.NewKeyring(ctx, s, *o.keySource)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	s.keys = keys
	return s, nil
}

// Migrate applies pending migrations to the database dsn names and closes
// its connections; Open does the same on its own pool. (For tests that
// migrate once and copy, and for upgrading the schema ahead of the nodes.)
func Migrate(ctx context.Context, dsn string) error {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer pool.Close()
	return migrate(ctx, pool)
}

func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	// Other nodes migrating hold the lock briefly: try every second, for
	// up to five minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// Keyring is the store's keyring: for shredding, rotation and key status.
func (s *Store) Keyring() *crypt.Keyring { return s.keys }

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// querier is satisfied by *pgxpool.Pool and pgx.Tx.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// inTx runs fn in a read-committed transaction, committing when it returns
// nil.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, fn)
}

// mapErr turns driver errors into the store sentinels: a uniqueness
// violation is ErrConflict; a foreign-key violation means the referenced
// row does not exist, so ErrNotFound.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%s: %w", op, store.ErrConflict)
		case "23503": // foreign_key_violation
			return fmt.Errorf("%s: %w", op, store.ErrNotFound)
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// execCount runs a statement and returns how many rows it changed.
func (s *Store) execCount(ctx context.Context, op, query string, args ...any) (int, error) {
	tag, err := s.pool.Exec(ctx, query, args...)
	if err != nil {
		return 0, mapErr(op, err)
	}
	return int(tag.RowsAffected()), nil
}

// toDB and fromDB convert times to and from UTC Unix nanoseconds, which
// round-trip exactly (until the year 2262); timestamptz would keep only
// microseconds.
func toDB(t time.Time) int64 { return t.UnixNano() }

func fromDB(n int64) time.Time { return time.Unix(0, n).UTC() }

// optionalToDB and optionalFromDB store the zero time as 0.
func optionalToDB(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return toDB(t)
}

func optionalFromDB(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return fromDB(n)
}
