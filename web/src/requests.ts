// "/admin/requests": the register of data subjects' requests (access,
// rectification, erasure, restriction, portability, objection) with their
// legal deadlines (GDPR Art. 12(3): one calendar month from receipt).
// Rectification and restriction requests about an account carry the
// officer's actions (rights.ts). Privacy officers and
// administrators see open requests with the days left, overdue ones
// highlighted, record new ones and close them; the server checks the role
// and records every step in the audit log. The home page shows a reminder
// when a request is due within a week or overdue.

import { ApiError, getMe } from './api';
import type { User } from './api';
import { clear, errorMessage, h, showError } from './dom';
import { errorBox, field, labelCells, page, userNav } from './layout';
import { requestActions } from './rights';
import { versionFooter } from './version';

const API = '/api/privacy/requests';
const KINDS = ['access', 'rectification', 'erasure', 'restriction', 'portability', 'objection'];

export interface SubjectRequest {
  id: number;
  kind: string;
  subject_ref: string;
  received_at: string;
  due_at: string;
  status: string;
  closed_at: string | null;
  notes: string;
  days_left: number;
  overdue: boolean;
}

interface Reminder {
  overdue: number;
  due_soon: number;
}

interface RequestList {
  requests: SubjectRequest[];
  reminder: Reminder;
}

/** Whether a role manages requests; mirrors the permission table. */
export function canManageRequests(role: string): boolean {
  return role === 'admin' || role === 'privacy_officer';
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers = { Accept: 'application/json', 'Content-Type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const payload: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const err = (payload as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, err?.code ?? 'http_' + String(res.status), err?.message ?? `Request failed (${res.status}).`);
  }
  return payload as T;
}

/** daysText says how far a deadline is, in words. */
export function daysText(days: number): string {
  if (days < 0) return `${-days} day${days === -1 ? '' : 's'} overdue`;
  if (days === 0) return 'due today';
  return `${days} day${days === 1 ? '' : 's'} left`;
}

/** reminderText is the banner's message, or null when nothing is pressing. */
export function reminderText(r: Reminder): string | null {
  const parts: string[] = [];
  if (r.overdue > 0) parts.push(`${r.overdue} overdue`);
  if (r.due_soon > 0) parts.push(`${r.due_soon} due within 7 days`);
  return parts.length === 0 ? null : `Data subject requests need attention: ${parts.join(', ')}.`;
}

/**
 * A banner for the home page that fills itself in when the signed-in
 * officer has requests due within a week or overdue; empty otherwise.
 */
export function requestsBanner(me: User): HTMLElement {
  const el = h('div', { id: 'requests-banner', class: 'error-box', role: 'status' });
  el.hidden = true;
  if (!canManageRequests(me.role)) return el;
  void call<RequestList>('GET', API).then(
    (list) => {
      const text = reminderText(list.reminder);
      if (text === null) return;
      el.appendChild(h('p', {}, [text + ' ', h('a', { href: '/admin/requests', text: 'Open the register' }), '.']));
      el.hidden = false;
    },
    () => undefined, // the banner is a convenience; the register page shows errors
  );
  return el;
}

/** The register borrows the audit page's table styles. */
function loadStyles(): void {
  if (document.querySelector('link[data-admin-styles]')) return;
  document.head.appendChild(h('link', { rel: 'stylesheet', href: '/static/admin.css', 'data-admin-styles': true }));
}

export async function renderRequests(root: HTMLElement): Promise<void> {
  loadStyles();
  let me: User | null;
  try {
    me = await getMe();
  } catch (e) {
    return show(root, [h('p', { class: 'error-box', role: 'alert', text: errorMessage(e) })]);
  }
  if (me === null) {
    return show(root, [h('p', {}, ['Sign in to see the requests. ', h('a', { href: '/login', text: 'Sign in' }), '.'])]);
  }
  const nav = userNav(me);
  const view = new RequestsView(() => show(root, [noAccess()], nav));
  clear(root);
  root.appendChild(page('Subject requests', [view.el], nav, versionFooter(me)));
  await view.load();
}

function show(root: HTMLElement, body: Node[], nav: Node[] = []): void {
  clear(root);
  root.appendChild(page('Subject requests', [h('section', { class: 'card' }, [h('h1', { text: 'Subject requests' }), ...body])], nav));
}

function noAccess(): Node {
  return h('p', { id: 'requests-no-access', class: 'error-box', role: 'alert', text: 'Only privacy officers and administrators can see the requests.' });
}

class RequestsView {
  readonly el: HTMLElement;
  private readonly err = errorBox();
  private readonly rows = h('tbody', { id: 'request-rows' });
  private readonly empty = h('p', { class: 'hint', text: 'No open requests.' });
  private readonly kind = h('select', {}, KINDS.map((k) => h('option', { value: k, text: k })));
  private readonly subject = h('input', { type: 'text', maxlength: 200, autocomplete: 'off', required: true, placeholder: 'u_… or a note' });
  private readonly received = h('input', { type: 'date' });
  private readonly notes = h('input', { type: 'text', maxlength: 2000, autocomplete: 'off' });

  constructor(private readonly lost: () => void) {
    const form = h('form', { id: 'request-form', class: 'stack', 'aria-label': 'Record a request' }, [
      field('request-kind', 'Kind', this.kind),
      field('request-subject', 'Subject', this.subject, 'An account or participant ID, or how to identify the person.'),
      field('request-received', 'Received on', this.received, 'Leave empty for today. The deadline is one month from receipt.'),
      field('request-notes', 'Notes', this.notes),
      h('div', { class: 'actions' }, [h('button', { type: 'submit', id: 'request-create', class: 'button primary', text: 'Record request' })]),
    ]);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.create();
    });
    const table = h('table', { class: 'audit-table stack-narrow' }, [
      h('caption', { class: 'sr-only', text: 'Open requests, earliest deadline first' }),
      h('thead', {}, [h('tr', {}, ['#', 'Kind', 'Subject', 'Received', 'Due', 'Deadline', 'Notes', 'Close'].map((c) => h('th', { scope: 'col', text: c })))]),
      this.rows,
    ]);
    this.el = h('section', { class: 'card', 'aria-labelledby': 'requests-title' }, [
      h('h1', { id: 'requests-title', text: 'Subject requests' }),
      h('p', { class: 'hint', text: 'Requests must be answered within one month of receipt (GDPR Art. 12(3)). Each step is recorded in the audit log.' }),
      h('p', { class: 'hint' }, [
        'A request about chat messages: ',
        h('a', { id: 'chat-review-link', href: '/admin/chat', text: 'review the stored chat' }),
        ' of a meeting or a person.',
      ]),
      this.err,
      h('div', { class: 'table-wrap' }, [table]),
      this.empty,
      h('h2', { text: 'Record a request' }),
      form,
    ]);
  }

  async load(): Promise<void> {
    showError(this.err, null);
    try {
      const list = await call<RequestList>('GET', API);
      clear(this.rows);
      for (const r of list.requests) this.rows.appendChild(this.row(r));
      const table = this.rows.closest('table');
      if (table) labelCells(table);
      this.empty.hidden = list.requests.length > 0;
    } catch (e) {
      this.failed(e);
    }
  }

  private row(r: SubjectRequest): HTMLElement {
    const done = h('button', { type: 'button', class: 'button', text: 'Done' });
    const reject = h('button', { type: 'button', class: 'button subtle', text: 'Reject' });
    done.addEventListener('click', () => void this.close(r.id, 'done'));
    reject.addEventListener('click', () => void this.close(r.id, 'rejected'));
    const soon = !r.overdue && r.days_left <= 7;
    return h('tr', { 'data-id': r.id, class: r.overdue ? 'overdue' : soon ? 'due-soon' : null }, [
      h('td', { class: 'num', text: String(r.id) }),
      h('td', { text: r.kind }),
      h('td', { class: 'mono', text: r.subject_ref }),
      h('td', { text: r.received_at.slice(0, 10) }),
      h('td', { text: r.due_at.slice(0, 10) }),
      h('td', {}, [h('strong', { class: r.overdue ? 'outcome denied' : soon ? 'outcome failure' : 'outcome success', text: daysText(r.days_left) })]),
      h('td', { text: r.notes }),
      h('td', {}, [requestActions(r, (msg) => showError(this.err, msg)), done, ' ', reject]),
    ]);
  }

  private async create(): Promise<void> {
    showError(this.err, null);
    const body: Record<string, string> = { kind: this.kind.value, subject_ref: this.subject.value.trim(), notes: this.notes.value };
    if (this.received.value !== '') body.received_at = new Date(this.received.value + 'T00:00:00').toISOString();
    try {
      await call('POST', API, body);
      this.subject.value = '';
      this.notes.value = '';
      this.received.value = '';
      await this.load();
    } catch (e) {
      this.failed(e);
    }
  }

  private async close(id: number, status: 'done' | 'rejected'): Promise<void> {
    showError(this.err, null);
    try {
      await call('POST', `${API}/${id}/close`, { status });
      await this.load();
    } catch (e) {
      this.failed(e);
    }
  }

  private failed(e: unknown): void {
    if (e instanceof ApiError && (e.status === 403 || e.status === 401)) {
      this.lost();
      return;
    }
    showError(this.err, errorMessage(e));
  }
}
