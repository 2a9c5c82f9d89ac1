package web

import (
	"net/http"
	"testing"
)

// TestSSOProvidersWithoutSSO: without single sign-on the sign-in page is
// told there are no providers, and the other SSO routes do not exist.
func TestSSOProvidersWithoutSSO(t *testing.T) {
	e := newTestEnv(t)
	c := e.client(t)
	resp := do(t, c, "GET", e.srv.URL+"/api/auth/providers", "")
	expectStatus(t, resp, http.StatusOK)
	if string(resp.body) != `{"providers":[]}`+"\n" {
		t.Errorf("body %q", resp.body)
	}
	expectStatus(t, do(t, c, "GET", e.srv.URL+"/auth/oidc/corp/login", ""), http.StatusNotFound)
	expectStatus(t, do(t, e.signedIn(t, "ada@example.org"), "GET", e.srv.URL+"/api/me/identities", ""), http.StatusNotFound)
}
