package crypt

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// ErrShredded is returned when content's data key no longer exists (or
// never did): the content is unreadable for good.
var ErrShredded = fmt.Errorf("crypt: data key shredded: %w", store.ErrNotFound)

// ErrUnknownMaster is returned for a data key wrapped under a master key
// this keyring does not have.
var ErrUnknownMaster = errors.New("crypt: data key wrapped under an unknown master key")

// indexOwner holds the blind-index key. It is a data key like any other,
// so rotation re-wraps it without changing it and the indexes stay valid;
// Shred refuses system owners.
const indexOwner = "system:blind-index"

// Keyring seals and opens content under per-owner data keys. It is safe for
// concurrent use. Unwrapped data keys are not cached: each use reads the
// key row, so a key shredded or re-wrapped by another process (the CLI)
// takes effect at once.
type Keyring struct {
	keys store.KeyStore
	src  Source

	mu      sync.Mutex
	masters map[string]Master // every master key seen since start
	current Master
	stamp   stamp

	indexKey []byte
}

// NewKeyring loads the master keys from src and the blind-index key from
// keys. A master key is created only while keys holds no data key; every
// stored key must be wrapped under a master key src provides.
func NewKeyring(ctx context.Context, keys store.KeyStore, src Source) (*Keyring, error) {
	counts, err := keys.DataKeyCounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	k := &Keyring{keys: keys, src: src, masters: map[string]Master{}}
	if err := k.load(len(counts) == 0); err != nil {
		return nil, err
	}
	if err := k.checkKnown(counts); err != nil {
		return nil, err
	}
	if k.indexKey, err = k.dataKey(ctx, indexOwner, true); err != nil {
		return nil, fmt.Errorf("keyring: blind-index key: %w", err)
	}
	return k, nil
}

// checkKnown refuses to start with a master key that does not match the
// database: the server would fail on every read instead.
func (k *Keyring) checkKnown(counts map[string]int) error {
	for id, n := range counts {
		if _, ok := k.master(id); !ok {
			return fmt.Errorf("keyring: %w: %d data keys are wrapped under master key %s, which neither %s nor $%s holds",
				ErrUnknownMaster, n, id, k.src.KeyPath(), EnvKey)
		}
	}
	return nil
}

// load (re)reads the source. Keys once loaded are kept, so content stays
// readable while a rotation removes master.key.old.
func (k *Keyring) load(create bool) error {
	st := k.src.stamp()
	ms, err := k.src.Load(create)
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, m := range append(ms.Older, ms.Current) {
		k.masters[m.ID] = m
	}
	k.current, k.stamp = ms.Current, st
	if create && k.stamp.fi == nil {
		k.stamp = k.src.stamp() // the file was just created
	}
	return nil
}

// Reload re-reads the master keys, e.g. on SIGHUP.
func (k *Keyring) Reload() error { return k.load(false) }

// CurrentID is the ID of the master key that wraps new data keys.
func (k *Keyring) CurrentID() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.current.ID
}

func (k *Keyring) master(id string) (Master, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	m, ok := k.masters[id]
	return m, ok
}

// currentForWrap returns the master key for new wraps, reloading first
// when the key file changed: a rotation that installed a new key file is
// noticed before the next key is wrapped, without a restart or signal.
func (k *Keyring) currentForWrap() (Master, error) {
	k.mu.Lock()
	changed := !k.src.stamp().same(k.stamp)
	k.mu.Unlock()
	if changed {
		if err := k.load(false); err != nil {
			return Master{}, err
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.current, nil
}

// unwrapper returns the master key with the given ID, re-reading the
// source once when it is unknown (a rotation may have started).
func (k *Keyring) unwrapper(id string) (Master, error) {
	if m, ok := k.master(id); ok {
		return m, nil
	}
	if err := k.load(false); err != nil {
		return Master{}, err
	}
	if m, ok := k.master(id); ok {
		return m, nil
	}
	return Master{}, fmt.Errorf("%w (%s)", ErrUnknownMaster, id)
}

// Seal encrypts plaintext under owner's data key, creating the key on first
// use. aad names where the value lives (e.g. "users.email"); Open must be
// given the same.
func (k *Keyring) Seal(ctx context.Context, owner string, plaintext, aad []byte) ([]byte, error) {
	dk, err := k.dataKey(ctx, owner, true)
	if err != nil {
		return nil, fmt.Errorf("seal for %s: %w", owner, err)
	}
	return seal(dk, plaintext, contentAAD(owner, aad))
}

// Open decrypts what Seal returned. ErrShredded when owner's key is gone.
func (k *Keyring) Open(ctx context.Context, owner string, sealed, aad []byte) ([]byte, error) {
	dk, err := k.dataKey(ctx, owner, false)
	if err != nil {
		return nil, fmt.Errorf("open for %s: %w", owner, err)
	}
	pt, err := open(dk, sealed, contentAAD(owner, aad))
	if err != nil {
		return nil, fmt.Errorf("open for %s: %w", owner, err)
	}
	return pt, nil
}

// Shred destroys owner's data key: everything sealed for owner becomes
// unreadable, in the database and in every copy made after this call.
// Shredding an owner without a key is not an error.
func (k *Keyring) Shred(ctx context.Context, owner string) error {
	if err := checkShreddable(owner); err != nil {
		return err
	}
	if _, err := k.keys.DeleteDataKey(ctx, owner); err != nil {
		return fmt.Errorf("shred %s: %w", owner, err)
	}
	return nil
}

func checkShreddable(owner string) error {
	if owner == "" || strings.HasPrefix(owner, "system:") {
		return fmt.Errorf("shred: owner %q cannot be shredded", owner)
	}
	return nil
}

// Index is a blind index of value for field: HMAC-SHA-256 under a key
// that only the master key unlocks. Equal values give equal indexes, so a
// column of indexes can be searched for equality without holding values.
func (k *Keyring) Index(field, value string) string {
	mac := hmac.New(sha256.New, k.indexKey)
	mac.Write([]byte(field))
	mac.Write([]byte{0})
	mac.Write([]byte(value))
	return hex.EncodeToString(mac.Sum(nil))
}

// dataKey returns owner's unwrapped key, creating it when create is set.
func (k *Keyring) dataKey(ctx context.Context, owner string, create bool) ([]byte, error) {
	row, err := k.keys.DataKey(ctx, owner)
	switch {
	case errors.Is(err, store.ErrNotFound) && create:
		row, err = k.createKey(ctx, owner)
	case errors.Is(err, store.ErrNotFound):
		return nil, ErrShredded
	}
	if err != nil {
		return nil, err
	}
	m, err := k.unwrapper(row.MasterID)
	if err != nil {
		return nil, err
	}
	dk, err := open(m.key, row.Wrapped, wrapAAD(owner))
	if err != nil {
		return nil, fmt.Errorf("unwrap data key: %w", err)
	}
	k.rewrapLazily(ctx, row, dk)
	return dk, nil
}

func (k *Keyring) createKey(ctx context.Context, owner string) (store.DataKey, error) {
	dk := make([]byte, KeySize)
	if _, err := rand.Read(dk); err != nil {
		return store.DataKey{}, fmt.Errorf("generate data key: %w", err)
	}
	m, err := k.currentForWrap()
	if err != nil {
		return store.DataKey{}, err
	}
	wrapped, err := seal(m.key, dk, wrapAAD(owner))
	if err != nil {
		return store.DataKey{}, err
	}
	row := store.DataKey{Owner: owner, Wrapped: wrapped, MasterID: m.ID, CreatedAt: time.Now()}
	return k.keys.InsertDataKey(ctx, row)
}

// rewrapLazily moves a key it meets under an older master key to the
// current one, so a rotation that missed a key (created by a server that
// had not yet noticed the new master key) heals itself. Failure is
// harmless: the key stays readable under its old master key.
func (k *Keyring) rewrapLazily(ctx context.Context, row store.DataKey, dk []byte) {
	m, err := k.currentForWrap()
	if err != nil || row.MasterID == m.ID {
		return
	}
	if r, err := rewrapWith(m, row.Owner, row.MasterID, dk); err == nil {
		_, _ = k.keys.RewrapDataKeys(ctx, []store.Rewrap{r})
	}
}

func rewrapWith(m Master, owner, from string, dk []byte) (store.Rewrap, error) {
	wrapped, err := seal(m.key, dk, wrapAAD(owner))
	if err != nil {
		return store.Rewrap{}, err
	}
	return store.Rewrap{Owner: owner, FromMaster: from, Wrapped: wrapped, MasterID: m.ID}, nil
}
