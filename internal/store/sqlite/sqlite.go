// Package sqlite implements store.Store on an embedded SQLite database
// (modernc.org/sqlite, no cgo). The schema is migrated with goose from the
// embedded migrations directory on Open.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/conclave-meet/conclave/internal/crypt"
	"github.com/conclave-meet/conclave/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the SQLite implementation of store.Store.
type Store struct {
	db      *sql.DB
	auditMu sync.Mutex     // serialises AppendAudit within this process
	keys    *crypt.Keyring // seals personal fields (see keys.go, convert.go)
}

var _ store.Store = (*Store)(nil)

// dsnParams: WAL lets readers proceed during writes; busy_timeout makes
// concurrent writers wait instead of failing; foreign keys keep sessions and
// meetings tied to existing users; _txlock=immediate takes the write lock at
// BEGIN so read-then-write transactions cannot fail with SQLITE_BUSY midway;
// secure_delete zeroes deleted rows so that erased personal data does not
// linger in free space (see ScrubDeleted for the WAL).
const dsnParams = "_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=secure_delete(1)&_txlock=immediate"

// Pool bounds. SQLite serialises writers anyway (the immediate
// transactions queue on its lock), so many connections only add file
// descriptors and memory; a burst of requests queues in database/sql
// instead. Readers still run in parallel under WAL. Idle connections beyond
// a few are closed, and the rest after a minute unused, so that a burst
// does not keep its descriptors for the life of the process.
const (
	maxOpenConns    = 16
	maxIdleConns    = 4
	connMaxIdleTime = time.Minute
)

// Open opens (creating if needed) the database at path and applies pending
// migrations. The parent directory is created with mode 0700 and a new
// database file with mode 0600; SQLite gives its -wal and -shm files the
// database file's mode.
//
// Personal fields are sealed under data keys wrapped by a master key (see
// package crypt); Open loads it from WithKeySource's source, by default
// the database's directory and os.Getenv, and converts plain text left by
// older versions.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{keySource: crypt.Source{Dir: filepath.Dir(path)}}
	for _, opt := range opts {
		opt(&o)
	}
	if err := prepareFile(path); err != nil {
		return nil, err
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + dsnParams
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db.SetMaxOpenConns(maxOpenConns)
	db.SetMaxIdleConns(maxIdleConns)
	db.SetConnMaxIdleTime(connMaxIdleTime)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	s := &Store{db: db}
	if err := s.initEncryption(ctx, o.keySource); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// prepareFile creates the directory and an empty database file up front so
// the file is never, even briefly, world-readable under a lax umask.
func prepareFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create database directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	return nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

// mapErr turns driver errors into the store sentinels. Uniqueness violations
// become ErrConflict; a foreign-key violation means the referenced user does
// not exist, so it becomes ErrNotFound.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%s: %w", op, store.ErrConflict)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%s: %w", op, store.ErrNotFound)
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// toDB and fromDB convert times to and from UTC Unix nanoseconds, which
// round-trip exactly (until the year 2262).
func toDB(t time.Time) int64 { return t.UnixNano() }

func fromDB(n int64) time.Time { return time.Unix(0, n).UTC() }
