// The account pages: one's own details, password, consents and requests
// (/account; the rights' sections are in rights.ts) and, for
// administrators, the list of accounts with role and access (/admin/users).
// The server checks every action (internal/authz); these pages only ask.

import { ApiError, changePassword, getMe, listUsers, setUserEnabled, setUserRole } from './api';
import type { Account, User } from './api';
import { announce, busyButton, clear, errorMessage, h, showError } from './dom';
import { errorBox, field, labelCells, page, userNav } from './layout';
import { consentsSection, profileSection, requestsSection } from './rights';
import { identitiesSection } from './sso';
import { securitySection } from './mfa';
import { resetUserMFA } from './mfaapi';
import { versionFooter } from './version';

const ROLES: Record<string, string> = { admin: 'Administrator', privacy_officer: 'Privacy officer', member: 'Member' };

/** Shows a page for a signed-in person, or a sign-in link. */
async function signedIn(root: HTMLElement, title: string): Promise<User | null> {
  let me: User | null = null;
  try {
    me = await getMe();
  } catch (e) {
    show(root, title, [h('p', { class: 'error-box', role: 'alert', text: errorMessage(e) })]);
    return null;
  }
  if (me === null) show(root, title, [h('p', {}, ['Sign in first. ', h('a', { href: '/login', text: 'Sign in' }), '.'])]);
  return me;
}

function show(root: HTMLElement, title: string, body: Node[], nav: Node[] = [], footer: HTMLElement | null = null): void {
  clear(root);
  const card = h('section', { class: 'card wide', 'aria-labelledby': 'account-title' }, [h('h1', { id: 'account-title', text: title }), ...body]);
  root.appendChild(page(title, [card], nav, footer));
}

export async function renderAccount(root: HTMLElement): Promise<void> {
  const me = await signedIn(root, 'Your account');
  if (!me) return;
  const err = errorBox();
  const done = h('p', { id: 'password-changed', class: 'hint', role: 'status' });
  const current = h('input', { type: 'password', autocomplete: 'current-password', required: true });
  const next = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: 12 });
  const submit = h('button', { type: 'submit', id: 'password-submit', class: 'button primary', text: 'Change password' });
  const form = h('form', { id: 'password-form' }, [
    field('password-current', 'Current password', current),
    field('password-new', 'New password', next, 'At least 12 characters. You stay signed in here; every other session ends.'),
    h('div', { class: 'actions' }, [submit]),
  ]);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void (async () => {
      showError(err, null);
      done.textContent = '';
      const restore = busyButton(submit, 'Changing…');
      try {
        await changePassword(current.value, next.value);
        current.value = '';
        next.value = '';
        done.textContent = 'Your password is changed. Every other session of your account has ended.';
        announce(done.textContent);
      } catch (e) {
        showError(err, errorMessage(e));
      } finally {
        restore();
      }
    })();
  });
  const signedInAs = h('p', { id: 'signed-in-as', class: 'hint' });
  const sayWho = (u: User): void => {
    signedInAs.textContent = `Signed in as ${u.name} (${u.email}), ${ROLES[u.role] ?? u.role}.`;
  };
  sayWho(me);
  show(
    root,
    'Your account',
    [
      signedInAs,
      profileSection(me, sayWho),
      h('h2', { text: 'Password' }),
      err,
      form,
      done,
      securitySection(),
      identitiesSection(),
      consentsSection(),
      requestsSection(),
    ],
    userNav(me),
  );
}

export async function renderUsers(root: HTMLElement): Promise<void> {
  const me = await signedIn(root, 'Accounts');
  if (!me) return;
  let users: Account[];
  try {
    users = await listUsers();
  } catch (e) {
    const text = e instanceof ApiError && e.status === 403 ? 'Only administrators manage accounts.' : errorMessage(e);
    show(root, 'Accounts', [h('p', { id: 'users-no-access', class: 'error-box', role: 'alert', text })], userNav(me));
    return;
  }
  const err = errorBox();
  const body = h('tbody', { id: 'users-rows' });
  const table = h('table', { class: 'audit-table', id: 'users-table' }, [
    h('thead', {}, [h('tr', {}, ['Name', 'E-mail', 'Role', 'Access', 'Second factor'].map((t) => h('th', { scope: 'col', text: t })))]),
    body,
  ]);
  const refresh = async (): Promise<void> => {
    users = await listUsers();
    fill();
  };
  const fill = (): void => {
    clear(body);
    for (const u of users) body.appendChild(userRow(u, me, err, refresh));
    labelCells(table);
  };
  fill();
  show(
    root,
    'Accounts',
    [
      h('p', { class: 'hint', text: 'Changing a role or disabling an account ends its sessions at once. Every change is recorded in the audit log.' }),
      err,
      h('div', { class: 'table-wrap' }, [table]),
    ],
    userNav(me),
    versionFooter(me),
  );
}

function userRow(u: Account, me: User, err: HTMLElement, refresh: () => Promise<void>): HTMLElement {
  const self = u.id === me.id;
  const role = h('select', { 'aria-label': `Role of ${u.name}`, 'data-user': u.id });
  for (const [value, label] of Object.entries(ROLES)) role.appendChild(h('option', { value, text: label, selected: value === u.role }));
  const access = h('button', { type: 'button', class: 'button small', 'data-user': u.id, text: u.disabled ? 'Enable' : 'Disable' });
  const why = h('span', { class: 'hint', id: `why-${u.id}`, text: self ? 'Your own account: another administrator changes it.' : '' });
  if (self) {
    // The server refuses these too (no self-lockout); the page says why.
    role.disabled = true;
    access.disabled = true;
    role.setAttribute('aria-describedby', why.id);
    access.setAttribute('aria-describedby', why.id);
  }
  const act = async (btn: HTMLElement | null, step: () => Promise<void>, said: string): Promise<void> => {
    showError(err, null);
    const restore = btn instanceof HTMLButtonElement ? busyButton(btn, 'Saving…') : () => undefined;
    try {
      await step();
      announce(said);
      await refresh();
    } catch (e) {
      showError(err, errorMessage(e));
      restore();
      await refresh();
    }
  };
  const mfaReset = h('button', { type: 'button', class: 'button small', 'data-mfa-reset': u.id, text: 'Reset second factor' });
  mfaReset.hidden = self || !u.second_factor;
  mfaReset.addEventListener('click', () => {
    if (!confirm(`Remove every second factor of ${u.name} and end their sessions?`)) return;
    void act(mfaReset, () => resetUserMFA(u.id), `${u.name}'s second factors are reset.`);
  });
  role.addEventListener('change', () => void act(null, () => setUserRole(u.id, role.value), `${u.name} is now ${ROLES[role.value] ?? role.value}.`));
  access.addEventListener('click', () =>
    void act(access, () => setUserEnabled(u.id, u.disabled), `${u.name}'s account is ${u.disabled ? 'enabled' : 'disabled'}.`),
  );
  return h('tr', { 'data-user': u.id, 'data-disabled': String(u.disabled) }, [
    h('td', { text: u.name }),
    h('td', { text: u.email }),
    h('td', {}, [role]),
    h('td', {}, [u.disabled ? h('span', { class: 'badge', text: 'Disabled ' }) : '', access, why]),
    h('td', {}, [u.lacks_required_factor ? h('span', { class: 'badge', text: 'No second factor ' }) : '', mfaReset]),
  ]);
}
