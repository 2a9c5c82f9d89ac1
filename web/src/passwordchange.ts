// The sign-in step that owes a new password: the organisation set a
// maximum password age (docs/security.md, "Passwords") and the password
// just given is older. The session can do nothing else until this is done.

import { ApiError, logout, request } from './api';
import { MIN_PASSWORD } from './auth';
import { busyButton, clear, errorMessage, h, showError } from './dom';
import { errorBox, field, page } from './layout';

async function changeExpiredPassword(current: string, next: string): Promise<void> {
  await request<unknown>('POST', '/api/login/password-change', { current, new: next });
}

/** What the step says when the change is refused. */
function changeErrorMessage(e: unknown): string {
  if (!(e instanceof ApiError)) return errorMessage(e);
  if (e.code === 'wrong_password') return 'The current password is wrong.';
  if (e.status === 401) return 'This sign-in expired. Sign in again.';
  if (e.status === 429) return 'Too many wrong passwords. Try again later.';
  return errorMessage(e);
}

export function renderPasswordChange(root: HTMLElement): void {
  clear(root);
  const err = errorBox();
  const current = h('input', { type: 'password', autocomplete: 'current-password', required: true });
  const next = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: MIN_PASSWORD });
  const again = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: MIN_PASSWORD });
  const submit = h('button', { type: 'submit', id: 'expired-password-submit', class: 'button primary', text: 'Change password' });
  const form = h('form', { id: 'expired-password-form', class: 'stack' }, [
    err,
    field('expired-password-current', 'Current password', current),
    field('expired-password-new', 'New password', next, `At least ${MIN_PASSWORD} characters, not the current one.`),
    field('expired-password-again', 'New password again', again),
    h('div', { class: 'actions' }, [submit]),
  ]);
  const signOut = h('button', { type: 'button', id: 'expired-password-cancel', class: 'button link', text: 'Sign out instead' });
  signOut.addEventListener('click', () => {
    void logout()
      .catch(() => undefined) // signed out or not, the sign-in page comes next
      .then(() => location.assign('/login'));
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void (async () => {
      showError(err, null);
      if (next.value !== again.value) {
        showError(err, 'The two new passwords differ.');
        again.focus();
        return;
      }
      const restore = busyButton(submit, 'Changing…');
      try {
        await changeExpiredPassword(current.value, next.value);
        location.assign('/');
      } catch (e) {
        current.value = '';
        showError(err, changeErrorMessage(e));
        current.focus();
      } finally {
        restore();
      }
    })();
  });
  root.appendChild(
    page('Sign in', [
      h('section', { class: 'card narrow', 'aria-labelledby': 'expired-password-title' }, [
        h('h1', { id: 'expired-password-title', text: 'Choose a new password' }),
        h('p', {
          text: 'Your password is older than this organisation allows. Choose a new one to continue; your other sessions will end.',
        }),
        form,
        h('div', { class: 'actions' }, [signOut]),
      ]),
    ]),
  );
  current.focus();
}
