package crypt

import (
	"context"
	"fmt"
	"sort"

	"github.com/conclave-meet/conclave/internal/store"
)

// rotateBatch keys are re-wrapped per transaction: short write locks, so
// the running server's writes wait milliseconds, not the whole rotation.
const rotateBatch = 100

// Rotate re-wraps every data key under to, which becomes the keyring's
// current master key, and returns how many keys it re-wrapped. Keys are
// unwrapped with whichever known master key wrapped them, so it can run
// while a server that holds both keys keeps working, and it can be run
// again after an interruption. It returns when no key is left under
// another master key.
func (k *Keyring) Rotate(ctx context.Context, to Master) (int, error) {
	k.mu.Lock()
	k.masters[to.ID] = to
	k.current = to
	k.mu.Unlock()
	total := 0
	for {
		batch, err := k.keys.DataKeysNotUnder(ctx, to.ID, rotateBatch)
		if err != nil {
			return total, fmt.Errorf("rotate: %w", err)
		}
		if len(batch) == 0 {
			return total, nil
		}
		n, err := k.rewrapBatch(ctx, to, batch)
		total += n
		if err != nil {
			return total, err
		}
	}
}

// RotateToCurrent re-wraps every key under the keyring's current master
// key: after a new key file was installed and reloaded, or to finish an
// interrupted rotation.
func (k *Keyring) RotateToCurrent(ctx context.Context) (int, error) {
	k.mu.Lock()
	cur := k.current
	k.mu.Unlock()
	return k.Rotate(ctx, cur)
}

func (k *Keyring) rewrapBatch(ctx context.Context, to Master, batch []store.DataKey) (int, error) {
	rs := make([]store.Rewrap, 0, len(batch))
	for _, row := range batch {
		from, err := k.unwrapper(row.MasterID)
		if err != nil {
			return 0, fmt.Errorf("rotate %s: %w", row.Owner, err)
		}
		dk, err := open(from.key, row.Wrapped, wrapAAD(row.Owner))
		if err != nil {
			return 0, fmt.Errorf("rotate %s: unwrap: %w", row.Owner, err)
		}
		r, err := rewrapWith(to, row.Owner, row.MasterID, dk)
		if err != nil {
			return 0, fmt.Errorf("rotate %s: %w", row.Owner, err)
		}
		rs = append(rs, r)
	}
	n, err := k.keys.RewrapDataKeys(ctx, rs)
	if err != nil {
		return 0, fmt.Errorf("rotate: %w", err)
	}
	return n, nil
}

// MasterCount is how many data keys one master key wraps.
type MasterCount struct {
	MasterID string
	Keys     int
	Current  bool // the keyring's current master key
	Known    bool // the keyring holds this master key
}

// Status counts the data keys per master key, current master key first.
func (k *Keyring) Status(ctx context.Context) ([]MasterCount, error) {
	counts, err := k.keys.DataKeyCounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("key status: %w", err)
	}
	cur := k.CurrentID()
	if _, ok := counts[cur]; !ok {
		counts[cur] = 0
	}
	out := make([]MasterCount, 0, len(counts))
	for id, n := range counts {
		_, known := k.master(id)
		out = append(out, MasterCount{MasterID: id, Keys: n, Current: id == cur, Known: known})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Current != out[j].Current {
			return out[i].Current
		}
		return out[i].MasterID < out[j].MasterID
	})
	return out, nil
}
