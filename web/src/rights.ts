// The data subjects' rights a person exercises from their own account
// page (/account): correcting their name and e-mail address (Art. 16),
// withdrawing consent (Art. 7(3)) and asking the privacy officer for
// erasure, restriction or objection (Art. 17, 18, 21); and what an officer
// does on a request in the register (/admin/requests): correcting an
// account's details and restricting its processing. The server checks
// every step (internal/authz) and records it in the audit log; these
// pages only ask. docs/privacy.md says what each right does here.

import { ApiError, myConsents } from './api';
import type { ConsentRecord, User } from './api';
import { announce, busyButton, clear, errorMessage, h, showError } from './dom';
import { field } from './layout';

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers = { Accept: 'application/json', 'Content-Type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'Could not reach the server. Check your connection and try again.');
  }
  const payload: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const err = (payload as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, err?.code ?? 'http_' + String(res.status), err?.message ?? `Request failed (${res.status}).`);
  }
  return payload as T;
}

/** A request as its subject sees it (GET /api/me/requests). */
export interface MyRequest {
  id: number;
  kind: string;
  received_at: string;
  due_at: string;
  status: string;
  closed_at?: string;
}

/** What each kind of request asks for, in words. */
export const REQUEST_WORDS: Record<string, string> = {
  access: 'a copy of your data',
  rectification: 'correction of your data',
  erasure: 'erasure of your data',
  restriction: 'restriction of processing',
  portability: 'your data in a portable form',
  objection: 'an objection to processing',
};

/** What withdrawing each kind of consent does (docs/privacy.md). */
export const WITHDRAW_EFFECT: Record<string, string> = {
  notice: 'You will be asked to read and accept the privacy notice again before your next meeting.',
  recording: 'You are left out at once of any recording running now; every later recording asks you again.',
  transcription: 'You are left out at once of any transcription running now; every later transcription asks you again.',
};

const CONSENT_WORDS: Record<string, string> = {
  notice: 'Privacy notice',
  recording: 'Being recorded',
  transcription: 'Being transcribed',
};

function day(iso: string | undefined): string {
  return (iso ?? '').slice(0, 10);
}

/**
 * "Your details": name and e-mail address. A new e-mail address needs the
 * password (it is what the person signs in with); the name does not.
 * onSaved gets the account as the server now has it.
 */
export function profileSection(me: User, onSaved: (u: User) => void): HTMLElement {
  const err = h('div', { id: 'profile-error', class: 'error-box', role: 'alert' });
  err.hidden = true;
  const saved = h('p', { id: 'profile-saved', class: 'hint', role: 'status' });
  const name = h('input', { type: 'text', autocomplete: 'name', maxlength: 64, required: true, value: me.name });
  const email = h('input', { type: 'email', autocomplete: 'email', maxlength: 254, required: true, value: me.email });
  const password = h('input', { type: 'password', autocomplete: 'current-password' });
  const submit = h('button', { type: 'submit', id: 'profile-submit', class: 'button primary', text: 'Save details' });
  const form = h('form', { id: 'profile-form' }, [
    field('profile-name', 'Name', name, 'As others see you in meetings you join signed in.'),
    field('profile-email', 'E-mail address', email, 'You sign in with it.'),
    field('profile-password', 'Password', password, 'Needed only to change your e-mail address.'),
    h('div', { class: 'actions' }, [submit]),
  ]);
  let current = me;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void (async () => {
      showError(err, null);
      saved.textContent = '';
      const body: Record<string, string> = {};
      if (name.value.trim() !== current.name) body['name'] = name.value;
      if (email.value.trim().toLowerCase() !== current.email) {
        body['email'] = email.value;
        if (password.value === '') {
          showError(err, 'Give your password to change your e-mail address.');
          password.focus();
          return;
        }
        body['password'] = password.value;
      }
      if (Object.keys(body).length === 0) {
        showError(err, 'Nothing to save: your name and e-mail address are as shown.');
        return;
      }
      const restore = busyButton(submit, 'Saving…');
      try {
        const r = await call<{ user: User }>('POST', '/api/me/profile', body);
        current = r.user;
        name.value = current.name;
        email.value = current.email;
        password.value = '';
        saved.textContent = 'Your details are saved.';
        announce(saved.textContent);
        onSaved(current);
      } catch (e) {
        showError(err, errorMessage(e));
      } finally {
        restore();
      }
    })();
  });
  return h('section', { id: 'profile-section', 'aria-labelledby': 'profile-title' }, [
    h('h2', { id: 'profile-title', text: 'Your details' }),
    h('p', { class: 'hint', text: 'Correct your name or e-mail address here. The change is recorded in the audit log (without the values); you stay signed in.' }),
    err,
    form,
    saved,
  ]);
}

/**
 * "Your consents": what the ledger holds for this account, with Withdraw
 * for each kind that still stands and what withdrawing does.
 */
export function consentsSection(): HTMLElement {
  const err = h('div', { id: 'consents-error', class: 'error-box', role: 'alert' });
  err.hidden = true;
  const list = h('ul', { id: 'my-consents', class: 'consent-list' });
  const done = h('p', { id: 'consent-withdrawn', class: 'hint', role: 'status' });
  const fill = (cs: ConsentRecord[]): void => {
    clear(list);
    if (cs.length === 0) {
      list.appendChild(h('li', { class: 'hint', text: 'Nothing yet: you accept the privacy notice the first time you join a meeting.' }));
      return;
    }
    const kinds = Array.from(new Set(cs.map((c) => c.kind)));
    for (const kind of kinds) {
      const rows = cs.filter((c) => c.kind === kind);
      const standing = rows.filter((c) => !c.withdrawn_at);
      const items = rows
        .slice()
        .reverse()
        .map((c) =>
          h('li', {
            text:
              (kind === 'notice' ? `Version ${c.version ?? 0}, accepted ${day(c.given_at)}` : `Given ${day(c.given_at)}`) +
              (c.withdrawn_at ? `, withdrawn ${day(c.withdrawn_at)}` : ''),
          }),
        );
      const li = h('li', { 'data-kind': kind, 'data-state': standing.length > 0 ? 'standing' : 'withdrawn' }, [
        h('strong', { text: CONSENT_WORDS[kind] ?? kind }),
        h('ul', {}, items),
      ]);
      if (standing.length > 0) {
        const effect = h('p', { class: 'hint', id: `withdraw-${kind}-hint`, text: WITHDRAW_EFFECT[kind] ?? '' });
        const btn = h('button', { type: 'button', class: 'button small', 'data-withdraw': kind, 'aria-describedby': effect.id, text: 'Withdraw' });
        btn.addEventListener('click', () => void withdraw(kind, btn));
        li.append(effect, btn);
      }
      list.appendChild(li);
    }
  };
  const withdraw = async (kind: string, btn: HTMLButtonElement): Promise<void> => {
    showError(err, null);
    done.textContent = '';
    const restore = busyButton(btn, 'Withdrawing…');
    try {
      const r = await call<{ withdrawn: number; consents: ConsentRecord[] }>('POST', '/api/me/consents/withdraw', { kind });
      fill(r.consents);
      done.textContent = `Withdrawn. ${WITHDRAW_EFFECT[kind] ?? ''}`.trim();
      announce(done.textContent);
    } catch (e) {
      restore();
      showError(err, errorMessage(e));
    }
  };
  void myConsents().then(fill, (e: unknown) => showError(err, errorMessage(e)));
  return h('section', { id: 'consents-section', 'aria-labelledby': 'my-consents-title' }, [
    h('h2', { id: 'my-consents-title', text: 'Your consents' }),
    h('p', { class: 'hint', text: 'Withdrawing does not undo what happened before; the record of when you gave and withdrew it stays as proof.' }),
    err,
    list,
    done,
  ]);
}

/**
 * "Your requests": the requests recorded about this account, an erasure
 * request with a confirmation step, and the other requests (restriction,
 * objection) that go to the privacy officer.
 */
export function requestsSection(): HTMLElement {
  const err = h('div', { id: 'my-requests-error', class: 'error-box', role: 'alert' });
  err.hidden = true;
  const sent = h('p', { id: 'request-sent', class: 'hint', role: 'status' });
  const list = h('ul', { id: 'my-requests', class: 'consent-list' });
  const load = async (): Promise<void> => {
    const r = await call<{ requests: MyRequest[] }>('GET', '/api/me/requests');
    clear(list);
    if (r.requests.length === 0) list.appendChild(h('li', { class: 'hint', text: 'You have made no requests.' }));
    for (const q of r.requests) {
      const state = q.status === 'open' ? `open, to be answered by ${day(q.due_at)}` : `${q.status} on ${day(q.closed_at)}`;
      list.appendChild(h('li', { 'data-id': q.id, 'data-kind': q.kind, 'data-status': q.status, text: `#${q.id}: ${REQUEST_WORDS[q.kind] ?? q.kind}, received ${day(q.received_at)}, ${state}` }));
    }
  };
  const send = async (kind: string, notes: string, btn: HTMLButtonElement): Promise<boolean> => {
    showError(err, null);
    sent.textContent = '';
    const restore = busyButton(btn, 'Sending…');
    try {
      const q = await call<MyRequest>('POST', '/api/me/requests', { kind, notes });
      sent.textContent = `Your request #${q.id} for ${REQUEST_WORDS[kind] ?? kind} was sent to the privacy officer, who must answer by ${day(q.due_at)}.`;
      announce(sent.textContent);
      await load();
      return true;
    } catch (e) {
      showError(err, errorMessage(e));
      return false;
    } finally {
      restore();
    }
  };

  // Erasure: ask, then confirm, so that a slip of the mouse sends nothing.
  const ask = h('button', { type: 'button', id: 'erasure-ask', class: 'button', text: 'Ask for erasure of my account…' });
  const confirmBtn = h('button', { type: 'button', id: 'erasure-confirm', class: 'button danger', text: 'Send erasure request' });
  const cancel = h('button', { type: 'button', id: 'erasure-cancel', class: 'button subtle', text: 'Cancel' });
  const confirmBox = h('div', { id: 'erasure-confirm-box', class: 'confirm-box', role: 'group', 'aria-labelledby': 'erasure-confirm-text' }, [
    h('p', {
      id: 'erasure-confirm-text',
      text:
        'Send a request to erase your account and the data about you? The privacy officer answers it within one month. ' +
        'Until they do nothing is deleted and you can go on using your account; once they erase it, it cannot be undone. ' +
        'Some records (the audit log, the proof of what you accepted) are kept as the law requires, without your name or e-mail address.',
    }),
    h('div', { class: 'actions' }, [confirmBtn, cancel]),
  ]);
  confirmBox.hidden = true;
  ask.addEventListener('click', () => {
    confirmBox.hidden = false;
    ask.hidden = true;
    confirmBtn.focus();
  });
  const close = (): void => {
    confirmBox.hidden = true;
    ask.hidden = false;
    ask.focus();
  };
  cancel.addEventListener('click', close);
  confirmBtn.addEventListener('click', () => {
    void send('erasure', '', confirmBtn).then((ok) => {
      if (ok) close();
    });
  });

  const kind = h('select', {}, ['restriction', 'objection', 'rectification'].map((k) => h('option', { value: k, text: REQUEST_WORDS[k] ?? k })));
  const notes = h('input', { type: 'text', maxlength: 1500, autocomplete: 'off' });
  const other = h('button', { type: 'submit', id: 'request-submit', class: 'button', text: 'Send request' });
  const form = h('form', { id: 'request-form-self' }, [
    field('request-kind-self', 'Request', kind),
    field('request-notes-self', 'Why, or what exactly (optional)', notes, 'The privacy officer reads this; it is not shared with anyone else.'),
    h('div', { class: 'actions' }, [other]),
  ]);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void send(kind.value, notes.value, other).then((ok) => {
      if (ok) notes.value = '';
    });
  });

  void load().catch((e: unknown) => showError(err, errorMessage(e)));
  return h('section', { id: 'requests-section', 'aria-labelledby': 'my-requests-title' }, [
    h('h2', { id: 'my-requests-title', text: 'Your requests' }),
    h('p', {
      class: 'hint',
      text: 'Download your data with "Download my data" above. For anything else, ask the privacy officer here: they must answer within one month.',
    }),
    err,
    list,
    h('h3', { text: 'Erasure' }),
    ask,
    confirmBox,
    h('h3', { text: 'Other requests' }),
    h('p', {
      class: 'hint',
      text: 'Restriction: your data is kept but your account can no longer be used until the restriction is lifted. Objection: you object to how your data is used; the officer decides and tells you.',
    }),
    form,
    sent,
  ]);
}

// ---------- the officer's side, in the register ----------

/** Whether a register row names an account the officer can act on. */
export function namesAccount(subjectRef: string): boolean {
  return /^u_[A-Za-z0-9_-]{1,62}$/.test(subjectRef);
}

/**
 * The officer's actions on one request in the register: for a
 * rectification request, a form to correct the account's name and e-mail
 * address; for a restriction request, Restrict and Lift. Each cites the
 * request's number. onDone runs after a change; onError shows a problem.
 */
export function requestActions(r: { id: number; kind: string; subject_ref: string }, onError: (msg: string) => void): Node | null {
  if (!namesAccount(r.subject_ref)) return null;
  const done = h('span', { class: 'hint', role: 'status', 'data-request-done': r.id });
  if (r.kind === 'rectification') {
    const name = h('input', { type: 'text', maxlength: 64, autocomplete: 'off' });
    const email = h('input', { type: 'email', maxlength: 254, autocomplete: 'off' });
    const save = h('button', { type: 'submit', class: 'button small', text: 'Correct' });
    const form = h('form', { class: 'rectify-form', 'data-rectify': r.id, 'aria-label': `Correct the account of request ${r.id}` }, [
      field(`rectify-name-${r.id}`, 'New name', name, 'Leave empty to keep.'),
      field(`rectify-email-${r.id}`, 'New e-mail address', email, 'Leave empty to keep.'),
      save,
      done,
    ]);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void (async () => {
        done.textContent = '';
        const restore = busyButton(save, 'Saving…');
        try {
          await call('POST', '/api/privacy/rectify', { subject: r.subject_ref, name: name.value, email: email.value, request: r.id });
          name.value = '';
          email.value = '';
          done.textContent = 'Corrected.';
          announce(`The account of request ${r.id} is corrected.`);
        } catch (e) {
          onError(errorMessage(e));
        } finally {
          restore();
        }
      })();
    });
    return form;
  }
  if (r.kind === 'restriction') {
    const restrict = h('button', { type: 'button', class: 'button small', 'data-restrict': r.id, text: 'Restrict account' });
    const lift = h('button', { type: 'button', class: 'button small subtle', 'data-lift': r.id, text: 'Lift restriction' });
    const act = async (btn: HTMLButtonElement, restricted: boolean): Promise<void> => {
      done.textContent = '';
      const restore = busyButton(btn, 'Saving…');
      try {
        await call('POST', '/api/privacy/restrict', { subject: r.subject_ref, restricted, request: r.id });
        done.textContent = restricted ? 'Restricted: the account cannot sign in.' : 'Restriction lifted.';
        announce(done.textContent);
      } catch (e) {
        onError(errorMessage(e));
      } finally {
        restore();
      }
    };
    restrict.addEventListener('click', () => void act(restrict, true));
    lift.addEventListener('click', () => void act(lift, false));
    return h('div', { class: 'actions' }, [restrict, ' ', lift, done]);
  }
  return null;
}
