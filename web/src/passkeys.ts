// Passkeys in the browser: "Sign in with a passkey" on the sign-in page,
// a passkey as the second step, adding one (also in the enrolment
// walk-through) and the account page's list. The server checks every
// answer (docs/security.md, "Passkeys").

import { announce, busyButton, errorMessage, h, showError } from './dom';
import { field } from './layout';
import { ApiError } from './api';
import { addPasskey, giveSecondFactorPasskey, passkeysOffered, passkeysSupported, removePasskey, signInWithPasskey } from './passkeyapi';
import type { Passkey } from './passkeyapi';

function passkeyError(e: unknown): string {
  if (e instanceof DOMException && e.name === 'NotAllowedError') return 'The passkey request was cancelled or timed out.';
  if (e instanceof ApiError && e.status === 429) return 'Too many failed sign-ins. Try again later.';
  if (e instanceof ApiError && e.status === 401 && e.code === 'wrong_passkey') return 'This passkey was not accepted.';
  return errorMessage(e);
}

/** The sign-in page's passkey button; shown only where the server and browser offer passkeys. */
export function passkeyLoginSection(err: HTMLElement): HTMLElement {
  const button = h('button', { type: 'button', id: 'passkey-login', class: 'button', text: 'Sign in with a passkey' });
  const section = h('div', { class: 'actions', id: 'passkey-login-section' }, [button]);
  section.hidden = true;
  if (passkeysSupported()) {
    void passkeysOffered().then((yes) => {
      section.hidden = !yes;
    });
  }
  button.addEventListener('click', () => {
    void (async () => {
      showError(err, null);
      const restore = busyButton(button, 'Waiting for the passkey…');
      try {
        await signInWithPasskey();
        location.assign('/');
      } catch (e) {
        showError(err, passkeyError(e));
        restore();
      }
    })();
  });
  return section;
}

/** The second step's "Use a passkey" button. */
export function passkeySecondButton(err: HTMLElement, done: () => void): HTMLElement {
  const button = h('button', { type: 'button', id: 'second-factor-passkey', class: 'button', text: 'Use a passkey' });
  button.addEventListener('click', () => {
    void (async () => {
      showError(err, null);
      const restore = busyButton(button, 'Waiting for the passkey…');
      try {
        await giveSecondFactorPasskey();
        done();
      } catch (e) {
        showError(err, passkeyError(e));
        restore();
      }
    })();
  });
  return button;
}

/**
 * Adding a passkey under a name. showCodes gets the recovery codes when
 * this is the account's first second factor; otherwise onDone runs.
 */
export function passkeyAddPanel(onDone: () => void, showCodes: (panel: HTMLElement, codes: string[]) => void): HTMLElement {
  const err = h('p', { class: 'error-box', role: 'alert', hidden: true });
  const name = h('input', { type: 'text', maxlength: 64, required: true, autocomplete: 'off', value: 'Passkey' });
  const add = h('button', { type: 'submit', id: 'passkey-add', class: 'button primary', text: 'Add a passkey' });
  const form = h('form', { id: 'passkey-add-form', class: 'stack' }, [err, field('passkey-name', 'Name of the new passkey', name), h('div', { class: 'actions' }, [add])]);
  const panel = h('div', { class: 'stack' }, [form]);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void (async () => {
      showError(err, null);
      const restore = busyButton(add, 'Waiting for the passkey…');
      try {
        const codes = await addPasskey(name.value.trim());
        announce('Passkey added.');
        form.remove();
        if (codes.length > 0) showCodes(panel, codes);
        else onDone();
      } catch (e) {
        showError(err, passkeyError(e));
        restore();
      }
    })();
  });
  return panel;
}

/** The account page's passkeys: list, add, remove. */
export function passkeysPart(
  passkeys: Passkey[],
  err: HTMLElement,
  reload: () => Promise<void>,
  showCodes: (panel: HTMLElement, codes: string[]) => void,
): HTMLElement {
  const password = h('input', { type: 'password', autocomplete: 'current-password' });
  const rows = passkeys.map((p) => {
    const remove = h('button', { type: 'button', class: 'button small', 'data-passkey-remove': p.id, text: 'Remove' });
    remove.setAttribute('aria-label', `Remove passkey ${p.name}`);
    remove.addEventListener('click', () => {
      void (async () => {
        showError(err, null);
        try {
          await removePasskey(p.id, password.value);
          announce('Passkey removed.');
          await reload();
        } catch (e) {
          showError(err, passkeyError(e));
        }
      })();
    });
    const used = p.last_used_at ? new Date(p.last_used_at).toLocaleString() : 'never';
    return h('li', { 'data-passkey': p.id }, [
      h('span', { class: 'passkey-name', text: p.name }),
      ` added ${new Date(p.created_at).toLocaleDateString()}, last used ${used} `,
      remove,
    ]);
  });
  return h('div', { class: 'stack', id: 'passkeys-part' }, [
    h('h3', { text: 'Passkeys' }),
    passkeys.length > 0 ? h('ul', { id: 'passkeys-list' }, rows) : h('p', { id: 'passkeys-none', text: 'No passkeys yet.' }),
    passkeys.length > 0
      ? field('passkey-password', 'Your password, to remove a passkey (leave empty to confirm with a passkey instead)', password)
      : '',
    passkeyAddPanel(() => void reload(), showCodes),
  ]);
}
