package sso

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/throttle"
)

// bindingCookie ties a sign-in to the browser that started it. It is
// scoped to the sign-in routes and lives as long as a flow.
const bindingCookie = "conclave_sso"

// login starts a sign-in: a fresh state, nonce and PKCE verifier kept on
// the server, the browser's binding cookie, and a redirect to the
// provider. ?link=1 from a signed-in person adds the identity to their
// account instead (see Identities).
func (s *Service) login(w http.ResponseWriter, r *http.Request) {
	p, ok := s.providers[r.PathValue("provider")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if s.locked(r) {
		s.toLoginPage(w, r, reasonThrottled)
		return
	}
	d, err := p.discover(r.Context())
	if err != nil {
		s.opts.Logger.ErrorContext(r.Context(), "single sign-on provider unavailable", "provider", p.cfg.Name, "err", err)
		s.toLoginPage(w, r, reasonDown)
		return
	}
	binding := s.binding(w, r)
	f := flow{provider: p.cfg.Name, nonce: randomToken(), verifier: randomToken(),
		binding: bindingHash(binding), addr: clientAddr(r)}
	if r.URL.Query().Get("link") == "1" {
		u, signedIn := s.opts.Sessions.UserFromRequest(r)
		if !signedIn {
			s.toLoginPage(w, r, reasonState)
			return
		}
		f.linkUser = u.ID
	}
	state := randomToken()
	if err := s.flows.put(state, f); err != nil {
		s.toLoginPage(w, r, reasonBusy)
		return
	}
	http.Redirect(w, r, p.authURL(d, state, f), http.StatusFound)
}

// binding returns the browser's binding cookie, setting a new one when it
// has none. An existing one is kept so that sign-ins started in two tabs
// both complete.
func (s *Service) binding(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(bindingCookie); err == nil && wellFormed(c.Value) {
		return c.Value
	}
	v := randomToken()
	http.SetCookie(w, s.bindingCookie(v, int(FlowTTL.Seconds())))
	return v
}

func (s *Service) bindingCookie(v string, maxAge int) *http.Cookie {
	// SameSite=Lax: the provider brings the browser back with a top-level
	// GET, which Lax cookies accompany; no cross-site subrequest does.
	return &http.Cookie{Name: bindingCookie, Value: v, Path: "/auth/oidc/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.opts.Secure, SameSite: http.SameSiteLaxMode}
}

// callback finishes a sign-in: the state must be one this browser
// started for this provider, the code must exchange (with the verifier)
// for an ID token that verifies and carries this flow's nonce, and the
// identity must lead to an account allowed to sign in.
func (s *Service) callback(w http.ResponseWriter, r *http.Request) {
	p, ok := s.providers[r.PathValue("provider")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if s.locked(r) {
		s.toLoginPage(w, r, reasonThrottled)
		return
	}
	f, err := s.takeFlow(r, p)
	if err == nil {
		err = s.finish(w, r, p, f)
	}
	if err != nil {
		s.refused(w, r, p, f, err)
	}
}

// takeFlow checks the state and the browser binding and returns the flow.
func (s *Service) takeFlow(r *http.Request, p *provider) (flow, error) {
	q := r.URL.Query()
	f, ok := s.flows.take(q.Get("state"))
	switch {
	case !ok:
		return flow{}, refuse(reasonState, errors.New("unknown, used or expired state"))
	case f.provider != p.cfg.Name:
		return flow{}, refuse(reasonState, errors.New("state of another provider"))
	}
	c, err := r.Cookie(bindingCookie)
	if err != nil || !sameBinding(bindingHash(c.Value), f.binding) {
		return flow{}, refuse(reasonState, errors.New("state started in another browser"))
	}
	if e := q.Get("error"); e != "" {
		return f, refuse(reasonProvider, errors.New("provider answered "+truncate(e, 64)))
	}
	return f, nil
}

// finish runs the token side of the callback and signs in (or links).
func (s *Service) finish(w http.ResponseWriter, r *http.Request, p *provider, f flow) error {
	d, err := p.discover(r.Context())
	if err != nil {
		return refuse(reasonDown, err)
	}
	idt, tok, err := p.exchange(r.Context(), d, r.URL.Query().Get("code"), f)
	if err != nil {
		return err
	}
	id, err := p.readIdentity(r.Context(), d, idt, tok)
	if err != nil {
		return err
	}
	if err := p.checkMFA(id); err != nil {
		return err
	}
	if err := p.checkDomain(id); err != nil {
		return err
	}
	http.SetCookie(w, s.bindingCookie("", -1))
	if f.linkUser != "" {
		return s.link(w, r, p, f.linkUser, id)
	}
	return s.signIn(w, r, p, id)
}

// refused audits a failed sign-in, counts it against the client address
// and sends the browser to the sign-in page, which says what went wrong.
func (s *Service) refused(w http.ResponseWriter, r *http.Request, p *provider, f flow, err error) {
	var ref *refusal
	if !errors.As(err, &ref) {
		s.opts.Logger.ErrorContext(r.Context(), "single sign-on failed", "provider", p.cfg.Name, "err", err)
		s.toLoginPage(w, r, reasonDown)
		return
	}
	s.opts.Logger.InfoContext(r.Context(), "single sign-on refused", "provider", p.cfg.Name, "reason", ref.reason, "err", ref.err)
	var target string
	if te, ok := errors.AsType[*targetErr](err); ok {
		target = te.userID
	}
	ev := audit.Event{Action: audit.AuthLoginFailure, Target: target, Outcome: outcomeOf(ref.reason),
		Details: map[string]string{"method": MethodOIDC, "provider": p.cfg.Name, "reason": ref.reason}}
	if f.linkUser != "" {
		ev.Action, ev.Actor, ev.Target = audit.UserIdentityLink, f.linkUser, f.linkUser
	}
	s.auditOrLog(r, ev)
	if ref.reason != reasonDisabled && ref.reason != reasonRestricted {
		s.failed(r, target)
	}
	s.toLoginPage(w, r, ref.reason)
}

// outcomeOf: a refusal by policy is denied; a broken or forged answer
// is a failure.
func outcomeOf(reason string) audit.Outcome {
	switch reason {
	case reasonMFA, reasonDomain, reasonNoAccount, reasonEmailInUse, reasonDisabled, reasonRestricted, reasonLinked:
		return audit.Denied
	}
	return audit.Failure
}

// locked reports whether the client address is locked out of signing in.
func (s *Service) locked(r *http.Request) bool {
	return s.opts.Throttle.Check(throttle.IPKey(clientAddr(r))) > 0
}

// failed counts a failure against the client address and records the
// lock-out it may begin.
func (s *Service) failed(r *http.Request, target string) {
	for _, key := range s.opts.Throttle.Fail(throttle.IPKey(clientAddr(r))) {
		s.auditOrLog(r, audit.Event{Action: audit.AuthLockout, Target: target, Outcome: audit.Denied,
			Details: map[string]string{"scope": throttle.Scope(key)}})
	}
}

// toLoginPage sends the browser to the sign-in page with the reason,
// which the page turns into a sentence.
func (s *Service) toLoginPage(w http.ResponseWriter, r *http.Request, reason string) {
	http.Redirect(w, r, "/login?sso_error="+url.QueryEscape(reason), http.StatusFound)
}

// targetErr names the account a refusal concerns, for the audit entry.
type targetErr struct {
	userID string
	error
}

func (e *targetErr) Unwrap() error { return e.error }

func refuseUser(u store.User, reason string, err error) error {
	return &targetErr{userID: u.ID, error: refuse(reason, err)}
}
