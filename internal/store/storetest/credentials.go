package storetest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// credentialTests are the conformance tests of credentials (a backend
// that implements store.CredentialStore), run by Run.
var credentialTests = map[string]func(*testing.T, store.Store){
	"CredentialRoundTrip":      testCredentialRoundTrip,
	"CredentialLookup":         testCredentialLookup,
	"CredentialRefusals":       testCredentialRefusals,
	"CredentialUseIsCAS":       testCredentialUseIsCAS,
	"CredentialUseRace":        testCredentialUseRace,
	"CredentialDelete":         testCredentialDelete,
	"CredentialPasswordless":   testCredentialPasswordless,
	"CredentialGoWithAccounts": testCredentialGoWithAccount,
}

func credentialWorld(t *testing.T, s store.Store) store.CredentialStore {
	t.Helper()
	cs, ok := s.(store.CredentialStore)
	if !ok {
		t.Skip("this store keeps no credentials")
	}
	mustCreateUser(t, s, user("u_ada", "ada@example.org", store.RoleAdmin, base))
	mustCreateUser(t, s, user("u_bob", "bob@example.org", store.RoleMember, base))
	return cs
}

func credential(id, userID, kind, lookup string, at time.Time) store.Credential {
	return store.Credential{ID: id, UserID: userID, Kind: kind, Name: "name of " + id,
		Secret: []byte("secret of " + id), Lookup: lookup, Counter: 7, CreatedAt: at}
}

func mustAddCredential(t *testing.T, cs store.CredentialStore, c store.Credential) {
	t.Helper()
	if err := cs.AddCredential(context.Background(), c); err != nil {
		t.Fatalf("AddCredential(%s): %v", c.ID, err)
	}
}

func sameCredential(t *testing.T, got, want store.Credential) {
	t.Helper()
	sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	if got.ID != want.ID || got.UserID != want.UserID || got.Kind != want.Kind || got.Name != want.Name ||
		!bytes.Equal(got.Secret, want.Secret) || got.Counter != want.Counter {
		t.Errorf("credential = %+v, want %+v", got, want)
	}
	if want.Lookup == "" && got.Lookup != "" {
		t.Errorf("Lookup = %q, want empty", got.Lookup)
	}
	if want.Lookup != "" && got.Lookup == want.Lookup {
		t.Errorf("Lookup stored in the clear: %q", got.Lookup)
	}
}

func testCredentialRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	cs := credentialWorld(t, s)
	totp := credential("cr_totp", "u_ada", store.CredentialTOTP, "", base)
	code := credential("cr_code", "u_ada", store.CredentialRecovery, "ABCD-EFGH", base.Add(time.Second))
	code.Secret = nil
	mustAddCredential(t, cs, totp)
	mustAddCredential(t, cs, code)
	mustAddCredential(t, cs, credential("cr_bob", "u_bob", store.CredentialTOTP, "", base))
	got, err := cs.Credentials(ctx, "u_ada")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("Credentials = %d, want 2 (oldest first): %+v", len(got), got)
	}
	sameCredential(t, got[0], totp)
	sameCredential(t, got[1], code)
	if !got[0].LastUsedAt.IsZero() {
		t.Errorf("LastUsedAt = %v before any use", got[0].LastUsedAt)
	}
	if none, err := cs.Credentials(ctx, "u_nobody"); err != nil || none != nil {
		t.Errorf("Credentials(unknown) = %v, %v; want nil, nil", none, err)
	}
}

func testCredentialLookup(t *testing.T, s store.Store) {
	ctx := context.Background()
	cs := credentialWorld(t, s)
	c := credential("cr_oidc", "u_bob", store.CredentialOIDC, "https://idp.example\x00sub-1", base)
	mustAddCredential(t, cs, c)
	got, err := cs.CredentialByLookup(ctx, store.CredentialOIDC, c.Lookup)
	if err != nil {
		t.Fatal(err)
	}
	sameCredential(t, got, c)
	// The index is per kind: the same value under another kind is another
	// credential.
	for _, miss := range [][2]string{{store.CredentialRecovery, c.Lookup}, {store.CredentialOIDC, "https://idp.example\x00sub-2"},
		{store.CredentialOIDC, ""}} {
		if _, err := cs.CredentialByLookup(ctx, miss[0], miss[1]); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("CredentialByLookup(%q, %q) = %v, want ErrNotFound", miss[0], miss[1], err)
		}
	}
	mustAddCredential(t, cs, credential("cr_other", "u_ada", store.CredentialRecovery, c.Lookup, base))
}

func testCredentialRefusals(t *testing.T, s store.Store) {
	ctx := context.Background()
	cs := credentialWorld(t, s)
	mustAddCredential(t, cs, credential("cr_1", "u_ada", store.CredentialRecovery, "CODE-1", base))
	for name, c := range map[string]store.Credential{
		"duplicate id":     credential("cr_1", "u_bob", store.CredentialTOTP, "", base),
		"duplicate lookup": credential("cr_2", "u_bob", store.CredentialRecovery, "CODE-1", base),
	} {
		if err := cs.AddCredential(ctx, c); !errors.Is(err, store.ErrConflict) {
			t.Errorf("%s: %v, want ErrConflict", name, err)
		}
	}
	if err := cs.AddCredential(ctx, credential("cr_3", "u_nobody", store.CredentialTOTP, "", base)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown account: %v, want ErrNotFound", err)
	}
	if err := cs.AddCredential(ctx, credential("cr_4", "u_ada", "sms", "", base)); err == nil {
		t.Errorf("unknown kind accepted")
	}
	// Two credentials without a lookup do not collide.
	mustAddCredential(t, cs, credential("cr_5", "u_ada", store.CredentialTOTP, "", base))
	mustAddCredential(t, cs, credential("cr_6", "u_ada", store.CredentialTOTP, "", base))
}

func testCredentialUseIsCAS(t *testing.T, s store.Store) {
	ctx := context.Background()
	cs := credentialWorld(t, s)
	mustAddCredential(t, cs, credential("cr_totp", "u_ada", store.CredentialTOTP, "", base))
	used := base.Add(time.Minute)
	if ok, err := cs.UseCredential(ctx, "cr_totp", 7, 9, used); err != nil || !ok {
		t.Fatalf("first use = %v, %v; want true", ok, err)
	}
	// The same step again (a replayed code) finds the counter moved.
	if ok, err := cs.UseCredential(ctx, "cr_totp", 7, 9, used); err != nil || ok {
		t.Fatalf("replayed use = %v, %v; want false", ok, err)
	}
	if ok, err := cs.UseCredential(ctx, "cr_gone", 0, 1, used); err != nil || ok {
		t.Fatalf("unknown credential = %v, %v; want false", ok, err)
	}
	got, err := cs.Credentials(ctx, "u_ada")
	if err != nil || len(got) != 1 {
		t.Fatal(got, err)
	}
	if got[0].Counter != 9 {
		t.Errorf("Counter = %d, want 9", got[0].Counter)
	}
	sameTime(t, "LastUsedAt", got[0].LastUsedAt, used)
}

// testCredentialUseRace: of many simultaneous uses of one counter value,
// exactly one wins.
func testCredentialUseRace(t *testing.T, s store.Store) {
	cs := credentialWorld(t, s)
	mustAddCredential(t, cs, credential("cr_totp", "u_ada", store.CredentialTOTP, "", base))
	var (
		wins atomic.Int32
		wg   sync.WaitGroup
	)
	for range 8 {
		wg.Go(func() {
			ok, err := cs.UseCredential(context.Background(), "cr_totp", 7, 8, base)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d uses won, want exactly 1", wins.Load())
	}
}

func testCredentialDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	cs := credentialWorld(t, s)
	mustAddCredential(t, cs, credential("cr_totp", "u_ada", store.CredentialTOTP, "", base))
	mustAddCredential(t, cs, credential("cr_c1", "u_ada", store.CredentialRecovery, "C1", base))
	mustAddCredential(t, cs, credential("cr_c2", "u_ada", store.CredentialRecovery, "C2", base))
	mustAddCredential(t, cs, credential("cr_bob", "u_bob", store.CredentialRecovery, "C3", base))
	if err := cs.DeleteCredential(ctx, "u_bob", "cr_totp"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting another account's credential: %v, want ErrNotFound", err)
	}
	if n, err := cs.DeleteCredentials(ctx, "u_ada", store.CredentialRecovery); err != nil || n != 2 {
		t.Errorf("DeleteCredentials(recovery) = %d, %v; want 2", n, err)
	}
	if _, err := cs.CredentialByLookup(ctx, store.CredentialRecovery, "C1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted code still found: %v", err)
	}
	if err := cs.DeleteCredential(ctx, "u_ada", "cr_totp"); err != nil {
		t.Fatal(err)
	}
	if err := cs.DeleteCredential(ctx, "u_ada", "cr_totp"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	mustAddCredential(t, cs, credential("cr_x", "u_ada", store.CredentialTOTP, "", base))
	if n, err := cs.DeleteCredentials(ctx, "u_ada", ""); err != nil || n != 1 {
		t.Errorf("DeleteCredentials(all) = %d, %v; want 1", n, err)
	}
	if left, _ := cs.Credentials(ctx, "u_bob"); len(left) != 1 {
		t.Errorf("another account's credentials went too: %+v", left)
	}
}

// testCredentialPasswordless: an account may have no password at all.
func testCredentialPasswordless(t *testing.T, s store.Store) {
	ctx := context.Background()
	cs := credentialWorld(t, s)
	u := user("u_sso", "sso@example.org", store.RoleMember, base)
	u.PasswordHash = ""
	mustCreateUser(t, s, u)
	got, err := s.UserByID(ctx, "u_sso")
	if err != nil || got.PasswordHash != "" {
		t.Fatalf("UserByID = %+v, %v; want no password", got, err)
	}
	mustAddCredential(t, cs, credential("cr_sso", "u_sso", store.CredentialOIDC, "iss\x00sub", base))
}

// testCredentialGoWithAccount: erasing an account deletes its credentials
// (where the backend erases), and no credential can be added to it after.
func testCredentialGoWithAccount(t *testing.T, s store.Store) {
	ctx := context.Background()
	cs := credentialWorld(t, s)
	mustAddCredential(t, cs, credential("cr_c1", "u_bob", store.CredentialRecovery, "C1", base))
	eraser, ok := s.(interface {
		EraseUser(context.Context, string, time.Time) (store.UserErasure, error)
	})
	if !ok {
		t.Skip("this store does not erase accounts")
	}
	out, err := eraser.EraseUser(ctx, "u_bob", base)
	if err != nil {
		t.Fatal(err)
	}
	if out.Credentials != 1 {
		t.Errorf("erasure deleted %d credentials, want 1", out.Credentials)
	}
	if left, err := cs.Credentials(ctx, "u_bob"); err != nil || len(left) != 0 {
		t.Errorf("after erasure: %+v, %v", left, err)
	}
	if _, err := cs.CredentialByLookup(ctx, store.CredentialRecovery, "C1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("erased account's code still found: %v", err)
	}
	if err := cs.AddCredential(ctx, credential("cr_c2", "u_bob", store.CredentialTOTP, "", base)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("adding to an erased account: %v, want ErrNotFound", err)
	}
}
