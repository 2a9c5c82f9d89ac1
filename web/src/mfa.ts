// Second factors and sessions in the browser: the second step of sign-in,
// the authenticator enrolment (also the first administrator's setup
// walk-through), and the account page's security section. The server
// decides everything (docs/security.md, "Second factors"); the QR code is
// drawn by the server, never by a remote service.

import { announce, busyButton, clear, errorMessage, h, showError } from './dom';
import { errorBox, field, page } from './layout';
import {
  beginTOTP,
  confirmTOTP,
  getSecurity,
  giveSecondFactor,
  newRecoveryCodes,
  removeTOTP,
  revokeOtherSessions,
  revokeSession,
} from './mfaapi';
import type { SessionInfo } from './mfaapi';
import { ApiError } from './api';
import { passkeyAddPanel, passkeySecondButton, passkeysPart } from './passkeys';

/** Shows what a pending sign-in still owes, in place of the form. */
export function renderSecondStep(root: HTMLElement, pending: 'second_factor' | 'enrol', methods?: string[]): void {
  clear(root);
  const done = (): void => location.assign('/');
  // Without a list (back from single sign-on) both are offered; the server decides.
  const passkey = methods === undefined || methods.includes('passkey');
  const totp = methods === undefined || methods.includes('totp');
  const err = errorBox();
  const body =
    pending === 'enrol'
      ? [
          h('h1', { id: 'second-title', text: 'Set up a second factor' }),
          h('p', { text: 'Your role requires a second factor. Set up an authenticator app or add a passkey to continue.' }),
          enrolmentPanel(done, !passkey),
          passkey ? passkeyAddPanel(done, (panel, codes) => showRecovery(panel, codes, done)) : '',
        ]
      : [
          h('h1', { id: 'second-title', text: 'Second factor' }),
          err,
          passkey ? h('div', { class: 'actions' }, [passkeySecondButton(err, done)]) : '',
          totp ? codeForm(done) : '',
        ];
  root.appendChild(page('Sign in', [h('section', { class: 'card narrow', 'aria-labelledby': 'second-title' }, body)]));
  const first = root.querySelector<HTMLElement>('input, button');
  first?.focus();
}

function codeForm(done: () => void): HTMLElement {
  const err = errorBox();
  let recovery = false;
  const code = h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', required: true, spellcheck: 'false' });
  const codeField = field('second-factor-code', 'Code from your authenticator app', code);
  const label = codeField.querySelector('label');
  const toggle = h('button', { type: 'button', class: 'button link', id: 'use-recovery', text: 'Use a recovery code instead' });
  toggle.addEventListener('click', () => {
    recovery = !recovery;
    if (label) label.textContent = recovery ? 'Recovery code' : 'Code from your authenticator app';
    code.inputMode = recovery ? 'text' : 'numeric';
    toggle.textContent = recovery ? 'Use the authenticator app instead' : 'Use a recovery code instead';
    code.value = '';
    code.focus();
  });
  const submit = h('button', { type: 'submit', id: 'second-factor-button', class: 'button primary', text: 'Continue' });
  const form = h('form', { id: 'second-factor-form', class: 'stack' }, [err, codeField, h('div', { class: 'actions' }, [submit, toggle])]);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void (async () => {
      showError(err, null);
      const restore = busyButton(submit, 'Checking…');
      try {
        await giveSecondFactor(code.value.trim(), recovery);
        done();
      } catch (e) {
        code.value = '';
        if (e instanceof ApiError && e.status === 401 && e.code === 'unauthorized') {
          showError(err, 'This sign-in expired. Sign in again.');
        } else if (e instanceof ApiError && e.status === 429) {
          showError(err, 'Too many wrong codes. Try again later.');
        } else {
          showError(err, errorMessage(e));
        }
        code.focus();
      } finally {
        restore();
      }
    })();
  });
  return form;
}

/**
 * The authenticator enrolment: a QR code and the text secret, a first
 * code to confirm, then the recovery codes, shown once. onDone runs after
 * the person says they saved them.
 */
export function enrolmentPanel(onDone: () => void, startNow = false): HTMLElement {
  const err = errorBox();
  const panel = h('div', { id: 'totp-enrol', class: 'stack' }, [err]);
  const start = h('button', { type: 'button', id: 'totp-start', class: 'button primary', text: 'Set up authenticator app' });
  const begin = async (): Promise<void> => {
    showError(err, null);
    try {
      const en = await beginTOTP();
      start.remove();
      panel.appendChild(confirmStep(en.qr, en.secret, err, (codes) => showRecovery(panel, codes, onDone)));
      panel.querySelector<HTMLInputElement>('#totp-code')?.focus();
    } catch (e) {
      showError(err, errorMessage(e));
    }
  };
  start.addEventListener('click', () => void begin());
  panel.appendChild(start);
  if (startNow) void begin();
  return panel;
}

function confirmStep(qr: string, secret: string, err: HTMLElement, confirmed: (codes: string[]) => void): HTMLElement {
  const code = h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', required: true, spellcheck: 'false' });
  const submit = h('button', { type: 'submit', id: 'totp-confirm', class: 'button primary', text: 'Confirm' });
  const form = h('form', { id: 'totp-confirm-form', class: 'stack' }, [
    h('p', { text: 'Scan this QR code with your authenticator app, or type the key below into it.' }),
    h('img', { src: qr, id: 'totp-qr', alt: 'QR code for your authenticator app', width: 200, height: 200 }),
    h('p', {}, ['Key: ', h('code', { id: 'totp-secret', class: 'mono', text: secret })]),
    field('totp-code', 'Code shown by the app', code, 'Six digits; it changes every 30 seconds.'),
    h('div', { class: 'actions' }, [submit]),
  ]);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void (async () => {
      showError(err, null);
      const restore = busyButton(submit, 'Confirming…');
      try {
        const codes = await confirmTOTP(code.value.trim());
        form.remove();
        confirmed(codes);
      } catch (e) {
        code.value = '';
        showError(err, errorMessage(e));
        code.focus();
        restore();
      }
    })();
  });
  return form;
}

function showRecovery(panel: HTMLElement, codes: string[], onDone: () => void): void {
  const ok = h('button', { type: 'button', id: 'recovery-done', class: 'button primary', text: 'I have saved them' });
  ok.addEventListener('click', onDone);
  const box = h('div', { class: 'stack', id: 'recovery-box' }, [
    h('h3', { id: 'recovery-title', text: 'Recovery codes' }),
    h('p', { text: 'Each code signs you in once if you lose your phone. Save them somewhere safe now: they are not shown again.' }),
    h('ul', { id: 'recovery-codes', class: 'mono', 'aria-labelledby': 'recovery-title' }, codes.map((c) => h('li', { text: c }))),
    h('div', { class: 'actions' }, [ok]),
  ]);
  panel.appendChild(box);
  announce('Second factor set up. Save your recovery codes.');
  ok.focus();
}

/** The account page's "Sign-in security" section: factor and sessions. */
export function securitySection(): HTMLElement {
  const section = h('section', { id: 'security-section', 'aria-labelledby': 'security-title' }, [
    h('h2', { id: 'security-title', text: 'Sign-in security' }),
  ]);
  const body = h('div', { class: 'stack' });
  section.appendChild(body);
  const reload = async (): Promise<void> => {
    clear(body);
    const err = errorBox();
    body.appendChild(err);
    try {
      const sec = await getSecurity();
      if (sec.mfa_reset_at) {
        body.appendChild(h('p', { class: 'notice', role: 'status', text: 'An administrator reset your second factors. Set up a new one.' }));
      }
      body.appendChild(factorPart(sec.factors.totp, sec.factors.required, sec.factors.recovery_codes_left, err, reload));
      if (sec.passkeys_enabled) {
        body.appendChild(passkeysPart(sec.passkeys, err, reload, (panel, codes) => showRecovery(panel, codes, () => void reload())));
      }
      body.appendChild(sessionsPart(sec.sessions, err, reload));
    } catch (e) {
      showError(err, errorMessage(e));
    }
  };
  void reload();
  return section;
}

function factorPart(totp: boolean, required: boolean, left: number, err: HTMLElement, reload: () => Promise<void>): HTMLElement {
  if (!totp) {
    return h('div', { class: 'stack' }, [
      h('p', { id: 'totp-status', text: required ? 'Your role requires a second factor.' : 'No authenticator app is set up.' }),
      enrolmentPanel(() => void reload()),
    ]);
  }
  const code = h('input', { type: 'text', autocomplete: 'one-time-code', spellcheck: 'false' });
  const remove = h('button', { type: 'button', id: 'totp-remove', class: 'button small', text: 'Remove authenticator app' });
  const regenerate = h('button', { type: 'button', id: 'recovery-new', class: 'button small', text: 'New recovery codes' });
  const part = h('div', { class: 'stack' }, [
    h('p', { id: 'totp-status', text: `Authenticator app set up. ${left} recovery codes left.` }),
    field('totp-current', 'A current code from the app (to confirm)', code),
    h('div', { class: 'actions' }, [regenerate, remove]),
  ]);
  remove.addEventListener('click', () => {
    void (async () => {
      showError(err, null);
      try {
        await removeTOTP(code.value.trim());
        announce('Authenticator app removed.');
        await reload();
      } catch (e) {
        showError(err, errorMessage(e));
      }
    })();
  });
  regenerate.addEventListener('click', () => {
    void (async () => {
      showError(err, null);
      try {
        const codes = await newRecoveryCodes(code.value.trim());
        showRecovery(part, codes, () => void reload());
      } catch (e) {
        showError(err, errorMessage(e));
      }
    })();
  });
  return part;
}

function sessionsPart(sessions: SessionInfo[], err: HTMLElement, reload: () => Promise<void>): HTMLElement {
  const rows = sessions.map((s) => {
    const cell = s.current
      ? h('span', { class: 'badge', text: 'This session' })
      : h('button', { type: 'button', class: 'button small', 'data-session': s.id, text: 'Sign out' });
    if (cell instanceof HTMLButtonElement) {
      cell.setAttribute('aria-label', `Sign out ${s.device}`);
      cell.addEventListener('click', () => void act(err, () => revokeSession(s.id), 'Session ended.', reload));
    }
    return h('tr', { 'data-session': s.id }, [
      h('td', { text: s.device || 'Unknown device' }),
      h('td', { text: s.method }),
      h('td', { text: new Date(s.last_seen_at).toLocaleString() }),
      h('td', {}, [cell]),
    ]);
  });
  const others = h('button', { type: 'button', id: 'sessions-revoke-others', class: 'button small', text: 'Sign out everywhere else' });
  others.addEventListener('click', () => void act(err, revokeOtherSessions, 'Every other session ended.', reload));
  return h('div', { class: 'stack' }, [
    h('h3', { text: 'Sessions' }),
    h('div', { class: 'table-wrap' }, [
      h('table', { class: 'audit-table', id: 'sessions-table' }, [
        h('thead', {}, [h('tr', {}, ['Device', 'Signed in with', 'Last used', ''].map((t) => h('th', { scope: 'col', text: t })))]),
        h('tbody', {}, rows),
      ]),
    ]),
    h('div', { class: 'actions' }, [others]),
  ]);
}

async function act(err: HTMLElement, step: () => Promise<void>, said: string, reload: () => Promise<void>): Promise<void> {
  showError(err, null);
  try {
    await step();
    announce(said);
    await reload();
  } catch (e) {
    showError(err, errorMessage(e));
  }
}
