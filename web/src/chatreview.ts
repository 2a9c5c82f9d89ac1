// "/admin/chat": a privacy officer or administrator reviews the stored chat
// of a meeting (by its ID) or of a person (account u_… or participant p_…
// ID), to answer a data subject's request, and downloads what they read as
// JSON. The server decides who may and records every look in the audit
// log (chat.review); the download is the answer already fetched, not a
// second look.

import { ApiError, getMe } from './api';
import type { User } from './api';
import { busyButton, clear, errorMessage, h, showError } from './dom';
import { errorBox, field, labelCells, page, userNav } from './layout';
import { versionFooter } from './version';

const API = '/api/privacy/chat';

/** A sender or recipient as the review API names them. */
export interface ChatParty {
  id: string;
  user?: string;
  name?: string;
}

/** One stored message as the review API sends it. */
export interface ReviewedMessage {
  id: string;
  meeting: string;
  from: ChatParty;
  to_everyone: boolean;
  to: ChatParty[];
  text: string;
  time: string;
  deleted: boolean;
  deleted_at?: string;
  deleted_by?: string;
  /** Set when the message shares a file that is still stored; its name is the text. */
  file?: { id: string; size: number; type: string };
  /** End-to-end encrypted (docs/e2ee.md, "Chat"): text is empty, the server holds only ciphertext it cannot read. */
  e2ee?: boolean;
}

/** What a review shows instead of an end-to-end encrypted message's text. */
export const E2EE_CHAT_NOTE = 'End-to-end encrypted: the server cannot read this message.';

/** What was asked for: a subject ID (u_…, p_…) or else a meeting ID. */
export function reviewQuery(input: string): { param: 'meeting' | 'subject'; value: string } | null {
  const v = input.trim();
  if (v === '') return null;
  if (/^[up]_[A-Za-z0-9_-]+$/.test(v)) return { param: 'subject', value: v };
  return { param: 'meeting', value: v };
}

/** A party in words: the name where known, and the ID. */
export function partyText(p: ChatParty): string {
  const id = p.user ? `${p.id}, ${p.user}` : p.id;
  return p.name ? `${p.name} (${id})` : id;
}

async function fetchChat(param: string, value: string): Promise<ReviewedMessage[]> {
  const res = await fetch(`${API}?${param}=${encodeURIComponent(value)}`, {
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { Accept: 'application/json' },
  });
  const payload: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const err = (payload as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, err?.code ?? 'http_' + String(res.status), err?.message ?? `Request failed (${res.status}).`);
  }
  return (payload as { messages: ReviewedMessage[] }).messages;
}

/** A shared file as GET /api/privacy/files describes it. */
interface ReviewedFile {
  id: string;
  meeting: string;
  name: string;
  size: number;
  type: string;
  from: ChatParty;
  to_everyone: boolean;
  to: ChatParty[];
  time: string;
}

interface FileReview {
  files: ReviewedFile[];
  scanned: boolean;
  scanner: string;
}

/** The files of a meeting or person; null where the server keeps none. */
async function fetchFiles(param: string, value: string): Promise<FileReview | null> {
  const res = await fetch(`/api/privacy/files?${param}=${encodeURIComponent(value)}`, {
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { Accept: 'application/json' },
  });
  if (res.status === 404) return null;
  const payload: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const err = (payload as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, err?.code ?? 'http_' + String(res.status), err?.message ?? `Request failed (${res.status}).`);
  }
  return payload as FileReview;
}

/** Downloads one file's content (recorded by the server) and saves it. */
async function saveFile(f: Pick<ReviewedFile, 'id' | 'meeting' | 'name'>): Promise<void> {
  const res = await fetch(`/api/privacy/files/${encodeURIComponent(f.meeting)}/${encodeURIComponent(f.id)}`, {
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (!res.ok) throw new ApiError(res.status, 'http_' + String(res.status), `Download failed (${res.status}).`);
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: f.name });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function sizeText(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The review borrows the audit page's table styles. */
function loadStyles(): void {
  if (document.querySelector('link[data-admin-styles]')) return;
  document.head.appendChild(h('link', { rel: 'stylesheet', href: '/static/admin.css', 'data-admin-styles': true }));
}

export async function renderChatReview(root: HTMLElement): Promise<void> {
  loadStyles();
  let me: User | null;
  try {
    me = await getMe();
  } catch (e) {
    show(root, [h('p', { class: 'error-box', role: 'alert', text: errorMessage(e) })]);
    return;
  }
  if (me === null) {
    show(root, [h('p', {}, ['Sign in to review chat. ', h('a', { href: '/login', text: 'Sign in' }), '.'])]);
    return;
  }
  const nav = userNav(me);
  const view = new ReviewView(() => show(root, [noAccess()], nav));
  clear(root);
  root.appendChild(page('Chat review', [view.el], nav, versionFooter(me)));
  const asked = new URLSearchParams(location.search);
  const initial = asked.get('meeting') ?? asked.get('subject');
  if (initial) await view.review(initial);
}

function show(root: HTMLElement, body: Node[], nav: Node[] = []): void {
  clear(root);
  root.appendChild(page('Chat review', [h('section', { class: 'card' }, [h('h1', { text: 'Chat review' }), ...body])], nav));
}

function noAccess(): Node {
  return h('p', { id: 'chat-review-no-access', class: 'error-box', role: 'alert', text: 'Only privacy officers and administrators can review stored chat.' });
}

class ReviewView {
  readonly el: HTMLElement;
  private readonly err = errorBox();
  private readonly query = h('input', { type: 'text', maxlength: 64, autocomplete: 'off', required: true, placeholder: 'k3m9-x2qa-7hvt-p4dz, u_… or p_…' });
  private readonly submit = h('button', { type: 'submit', id: 'chat-review-submit', class: 'button primary', text: 'Review' });
  private readonly exportButton = h('button', { type: 'button', id: 'chat-review-export', class: 'button', text: 'Download as JSON', disabled: true });
  private readonly rows = h('tbody', { id: 'chat-review-rows' });
  private readonly summary = h('p', { id: 'chat-review-summary', class: 'hint', role: 'status' });
  private last: { query: string; messages: ReviewedMessage[] } | null = null;
  private readonly fileRows = h('tbody', { id: 'file-review-rows' });
  private readonly scanning = h('p', { id: 'file-review-scanning', class: 'hint' });
  private readonly filesSection = h('section', { id: 'file-review', 'aria-labelledby': 'file-review-title', hidden: true }, [
    h('h2', { id: 'file-review-title', text: 'Shared files' }),
    this.scanning,
    h('div', { class: 'table-wrap' }, [
      h('table', { class: 'audit-table stack-narrow', id: 'file-review-table' }, [
        h('caption', { class: 'sr-only', text: 'Shared files, oldest first' }),
        h('thead', {}, [h('tr', {}, ['Time', 'Meeting', 'From', 'To', 'File', ''].map((c) => h('th', { scope: 'col', text: c })))]),
        this.fileRows,
      ]),
    ]),
  ]);

  constructor(private readonly lost: () => void) {
    const form = h('form', { id: 'chat-review-form', class: 'stack', 'aria-label': 'Review chat' }, [
      field('chat-review-query', 'Meeting or person', this.query, "A meeting ID, or a person's account (u_…) or participant (p_…) ID."),
      h('div', { class: 'actions' }, [this.submit, this.exportButton]),
    ]);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.review(this.query.value);
    });
    this.exportButton.addEventListener('click', () => this.download());
    const table = h('table', { class: 'audit-table stack-narrow', id: 'chat-review-table' }, [
      h('caption', { class: 'sr-only', text: 'Stored chat messages, oldest first' }),
      h('thead', {}, [h('tr', {}, ['Time', 'Meeting', 'From', 'To', 'Message'].map((c) => h('th', { scope: 'col', text: c })))]),
      this.rows,
    ]);
    this.el = h('section', { class: 'card wide', 'aria-labelledby': 'chat-review-title' }, [
      h('h1', { id: 'chat-review-title', text: 'Chat review' }),
      h('p', {
        class: 'hint',
        text:
          'Read the stored chat of a meeting or of a person, to answer a data subject’s request. Every review is recorded in the audit log. ' +
          'A person’s messages are those they sent and the private or group messages sent to them.',
      }),
      this.err,
      form,
      this.summary,
      h('div', { class: 'table-wrap' }, [table]),
      this.filesSection,
    ]);
  }

  async review(input: string): Promise<void> {
    showError(this.err, null);
    const q = reviewQuery(input);
    if (q === null) return;
    this.query.value = q.value;
    const done = busyButton(this.submit, 'Loading…');
    try {
      const messages = await fetchChat(q.param, q.value);
      this.last = { query: q.value, messages };
      this.render(messages);
      this.summary.textContent = `${messages.length} message${messages.length === 1 ? '' : 's'} for ${q.value}.`;
      this.exportButton.disabled = false;
      this.renderFiles(await fetchFiles(q.param, q.value));
    } catch (e) {
      this.last = null;
      this.exportButton.disabled = true;
      this.failed(e);
    } finally {
      done();
    }
  }

  private render(messages: ReviewedMessage[]): void {
    clear(this.rows);
    for (const m of messages) {
      const to = m.to_everyone ? 'everyone' : m.to.map(partyText).join('; ');
      const text = m.deleted
        ? h('em', { class: 'outcome denied', text: `deleted${m.deleted_by ? ' by ' + m.deleted_by : ''}${m.deleted_at ? ' at ' + m.deleted_at : ''}` })
        : m.e2ee
          ? h('em', { class: 'chat-text chat-e2ee', text: E2EE_CHAT_NOTE })
          : m.file
            ? this.fileMessage(m, m.file)
            : h('span', { class: 'chat-text', text: m.text });
      this.rows.appendChild(
        h('tr', { 'data-id': m.id, 'data-deleted': m.deleted ? 'true' : null, 'data-e2ee': m.e2ee ? 'true' : null }, [
          h('td', {}, [h('time', { datetime: m.time, text: new Date(m.time).toLocaleString() })]),
          h('td', { class: 'mono', text: m.meeting }),
          h('td', { text: partyText(m.from) }),
          h('td', { text: to }),
          h('td', {}, [text]),
        ]),
      );
    }
    const table = this.rows.closest('table');
    if (table) labelCells(table);
  }

  /** A message that shares a file: its name, size and type, and a download. */
  private fileMessage(m: ReviewedMessage, f: { id: string; size: number; type: string }): HTMLElement {
    const get = h('button', { type: 'button', class: 'button', text: 'Download', 'aria-label': `Download ${m.text}` });
    get.addEventListener('click', () => {
      saveFile({ id: f.id, meeting: m.meeting, name: m.text }).catch((e: unknown) => this.failed(e));
    });
    return h('span', { class: 'chat-text chat-file' }, [`Shared a file: ${m.text} (${sizeText(f.size)}, ${f.type}) `, get]);
  }

  private renderFiles(review: FileReview | null): void {
    this.filesSection.hidden = review === null;
    clear(this.fileRows);
    if (review === null) return;
    this.scanning.textContent = review.scanned
      ? `Shared files are scanned for malware before anyone receives them (${review.scanner}).`
      : 'Shared files are not scanned for malware: no virus scanner is configured (clamd_socket).';
    for (const f of review.files) {
      const to = f.to_everyone ? 'everyone' : f.to.map(partyText).join('; ');
      const get = h('button', { type: 'button', class: 'button', text: 'Download', 'aria-label': `Download ${f.name}` });
      get.addEventListener('click', () => {
        saveFile(f).catch((e: unknown) => this.failed(e));
      });
      this.fileRows.appendChild(
        h('tr', { 'data-id': f.id }, [
          h('td', {}, [h('time', { datetime: f.time, text: new Date(f.time).toLocaleString() })]),
          h('td', { class: 'mono', text: f.meeting }),
          h('td', { text: partyText(f.from) }),
          h('td', { text: to }),
          h('td', { text: `${f.name} (${sizeText(f.size)}, ${f.type})` }),
          h('td', {}, [get]),
        ]),
      );
    }
    const table = this.fileRows.closest('table');
    if (table) labelCells(table);
  }

  /** Saves what was just read; it is not fetched (and recorded) again. */
  private download(): void {
    if (!this.last) return;
    const body = JSON.stringify({ query: this.last.query, exported_at: new Date().toISOString(), messages: this.last.messages }, null, 2);
    const url = URL.createObjectURL(new Blob([body], { type: 'application/json' }));
    const a = h('a', { href: url, download: `chat-${this.last.query}.json` });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  private failed(e: unknown): void {
    if (e instanceof ApiError && (e.status === 403 || e.status === 401)) {
      this.lost();
      return;
    }
    showError(this.err, errorMessage(e));
  }
}
