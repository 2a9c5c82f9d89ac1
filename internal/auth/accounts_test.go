package auth

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
)

func TestCreateUserNormalises(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u, err := e.accounts.CreateUser(ctx, NewUser{Email: "  Ada@Example.ORG ", Name: "  Ada Lovelace ", Password: goodPassword, Role: store.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "ada@example.org" || u.Name != "Ada Lovelace" || u.Role != store.RoleMember {
		t.Fatalf("user %+v", u)
	}
	if !regexp.MustCompile(`^u_[a-z2-7]{20}$`).MatchString(u.ID) {
		t.Fatalf("id %q", u.ID)
	}
	if !u.CreatedAt.Equal(e.clock.Now()) {
		t.Fatalf("created %v, want clock %v", u.CreatedAt, e.clock.Now())
	}
	got, err := e.store.UserByEmail(ctx, "ada@example.org")
	if err != nil || got.ID != u.ID {
		t.Fatalf("stored: %+v %v", got, err)
	}
	if strings.Contains(got.PasswordHash, goodPassword) {
		t.Fatal("password stored in clear")
	}
	if ok, err := e.hasher.Verify(ctx, got.PasswordHash, goodPassword); !ok || err != nil {
		t.Fatalf("stored hash does not verify: %v", err)
	}
}

func TestCreateUserDuplicateEmail(t *testing.T) {
	e := newEnv(t)
	e.mustUser(t, "ada@example.org", store.RoleAdmin)
	_, err := e.accounts.CreateUser(context.Background(), NewUser{Email: "ADA@example.org", Name: "Other", Password: goodPassword, Role: store.RoleMember})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate: %v, want ErrConflict", err)
	}
}

func TestCreateUserValidation(t *testing.T) {
	e := newEnv(t)
	ok := NewUser{Email: "a@example.org", Name: "Ada", Password: goodPassword, Role: store.RoleMember}
	cases := []struct {
		field string
		mod   func(*NewUser)
	}{
		{"email", func(u *NewUser) { u.Email = "" }},
		{"email", func(u *NewUser) { u.Email = "not-an-address" }},
		{"name", func(u *NewUser) { u.Name = "   " }},
		{"name", func(u *NewUser) { u.Name = strings.Repeat("x", 65) }},
		{"role", func(u *NewUser) { u.Role = "owner" }},
		{"password", func(u *NewUser) { u.Password = "short" }},
	}
	for _, tc := range cases {
		in := ok
		tc.mod(&in)
		_, err := e.accounts.CreateUser(context.Background(), in)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("%+v: err = %v, want ValidationError on %s", in, err, tc.field)
		}
	}
	if e.derives.Load() != 0 {
		t.Fatal("invalid input must be refused before hashing")
	}
	if n, _ := e.store.CountUsers(context.Background()); n != 0 {
		t.Fatalf("%d users stored", n)
	}
}

func TestNormalizeEmail(t *testing.T) {
	good := map[string]string{
		"a@example.org":          "a@example.org",
		" A.B+tag@Example.Org\t": "a.b+tag@example.org",
		"ops@localhost":          "ops@localhost",
	}
	for in, want := range good {
		if got, err := NormalizeEmail(in); err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{
		"", "   ", "plain", "@example.org", "a@", "Ada <a@example.org>", "a@example.org, b@example.org",
		"a b@example.org", "a@exa\nmple.org", "a\x00@example.org", strings.Repeat("a", 250) + "@example.org",
	}
	for _, in := range bad {
		if got, err := NormalizeEmail(in); err == nil {
			t.Errorf("NormalizeEmail(%q) = %q, want error", in, got)
		}
	}
}

func TestValidateName(t *testing.T) {
	good := map[string]string{
		"Ada":                     "Ada",
		"  Grace Hopper  ":        "Grace Hopper",
		"名前":                      "名前",
		"👩‍💻 Dev":                 "👩‍💻 Dev", // ZWJ sequences are fine
		strings.Repeat("é", 64):   strings.Repeat("é", 64),
		"O'Brien-Smith (she/her)": "O'Brien-Smith (she/her)",
	}
	for in, want := range good {
		if got, err := ValidateName(in); err != nil || got != want {
			t.Errorf("ValidateName(%q) = %q, %v", in, got, err)
		}
	}
	bad := []string{"", " \t ", strings.Repeat("é", 65), "a\nb", "a\x00b", "a\x7fb", "evil\u202egnp.exe", "x\u2066y", "bad\xffutf8"}
	for _, in := range bad {
		if _, err := ValidateName(in); err == nil {
			t.Errorf("ValidateName(%q) accepted", in)
		}
	}
}

func TestLogin(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.mustUser(t, "ada@example.org", store.RoleMember)
	got, err := e.accounts.Login(ctx, " ADA@example.org", goodPassword)
	if err != nil || got.ID != u.ID {
		t.Fatalf("login: %+v %v", got, err)
	}
	if _, err := e.accounts.Login(ctx, "ada@example.org", "wrong password!!"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
}

// TestLoginUnknownCostsOneDerivation checks that an unknown or malformed
// e-mail costs exactly the one argon2 run a wrong password costs.
func TestLoginUnknownCostsOneDerivation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustUser(t, "ada@example.org", store.RoleMember)
	for _, email := range []string{"ada@example.org", "nobody@example.org", "not an address", ""} {
		before := e.derives.Load()
		_, err := e.accounts.Login(ctx, email, "wrong password!!")
		if !errors.Is(err, ErrBadCredentials) {
			t.Errorf("%q: %v", email, err)
		}
		if n := e.derives.Load() - before; n != 1 {
			t.Errorf("%q: %d derivations, want 1", email, n)
		}
	}
}

func TestLoginCorruptHashIsAnError(t *testing.T) {
	e := newEnv(t)
	u := store.User{ID: NewUserID(), Email: "x@example.org", Name: "X", Role: store.RoleMember, PasswordHash: "garbage"}
	if err := e.store.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	_, err := e.accounts.Login(context.Background(), "x@example.org", goodPassword)
	if err == nil || errors.Is(err, ErrBadCredentials) {
		t.Fatalf("corrupt hash: %v, want a server error", err)
	}
}

func TestNewUserIDUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		id := NewUserID()
		if seen[id] || len(id) != 22 {
			t.Fatalf("bad or duplicate id %q", id)
		}
		seen[id] = true
	}
}

func TestAccountID(t *testing.T) {
	e := newEnv(t)
	u := e.mustUser(t, "ada@example.org", store.RoleMember)
	ctx := context.Background()
	for email, want := range map[string]string{
		" Ada@Example.org ": u.ID, "nobody@example.org": "", "not an address": "", "": "",
	} {
		got, err := e.accounts.AccountID(ctx, email)
		if err != nil || got != want {
			t.Errorf("AccountID(%q) = %q, %v; want %q", email, got, err, want)
		}
	}
	e.store.Close()
	if _, err := e.accounts.AccountID(ctx, "ada@example.org"); err == nil {
		t.Fatal("database failure hidden")
	}
	if n := e.derives.Load(); n != 1 {
		t.Fatalf("AccountID hashed passwords: %d derivations", n-1)
	}
}
