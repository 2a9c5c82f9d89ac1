package browser

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/conclave-meet/conclave/internal/totp"
)

// TestTOTPSignIn: on a server with the default policy the administrator
// is walked through enrolling an authenticator app at their first
// sign-in (QR code drawn by the server, key shown as text, recovery codes
// shown once), then signs in with a code from it, and once with a
// recovery code. Codes are computed here from the key the page shows.
func TestTOTPSignIn(t *testing.T) {
	data := t.TempDir()
	cli(t, data, "user", "add", "--data", data, "--email", hostEmail, "--name", hostName, "--role", "admin")
	_, base := serveData(t, data, "--mfa-roles", "admin,privacy_officer")
	srv := &server{base: base, data: data}
	browser := newBrowser(t)

	first := passwordStep(t, browser, srv, hostEmail)
	first.waitFor("the enrolment walk-through", `!!document.querySelector("#totp-secret") && !!document.querySelector("#totp-qr")`, 15*time.Second)
	if !eval[bool](first, `document.querySelector("#totp-qr").src.startsWith("data:image/png;base64,")`) {
		t.Error("the QR code is not drawn by the server")
	}
	secret, err := totp.Decode(eval[string](first, `document.querySelector("#totp-secret").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	first.do(chromedp.SendKeys("#totp-code", totp.Code(secret, time.Now())+kb.Enter))
	first.waitFor("ten recovery codes", `document.querySelectorAll("#recovery-codes li").length === 10`, 10*time.Second)
	recovery := eval[string](first, `document.querySelector("#recovery-codes li").textContent`)
	first.click("#recovery-done")
	first.waitFor("home page after enrolment", `location.pathname === "/" && !!document.querySelector("#sign-out")`, 15*time.Second)
	if got := first.foreignRequests(srv.base); len(got) > 0 {
		t.Errorf("requests off the server: %v", got)
	}

	// The next step's code: the enrolment used this step's, and a code is
	// accepted once; one step ahead is within the allowed skew.
	second := passwordStep(t, browser, srv, hostEmail)
	second.waitFor("the second step", `!!document.querySelector("#second-factor-code")`, 15*time.Second)
	if eval[bool](second, `fetch("/api/me").then(r => r.status === 200)`) {
		t.Fatal("signed in before the second factor")
	}
	second.do(chromedp.SendKeys("#second-factor-code", totp.Code(secret, time.Now().Add(totp.Period))+kb.Enter))
	second.waitFor("home page after the code", `location.pathname === "/" && !!document.querySelector("#sign-out")`, 15*time.Second)

	third := passwordStep(t, browser, srv, hostEmail)
	third.waitFor("the second step", `!!document.querySelector("#second-factor-code")`, 15*time.Second)
	third.click("#use-recovery")
	third.do(chromedp.SendKeys("#second-factor-code", recovery+kb.Enter))
	third.waitFor("home page after the recovery code", `location.pathname === "/" && !!document.querySelector("#sign-out")`, 15*time.Second)
	third.do(chromedp.Navigate(srv.base + "/account"))
	third.waitFor("the security section", `((document.querySelector("#totp-status")||{}).textContent||"").includes("9 recovery codes left")`, 10*time.Second)
}

// passwordStep opens the login page in a fresh browser context and gives
// the e-mail and password, stopping there.
func passwordStep(t *testing.T, browser context.Context, srv *server, email string) *person {
	t.Helper()
	p := newPerson(t, browser, email)
	p.do(chromedp.Navigate(srv.base+"/login"), chromedp.WaitVisible("#login-email"))
	p.do(chromedp.SendKeys("#login-email", email), chromedp.SendKeys("#login-password", cliPassword+kb.Enter))
	return p
}
