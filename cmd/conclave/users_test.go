package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
)

func TestUserDisableEnableRole(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	addAdmin(t, dir, "ada@example.org")
	r := cli(t, map[string]string{"CONCLAVE_PASSWORD": testPassword}, "",
		"user", "add", "--data", dir, "--email", "bob@example.org", "--name", "Bob")
	if r.code != 0 {
		t.Fatalf("user add: %+v", r)
	}
	if r := cli(t, nil, "", "user", "disable", "--data", dir, "--email", "ada@example.org"); r.code == 0 ||
		!strings.Contains(r.stderr, "last enabled administrator") {
		t.Fatalf("disabling the last admin: %+v", r)
	}
	if r := cli(t, nil, "", "user", "role", "--data", dir, "--email", "bob@example.org"); r.code != 2 {
		t.Fatalf("role without --role: %+v", r)
	}
	for _, args := range [][]string{
		{"user", "disable", "--data", dir, "--email", "Bob@example.org"},
		{"user", "role", "--data", dir, "--email", "bob@example.org", "--role", "admin"},
	} {
		if r := cli(t, nil, "", args...); r.code != 0 {
			t.Fatalf("%v: %+v", args, r)
		}
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	accounts := auth.NewAccounts(st, auth.NewHasher(auth.DefaultParams, 1), nil)
	if _, err := accounts.Login(context.Background(), "bob@example.org", testPassword); err != auth.ErrAccountDisabled {
		t.Fatalf("disabled login: %v", err)
	}
	es, err := st.AuditEntries(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	last := es[len(es)-1]
	if last.Action != "user.role.change" || last.Details["role"] != "admin" || last.Details["from"] != "member" || last.Details["via"] != "cli" {
		t.Fatalf("role change recorded as %+v", last)
	}
	st.Close()
	if r := cli(t, nil, "", "user", "enable", "--data", dir, "--email", "bob@example.org"); r.code != 0 {
		t.Fatalf("enable: %+v", r)
	}
}
