// "/login" and "/setup".

import { ApiError, getMe, newPasswordOwed } from './api';
import { renderSecondStep } from './mfa';
import { renderPasswordChange } from './passwordchange';
import type { SignIn } from './mfaapi';
import { completeSetup, signIn } from './mfaapi';
import { busyButton, clear, errorMessage, h, showError } from './dom';
import { errorBox, field, page } from './layout';
import { ssoLoginSection, ssoPending } from './sso';
import { passkeyLoginSection } from './passkeys';

export const MIN_PASSWORD = 12;

export async function renderLogin(root: HTMLElement): Promise<void> {
  try {
    if ((await getMe()) !== null) {
      location.replace('/');
      return;
    }
    if (newPasswordOwed()) {
      renderPasswordChange(root);
      return;
    }
  } catch {
    // show the form anyway
  }
  const pending = ssoPending(location.search);
  if (pending !== null) {
    // Back from single sign-on with the account's own second factor owed.
    renderSecondStep(root, pending);
    return;
  }
  clear(root);
  const err = errorBox();
  const email = h('input', { type: 'email', autocomplete: 'username', required: true, spellcheck: 'false' });
  const password = h('input', { type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', id: 'login-button', class: 'button primary', text: 'Sign in' });
  const form = h('form', { id: 'login-form', class: 'stack', novalidate: false }, [
    err,
    field('login-email', 'E-mail', email),
    field('login-password', 'Password', password),
    h('div', { class: 'actions' }, [submit]),
  ]);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(err, null);
    const done = busyButton(submit, 'Signing in…');
    try {
      const r = await signIn(email.value.trim(), password.value);
      if (r.pending) {
        renderNextStep(root, r);
        return;
      }
      location.assign('/');
    } catch (e) {
      password.value = '';
      showError(err, loginErrorMessage(e));
      password.focus();
    } finally {
      done();
    }
  });
  root.appendChild(
    page('Sign in', [
      h('section', { class: 'card narrow', 'aria-labelledby': 'login-title' }, [
        h('h1', { id: 'login-title', text: 'Sign in' }),
        form,
        passkeyLoginSection(err),
        ssoLoginSection(location.search),
      ]),
    ]),
  );
  email.focus();
}

/** Shows what a right password still owes. */
function renderNextStep(root: HTMLElement, r: SignIn): void {
  if (r.pending === 'password_change') renderPasswordChange(root);
  else if (r.pending) renderSecondStep(root, r.pending, r.methods);
}

/** What the sign-in form says when login fails. */
export function loginErrorMessage(e: unknown): string {
  if (!(e instanceof ApiError)) return errorMessage(e);
  if (e.status === 401) return 'Wrong e-mail or password.';
  if (e.status === 429) {
    if (e.retryAfter === null) return 'Too many failed sign-ins. Try again later.';
    // Round up: "in 0 minutes" would invite a retry that is refused again.
    const minutes = Math.max(1, Math.ceil(e.retryAfter / 60));
    return `Too many failed sign-ins. Try again in ${minutes === 1 ? '1 minute' : `${minutes} minutes`}.`;
  }
  return errorMessage(e);
}

export function tokenFromHash(hash: string): string {
  return new URLSearchParams(hash.replace(/^#/, '')).get('token') ?? '';
}

export function renderSetup(root: HTMLElement): void {
  clear(root);
  const token = tokenFromHash(location.hash);
  const err = errorBox();
  const tokenInput = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', required: true, class: 'mono' });
  tokenInput.value = token;
  const email = h('input', { type: 'email', autocomplete: 'username', required: true, spellcheck: 'false' });
  const name = h('input', { type: 'text', autocomplete: 'name', required: true, maxlength: 64 });
  const password = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: MIN_PASSWORD });
  const submit = h('button', { type: 'submit', id: 'setup-button', class: 'button primary', text: 'Create account' });
  const tokenField = field(
    'setup-token',
    'Setup token',
    tokenInput,
    'From the one-time link printed by conclave serve (the part after #token=).',
  );
  tokenField.hidden = token !== '';
  const form = h('form', { id: 'setup-form', class: 'stack' }, [
    err,
    tokenField,
    field('setup-email', 'E-mail', email),
    field('setup-name', 'Name', name),
    field('setup-password', 'Password', password, `At least ${MIN_PASSWORD} characters.`),
    h('div', { class: 'actions' }, [submit]),
  ]);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(err, null);
    const t = tokenInput.value.trim();
    if (t === '') {
      tokenField.hidden = false;
      showError(err, 'The setup token is missing. Open the setup link printed by the server.');
      tokenInput.focus();
      return;
    }
    if (Array.from(password.value).length < MIN_PASSWORD) {
      showError(err, `The password must have at least ${MIN_PASSWORD} characters.`);
      password.focus();
      return;
    }
    const done = busyButton(submit, 'Setting up…');
    try {
      const r = await completeSetup(t, email.value.trim(), name.value.trim(), password.value);
      // Drop the used token from the address bar and history.
      history.replaceState(null, '', '/setup');
      if (r.pending) {
        // The first administrator's walk-through: a second factor first.
        renderNextStep(root, r);
        return;
      }
      location.assign('/');
    } catch (e) {
      let msg = errorMessage(e);
      if (e instanceof ApiError) {
        if (e.status === 409) msg = 'Setup is already done. Sign in instead.';
        else if (e.status === 401) {
          msg = 'This setup link is invalid, expired or already used. Restart the server for a fresh link.';
          tokenField.hidden = false;
        }
      }
      showError(err, msg);
    } finally {
      done();
    }
  });
  root.appendChild(
    page('Set up', [
      h('section', { class: 'card narrow', 'aria-labelledby': 'setup-title' }, [
        h('h1', { id: 'setup-title', text: 'Set up Conclave' }),
        h('p', { text: 'Create the first account. It administers this server.' }),
        form,
        h('p', { class: 'hint' }, ['Already set up? ', h('a', { href: '/login', text: 'Sign in' })]),
      ]),
    ]),
  );
  (token === '' ? tokenInput : email).focus();
}
