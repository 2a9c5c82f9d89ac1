// Single sign-on in the pages: the "Sign in with …" buttons and the
// message after a refused sign-in on /login, and the linked identities on
// /account. The sign-in itself is a plain navigation to
// /auth/oidc/NAME/login: the server and the provider do the rest.

import { errorMessage, h } from './dom';

/** A configured provider (GET /api/auth/providers). */
export interface SSOProvider {
  name: string;
  label: string;
}

/** An identity linked to the account (GET /api/me/identities). */
export interface LinkedIdentity {
  provider: string;
  email?: string;
  created_at: string;
  last_used_at?: string;
}

async function getJSON<T>(path: string): Promise<T> {
  const res = await fetch(path, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`Request failed (${res.status}).`);
  return (await res.json()) as T;
}

/** What the sign-in page says for the server's sso_error reasons. */
const SSO_ERRORS: Record<string, string> = {
  provider_error: 'The sign-in was cancelled or refused at the provider.',
  state: 'That sign-in link expired, was already used or was started in another browser. Try again.',
  code_exchange: 'The provider did not confirm the sign-in. Try again.',
  id_token: 'The provider’s answer could not be verified. Ask an administrator.',
  nonce: 'The provider’s answer did not belong to this sign-in. Try again.',
  mfa: 'This server needs you to sign in at the provider with a second factor (such as a one-time code or security key).',
  email_domain: 'Your e-mail address at the provider is not in a domain this server accepts.',
  no_account: 'No account here is linked to that identity. Ask an administrator, or sign in with your password and link it from your account page.',
  email_in_use: 'An account with your e-mail address exists already. Sign in with its password and link the identity from your account page.',
  claims: 'The provider did not give a verified e-mail address and name for a new account.',
  disabled: 'This account is disabled; ask an administrator.',
  restricted: 'Processing of this account is restricted at your request; ask the privacy officer to lift the restriction.',
  identity_linked: 'That identity is linked to another account already.',
  throttled: 'Too many failed sign-ins. Try again later.',
  busy: 'Too many sign-ins are in progress. Try again in a few minutes.',
  unavailable: 'The sign-in provider cannot be reached right now. Try again later.',
};

/** The sentence for an sso_error reason, or null for none. */
export function ssoErrorMessage(reason: string | null): string | null {
  if (reason === null || reason === '') return null;
  return SSO_ERRORS[reason] ?? 'Single sign-on failed. Try again.';
}

/**
 * What a single sign-on left owing (the server sends the browser to
 * /login?pending=STAGE when the account's own second factor is still due),
 * or null.
 */
export function ssoPending(search: string): 'second_factor' | 'enrol' | null {
  const p = new URLSearchParams(search).get('pending');
  return p === 'second_factor' || p === 'enrol' ? p : null;
}

/**
 * The login page's single sign-on part: a button per provider (nothing
 * when none is configured) and, after a refused sign-in, why.
 */
export function ssoLoginSection(search: string): HTMLElement {
  const section = h('div', { id: 'sso', class: 'stack' });
  const message = ssoErrorMessage(new URLSearchParams(search).get('sso_error'));
  if (message !== null) section.appendChild(h('p', { id: 'sso-error', class: 'error-box', role: 'alert', text: message }));
  void getJSON<{ providers: SSOProvider[] }>('/api/auth/providers')
    .then((r) => {
      for (const p of r.providers) {
        section.appendChild(
          h('a', { class: 'button', href: `/auth/oidc/${encodeURIComponent(p.name)}/login`, 'data-provider': p.name, text: `Sign in with ${p.label}` }),
        );
      }
    })
    .catch(() => {
      // The password form still works; the buttons are a convenience.
    });
  return section;
}

function day(iso: string | undefined): string {
  if (iso === undefined || iso === '' || iso.startsWith('0001-')) return 'never';
  return new Date(iso).toLocaleDateString();
}

/**
 * The account page's list of linked identities, with a "Link" button per
 * provider; nothing when no provider is configured.
 */
export function identitiesSection(): HTMLElement {
  const section = h('div', { id: 'identities-section' });
  section.hidden = true;
  const list = h('ul', { id: 'identities', class: 'consent-list' });
  void getJSON<{ identities: LinkedIdentity[]; providers: SSOProvider[] }>('/api/me/identities')
    .then((r) => {
      if (r.providers.length === 0) return;
      const labels = new Map(r.providers.map((p) => [p.name, p.label]));
      if (r.identities.length === 0) list.appendChild(h('li', { class: 'hint', text: 'No identity is linked to this account.' }));
      for (const id of r.identities) {
        const who = id.email !== undefined && id.email !== '' ? ` as ${id.email}` : '';
        list.appendChild(
          h('li', {
            'data-provider': id.provider,
            text: `${labels.get(id.provider) ?? id.provider}${who}: linked ${day(id.created_at)}, last used ${day(id.last_used_at)}`,
          }),
        );
      }
      const links = r.providers.map((p) =>
        h('a', { class: 'button', href: `/auth/oidc/${encodeURIComponent(p.name)}/login?link=1`, text: `Link ${p.label}` }),
      );
      section.append(h('h2', { text: 'Single sign-on' }), list, h('div', { class: 'actions' }, links));
      section.hidden = false;
    })
    .catch((e: unknown) => {
      section.append(h('p', { class: 'error-box', role: 'alert', text: errorMessage(e) }));
      section.hidden = false;
    });
  return section;
}
