package ssotest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Authorize drives a sign-in at the provider as a browser would, with
// client (which must have a cookie jar): it follows start (a relying
// party's login URL, or the provider's authorisation URL) to the
// provider's login page, signs in as username, and returns the URL the
// provider then sends the browser to — the relying party's callback with
// the code and the state — without visiting it.
func (p *Provider) Authorize(client *http.Client, start, username, password string) (*url.URL, error) {
	c := *client
	c.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if !strings.HasPrefix(req.URL.String(), p.Issuer) {
			return http.ErrUseLastResponse // leaving the provider: stop here
		}
		return nil
	}
	resp, err := c.Get(start)
	if err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	drain(resp)
	id := resp.Request.URL.Query().Get("authRequestID")
	if resp.StatusCode != http.StatusOK || id == "" {
		return nil, fmt.Errorf("start: no login page (status %d at %s)", resp.StatusCode, resp.Request.URL.Path)
	}
	form := url.Values{"id": {id}, "username": {username}, "password": {password}}
	resp, err = c.PostForm(p.Issuer+"/login/username", form)
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	drain(resp)
	loc, err := resp.Location()
	if err != nil {
		return nil, fmt.Errorf("login: no redirect back (status %d): %w", resp.StatusCode, err)
	}
	return loc, nil
}

// AuthorizeVia is Authorize for a relying party's login URL: it first
// stops at the redirect to the provider, so that a test sees the URL the
// relying party built (state, nonce, PKCE challenge).
func (p *Provider) AuthorizeVia(client *http.Client, login string) (*url.URL, error) {
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(login)
	if err != nil {
		return nil, err
	}
	drain(resp)
	loc, err := resp.Location()
	if err != nil {
		return nil, fmt.Errorf("login %s: status %d, no redirect", login, resp.StatusCode)
	}
	if !strings.HasPrefix(loc.String(), p.Issuer) {
		return loc, errors.New("login did not redirect to the provider: " + loc.Path + "?" + loc.RawQuery)
	}
	return loc, nil
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}
