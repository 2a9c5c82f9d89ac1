package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/conclave-meet/conclave/internal/chat"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/crypt"
	"github.com/conclave-meet/conclave/internal/files"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/recordings"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/postgres"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
	"github.com/conclave-meet/conclave/internal/transcriptions"
	"github.com/conclave-meet/conclave/internal/web"
)

// serverStore is what serve and the administration commands use of a
// store: the generic store and the narrow interfaces of chat, transcripts,
// shared files, recordings, credentials, the privacy kinds and the
// readiness probe, and the keyring. Both backends implement it; what only SQLite offers
// (store.Scrubber) is asked for with a type assertion where it is used.
type serverStore interface {
	store.Store
	store.KeyStore
	files.Store
	recordings.Store
	chat.Store
	web.ChatArchive
	privacy.ChatStore
	privacy.TranscriptStore
	transcriptions.SegmentStore
	web.TranscriptArchive
	privacy.AccountStore
	privacy.MeetingStore
	privacy.CredentialStore
	privacy.SubjectRequestStore
	store.CredentialStore
	web.WriteProber
	// FirstAdmin is the oldest administrator (meeting create's default
	// host).
	FirstAdmin(ctx context.Context) (store.User, error)
	// Keyring seals and opens personal fields: key status and rotation.
	Keyring() *crypt.Keyring
}

var (
	_ serverStore = (*sqlite.Store)(nil)
	_ serverStore = (*postgres.Store)(nil)
)

// openStore opens the configured store (config store: SQLite in the data
// directory, created if need be, or PostgreSQL), with the master keys from
// the data directory or the environment e was given. Serve and every
// command open their store here.
func openStore(ctx context.Context, cfg config.Config, e env) (serverStore, error) {
	if err := cfg.EnsureDataDir(); err != nil {
		return nil, err
	}
	return openConfigured(ctx, cfg, e)
}

// openExistingStore opens the database without creating a data dir: a
// verification of a mistyped path must fail, not report an empty log.
// (A PostgreSQL database exists or the connection fails.)
func openExistingStore(ctx context.Context, cfg config.Config, e env) (serverStore, error) {
	if cfg.StoreKind() == config.StoreSQLite {
		if _, err := os.Stat(cfg.DBPath()); err != nil {
			return nil, fmt.Errorf("no database at %s: %w", cfg.DBPath(), err)
		}
	}
	return openConfigured(ctx, cfg, e)
}

func openConfigured(ctx context.Context, cfg config.Config, e env) (serverStore, error) {
	src := keySource(cfg, e)
	if cfg.StoreKind() == config.StoreSQLite {
		return sqlite.Open(ctx, cfg.DBPath(), sqlite.WithKeySource(src))
	}
	st, err := postgres.Open(ctx, cfg.Store, postgres.WithKeySource(src))
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", cfg.StoreName(), redactPassword(err, cfg.Store))
	}
	return st, nil
}

// redactPassword keeps the DSN's passwords out of an error message,
// should a driver ever quote them: the text is rebuilt with each replaced.
func redactPassword(err error, dsn string) error {
	text := err.Error()
	for _, pw := range dsnPasswords(dsn) {
		text = strings.ReplaceAll(text, pw, "xxxxx")
	}
	if text == err.Error() {
		return err
	}
	return errors.New(text)
}

// dsnPasswords are the passwords a PostgreSQL URL holds: in its user
// information and in password= parameters.
func dsnPasswords(dsn string) []string {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil
	}
	var pws []string
	if pw, ok := u.User.Password(); ok && pw != "" {
		pws = append(pws, pw)
	}
	for k, vs := range u.Query() {
		if strings.EqualFold(k, "password") {
			for _, v := range vs {
				if v != "" {
					pws = append(pws, v)
				}
			}
		}
	}
	return pws
}
