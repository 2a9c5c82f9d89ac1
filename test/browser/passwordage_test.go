package browser

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/conclave-meet/conclave/internal/store/sqlite"
)

// TestExpiredPasswordChangedAtSignIn: on a server with a maximum password
// age, someone whose password is older signs in, is asked for a new one
// before anything else, chooses it and lands on the home page; the new
// password then signs in directly.
func TestExpiredPasswordChangedAtSignIn(t *testing.T) {
	data := t.TempDir()
	cli(t, data, "user", "add", "--data", data, "--email", hostEmail, "--name", hostName, "--role", "admin")
	agePassword(t, data, hostEmail, 100*24*time.Hour)
	_, base := serveData(t, data, "--password-max-age", "2160h")
	srv := &server{base: base, data: data}
	browser := newBrowser(t)

	p := passwordStep(t, browser, srv, hostEmail)
	p.waitFor("the new-password step", `!!document.querySelector("#expired-password-current")`, 15*time.Second)
	if eval[bool](p, `fetch("/api/meetings").then(r => r.status === 200)`) {
		t.Fatal("the session reaches the API before choosing a new password")
	}
	// A reload keeps the step: the server says what is owed.
	p.do(chromedp.Navigate(srv.base + "/"))
	p.waitFor("the step after a reload", `location.pathname === "/login" && !!document.querySelector("#expired-password-current")`, 15*time.Second)
	const fresh = "a fresh passphrase for the board"
	p.do(chromedp.SendKeys("#expired-password-current", cliPassword), chromedp.SendKeys("#expired-password-new", fresh),
		chromedp.SendKeys("#expired-password-again", fresh+kb.Enter))
	p.waitFor("home page after the change", `location.pathname === "/" && !!document.querySelector("#sign-out")`, 15*time.Second)

	q := newPerson(t, browser, hostEmail)
	q.do(chromedp.Navigate(srv.base+"/login"), chromedp.WaitVisible("#login-email"))
	q.do(chromedp.SendKeys("#login-email", hostEmail), chromedp.SendKeys("#login-password", fresh+kb.Enter))
	q.waitFor("home page with the new password", `location.pathname === "/" && !!document.querySelector("#sign-out")`, 15*time.Second)
}

// agePassword makes email's password look set age ago, as a server that
// has been running that long would hold it.
func agePassword(t *testing.T, data, email string, age time.Duration) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(data, "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetPassword(ctx, u.ID, u.PasswordHash, time.Now().Add(-age), nil); err != nil {
		t.Fatal(err)
	}
}
