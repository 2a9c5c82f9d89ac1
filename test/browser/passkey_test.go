package browser

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestPasskeySignIn: with Chromium's virtual authenticator (the DevTools
// WebAuthn domain) a person adds a passkey on the account page, signs out,
// signs in with "Sign in with a passkey" alone, and then with a password
// followed by the passkey as the second factor. WebAuthn needs a domain as
// the relying party ID, so the server's public URL is http://localhost.
func TestPasskeySignIn(t *testing.T) {
	data := t.TempDir()
	cli(t, data, "user", "add", "--data", data, "--email", hostEmail, "--name", hostName, "--role", "admin")
	port := freePort(t)
	serveData(t, data, "--listen", "127.0.0.1:"+port, "--public-url", "http://localhost:"+port)
	base := "http://localhost:" + port
	p := passkeyPerson(t, newBrowser(t), base)

	p.do(chromedp.Navigate(base+"/login"), chromedp.WaitVisible("#login-email"))
	p.do(chromedp.SendKeys("#login-email", hostEmail), chromedp.SendKeys("#login-password", cliPassword+kb.Enter))
	p.waitFor("home page", `location.pathname === "/" && !!document.querySelector("#sign-out")`, 15*time.Second)
	p.do(chromedp.Navigate(base + "/account"))
	p.waitFor("the passkey form", `!!document.querySelector("#passkey-name")`, 10*time.Second)
	p.do(chromedp.SetValue("#passkey-name", "Virtual key"))
	p.click("#passkey-add")
	p.waitFor("recovery codes with the first factor", `document.querySelectorAll("#recovery-codes li").length === 10`, 15*time.Second)
	p.click("#recovery-done")
	p.waitFor("the passkey listed", `((document.querySelector("#passkeys-list")||{}).textContent||"").includes("Virtual key")`, 10*time.Second)

	p.click("#sign-out")
	p.waitFor("signed out", `!!document.querySelector("#sign-in-link")`, 10*time.Second)
	p.do(chromedp.Navigate(base + "/login"))
	p.waitFor("the passkey button", `!!document.querySelector("#passkey-login") && !document.querySelector("#passkey-login-section").hidden`, 10*time.Second)
	p.click("#passkey-login")
	p.waitFor("home page after the passkey", `location.pathname === "/" && !!document.querySelector("#sign-out")`, 15*time.Second)
	if !eval[bool](p, `fetch("/api/account/security").then(r => r.json()).then(s => s.sessions.some(x => x.current && x.method === "passkey"))`) {
		t.Error("the session does not record the passkey sign-in")
	}

	p.click("#sign-out")
	p.waitFor("signed out", `!!document.querySelector("#sign-in-link")`, 10*time.Second)
	p.do(chromedp.Navigate(base+"/login"), chromedp.WaitVisible("#login-email"))
	p.do(chromedp.SendKeys("#login-email", hostEmail), chromedp.SendKeys("#login-password", cliPassword+kb.Enter))
	p.waitFor("the second step", `!!document.querySelector("#second-factor-passkey")`, 15*time.Second)
	if eval[bool](p, `fetch("/api/me").then(r => r.status === 200)`) {
		t.Fatal("signed in before the second factor")
	}
	p.click("#second-factor-passkey")
	p.waitFor("home page after password and passkey", `location.pathname === "/" && !!document.querySelector("#sign-out")`, 15*time.Second)
	if !eval[bool](p, `fetch("/api/account/security").then(r => r.json()).then(s => s.sessions.some(x => x.current && x.method === "password+passkey"))`) {
		t.Error("the session does not record password and passkey")
	}
}

// passkeyPerson opens a tab with a virtual platform authenticator that
// keeps discoverable credentials and verifies its user.
func passkeyPerson(t *testing.T, browser context.Context, base string) *person {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	p := &person{t: t, name: "passkey user", ctx: ctx}
	p.js = func(ctx context.Context, expr string) ([]byte, error) {
		return chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	}
	p.click = func(sel string) { p.do(chromedp.Click(sel)) }
	// Attach the tab with the test's context: a first action under a
	// timeout would tie the tab's life to that timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	// Without the UI (enableUI false), as is recommended for automated
	// tests.
	noUI := false
	tctx, cancelCall := context.WithTimeout(ctx, 20*time.Second)
	defer cancelCall()
	if _, err := chromedp.Call(tctx, webauthn.Enable, webauthn.EnableParams{EnableUI: &noUI}); err != nil {
		t.Fatal(err)
	}
	_, err := chromedp.Call(tctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{Protocol: webauthn.AuthenticatorProtocolCtap2,
			Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
			IsUserVerified: true, AutomaticPresenceSimulation: true}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
