package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
)

// keyTests cover store.KeyStore, the wrapped data keys behind field
// encryption (the keyring itself is tested in package crypt).
var keyTests = map[string]func(*testing.T, store.Store){
	"DataKeyFirstWins":   testDataKeyFirstWins,
	"DataKeyDelete":      testDataKeyDelete,
	"DataKeysNotUnder":   testDataKeysNotUnder,
	"DataKeyRewrapIsCAS": testDataKeyRewrapIsCAS,
}

func keyWorld(t *testing.T, s store.Store) store.KeyStore {
	ks, ok := s.(store.KeyStore)
	if !ok {
		t.Fatal("the store keeps no data keys")
	}
	return ks
}

// keyOwner is outside the owners the keyring uses, so that the keys a
// store made for itself (the blind-index key) never collide.
func keyOwner(i int) string { return fmt.Sprintf("test:%02d", i) }

func dataKey(owner, master string) store.DataKey {
	return store.DataKey{Owner: owner, Wrapped: []byte("wrapped " + owner + " under " + master), MasterID: master, CreatedAt: base}
}

func testDataKeyFirstWins(t *testing.T, s store.Store) {
	ctx := context.Background()
	ks := keyWorld(t, s)
	if _, err := ks.DataKey(ctx, keyOwner(1)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a key never stored: %v, want ErrNotFound", err)
	}
	const n = 8
	got := make([]store.DataKey, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i], errs[i] = ks.InsertDataKey(ctx, dataKey(keyOwner(1), fmt.Sprintf("m%d", i))) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if got[i].MasterID != got[0].MasterID || string(got[i].Wrapped) != string(got[0].Wrapped) {
			t.Fatalf("concurrent creators got different keys: %+v and %+v", got[0], got[i])
		}
	}
	stored, err := ks.DataKey(ctx, keyOwner(1))
	if err != nil || string(stored.Wrapped) != string(got[0].Wrapped) {
		t.Fatalf("stored %+v, %v; callers got %+v", stored, err, got[0])
	}
	sameTime(t, "CreatedAt", stored.CreatedAt, base)
}

func testDataKeyDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	ks := keyWorld(t, s)
	if _, err := ks.InsertDataKey(ctx, dataKey(keyOwner(1), "m1")); err != nil {
		t.Fatal(err)
	}
	if ok, err := ks.DeleteDataKey(ctx, keyOwner(1)); err != nil || !ok {
		t.Fatalf("DeleteDataKey = %v, %v; want true", ok, err)
	}
	if ok, err := ks.DeleteDataKey(ctx, keyOwner(1)); err != nil || ok {
		t.Fatalf("deleting again = %v, %v; want false", ok, err)
	}
	if _, err := ks.DataKey(ctx, keyOwner(1)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a deleted key: %v, want ErrNotFound", err)
	}
}

func testDataKeysNotUnder(t *testing.T, s store.Store) {
	ctx := context.Background()
	ks := keyWorld(t, s)
	before, err := ks.DataKeyCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{5, 1, 4, 2, 3} {
		master := "old"
		if i == 4 {
			master = "new"
		}
		if _, err := ks.InsertDataKey(ctx, dataKey(keyOwner(i), master)); err != nil {
			t.Fatal(err)
		}
	}
	counts, err := ks.DataKeyCounts(ctx)
	if err != nil || counts["old"] != before["old"]+4 || counts["new"] != before["new"]+1 {
		t.Fatalf("DataKeyCounts = %v, %v (before: %v)", counts, err, before)
	}
	var owners []string
	for _, k := range mustNotUnder(t, ks, "new", 100) {
		if k.MasterID == "old" {
			owners = append(owners, k.Owner)
		}
	}
	if fmt.Sprint(owners) != fmt.Sprint([]string{keyOwner(1), keyOwner(2), keyOwner(3), keyOwner(5)}) {
		t.Fatalf("keys not under new, in owner order: %v", owners)
	}
	if got := mustNotUnder(t, ks, "new", 2); len(got) != 2 {
		t.Fatalf("limit 2 gave %d keys", len(got))
	}
}

func mustNotUnder(t *testing.T, ks store.KeyStore, master string, limit int) []store.DataKey {
	t.Helper()
	got, err := ks.DataKeysNotUnder(context.Background(), master, limit)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(got); i++ {
		if got[i-1].Owner >= got[i].Owner {
			t.Fatalf("not in owner order: %q before %q", got[i-1].Owner, got[i].Owner)
		}
	}
	return got
}

// testDataKeyRewrapIsCAS: a rewrap applies only while the key is still
// under its FromMaster, so a rotation never resurrects a shredded key or
// clobbers another rotation's work.
func testDataKeyRewrapIsCAS(t *testing.T, s store.Store) {
	ctx := context.Background()
	ks := keyWorld(t, s)
	for i := 1; i <= 3; i++ {
		if _, err := ks.InsertDataKey(ctx, dataKey(keyOwner(i), "old")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ks.DeleteDataKey(ctx, keyOwner(3)); err != nil {
		t.Fatal(err)
	}
	n, err := ks.RewrapDataKeys(ctx, []store.Rewrap{
		{Owner: keyOwner(1), FromMaster: "old", Wrapped: []byte("rewrapped 1"), MasterID: "new"},
		{Owner: keyOwner(2), FromMaster: "other", Wrapped: []byte("rewrapped 2"), MasterID: "new"},
		{Owner: keyOwner(3), FromMaster: "old", Wrapped: []byte("rewrapped 3"), MasterID: "new"},
	})
	if err != nil || n != 1 {
		t.Fatalf("RewrapDataKeys = %d, %v; want 1", n, err)
	}
	if k, err := ks.DataKey(ctx, keyOwner(1)); err != nil || k.MasterID != "new" || string(k.Wrapped) != "rewrapped 1" {
		t.Errorf("the rewrapped key: %+v, %v", k, err)
	}
	if k, err := ks.DataKey(ctx, keyOwner(2)); err != nil || k.MasterID != "old" {
		t.Errorf("a key under another master was changed: %+v, %v", k, err)
	}
	if _, err := ks.DataKey(ctx, keyOwner(3)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a shredded key came back: %v", err)
	}
}
