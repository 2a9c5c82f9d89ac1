package browser

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/conclave-meet/conclave/internal/sso/ssotest"
)

// TestSingleSignOn: Chromium signs in through a real OpenID provider's
// own login page ("Sign in with Corp SSO" on Conclave's sign-in page),
// comes back signed in to a new account with the role its groups map to,
// and the account page lists the linked identity. A refused sign-in's
// reason reads as a sentence on the sign-in page.
func TestSingleSignOn(t *testing.T) {
	const secret = "browser test client secret"
	op := ssotest.Start(t, []ssotest.User{{ID: "sub-ada", Username: "ada", Password: "ada's provider password",
		Email: "ada@example.org", First: "Ada", Last: "Lovelace", Groups: []string{"conclave-admins"}}}, nil)
	cfg := filepath.Join(t.TempDir(), "conclave.toml")
	toml := "[[oidc]]\nname = \"corp\"\ndisplay_name = \"Corp SSO\"\nissuer = " + strconv.Quote(op.Issuer) +
		"\nclient_id = \"conclave\"\nclient_secret = " + strconv.Quote(secret) +
		"\nscopes = [\"groups\"]\nrole_claim = \"groups\"\nroles = { \"conclave-admins\" = \"admin\" }\njit = true\n"
	if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	// The redirect URI registered at the provider is built from the
	// public URL, which follows the port the system chose.
	data := t.TempDir()
	cli(t, data, "user", "add", "--data", data, "--email", hostEmail, "--name", hostName, "--role", "admin")
	_, base := serveData(t, data, "--config", cfg)
	op.AddClient(ssotest.Client{ID: "conclave", Secret: secret, RedirectURIs: []string{base + "/auth/oidc/corp/callback"}})

	p := newPerson(t, newBrowser(t), "ada")
	p.do(chromedp.Navigate(base + "/login?sso_error=no_account"))
	p.waitFor("the refusal explained", `(document.querySelector("#sso-error")||{}).textContent.includes("No account here is linked")`, 10*time.Second)
	p.waitFor("the provider's button", `(document.querySelector('a[data-provider="corp"]')||{}).textContent === "Sign in with Corp SSO"`, 10*time.Second)
	p.click(`a[data-provider="corp"]`)
	p.waitFor("the provider's login page", `location.origin === `+strconv.Quote(op.Issuer)+` && !!document.querySelector("#username")`, 15*time.Second)
	p.do(chromedp.SendKeys("#username", "ada"), chromedp.SendKeys("#password", "ada's provider password"))
	p.click(`button[type="submit"]`)
	p.waitFor("home, signed in", `location.origin === `+strconv.Quote(base)+` && location.pathname === "/" && !!document.querySelector("#sign-out")`, 15*time.Second)
	me := eval[map[string]string](p, `fetch("/api/me").then(r => r.json()).then(j => j.user)`)
	if me["email"] != "ada@example.org" || me["name"] != "Ada Lovelace" || me["role"] != "admin" {
		t.Errorf("signed in as %v, want Ada, admin", me)
	}
	p.click("#account-link")
	p.waitFor("the linked identity", `(document.querySelector('#identities li[data-provider="corp"]')||{}).textContent.startsWith("Corp SSO as ada@example.org")`, 10*time.Second)
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}
