package privacy

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
)

// TestCredentialKindExportsNoSecrets: the export names each factor and
// when it was used, never its secret; erasure deletes them all.
func TestCredentialKindExportsNoSecrets(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := st.CreateUser(ctx, store.User{ID: "u_ana", Email: "ana@example.org", Name: "Ana", Role: store.RoleMember, CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []store.Credential{
		{ID: "cr_1", UserID: "u_ana", Kind: store.CredentialTOTP, Name: "Phone", Secret: []byte("TOPSECRETKEY"), Counter: 5, CreatedAt: at},
		{ID: "cr_2", UserID: "u_ana", Kind: store.CredentialRecovery, Name: "Recovery code", Lookup: "u_ana\x00CODEVALUE1", CreatedAt: at},
	} {
		if err := st.AddCredential(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	k := CredentialKind{Store: st}
	items, err := k.Export(ctx, Subject{ID: "u_ana"})
	if err != nil || len(items) != 2 {
		t.Fatalf("export: %v %v", items, err)
	}
	b, err := json.Marshal(items)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"TOPSECRETKEY", "VE9QU0VDUkVU", "CODEVALUE1"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("export holds a secret: %s", b)
		}
	}
	if !strings.Contains(string(b), `"kind":"totp"`) || !strings.Contains(string(b), "Phone") {
		t.Errorf("export: %s", b)
	}
	if out, err := k.Erase(ctx, Subject{ID: "u_ana"}); err != nil || out.Deleted != 2 {
		t.Fatalf("erase: %+v %v", out, err)
	}
	if left, _ := st.Credentials(ctx, "u_ana"); len(left) != 0 {
		t.Errorf("left after erasure: %+v", left)
	}
	if items, err := k.Export(ctx, Subject{ID: "p_guest"}); err != nil || items != nil {
		t.Errorf("guest: %v %v", items, err)
	}
}
