package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Store backends, as StoreKind names them.
const (
	StoreSQLite   = "sqlite"
	StorePostgres = "postgres"
)

// redacted replaces a password wherever a DSN is printed.
const redacted = "xxxxx"

// StoreKind is StoreSQLite when Store is empty (the embedded database in
// the data directory) and StorePostgres for a postgres:// or
// postgresql:// URL.
func (c Config) StoreKind() string {
	if isPostgresDSN(c.Store) {
		return StorePostgres
	}
	return StoreSQLite
}

// StoreName describes the configured database for logs and messages,
// without a password: the SQLite file, or the redacted PostgreSQL URL.
func (c Config) StoreName() string {
	if c.StoreKind() == StorePostgres {
		return RedactDSN(c.Store)
	}
	return c.DBPath()
}

func isPostgresDSN(s string) bool {
	lower := strings.ToLower(s)
	return strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://")
}

// RedactDSN returns dsn with its password (in the user information or a
// password= parameter) replaced and any #fragment dropped, for logs and
// error messages. Something that does not parse as a URL is not shown at
// all.
func RedactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable database URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), redacted)
		}
	}
	u.Fragment, u.RawFragment = "", ""
	q := u.Query()
	for k := range q {
		if strings.EqualFold(k, "password") {
			q.Set(k, redacted)
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

// validateStore accepts an empty store (SQLite) or a PostgreSQL URL. Its
// errors never quote the value: it may hold a password.
func (c Config) validateStore() error {
	if c.Store == "" {
		return nil
	}
	if !isPostgresDSN(c.Store) {
		return errors.New(`store must be empty (SQLite in the data directory) or a PostgreSQL URL starting with "postgres://" or "postgresql://"`)
	}
	u, err := url.Parse(c.Store)
	if err != nil {
		return errors.New("store: not a valid PostgreSQL URL (postgres://user:password@host:5432/database?sslmode=verify-full)")
	}
	if strings.Trim(u.Path, "/") == "" {
		return fmt.Errorf("store %s: name the database (postgres://user@host/conclave)", RedactDSN(c.Store))
	}
	if u.Fragment != "" {
		return fmt.Errorf("store %s: a PostgreSQL URL has no #fragment", RedactDSN(c.Store))
	}
	return nil
}
