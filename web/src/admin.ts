// "/admin/audit": browse, filter and export the audit log. The server
// decides who may (admins and privacy officers, docs/security.md); someone
// it refuses sees its 403 as a plain no-access message, and the attempt is
// on record like any other.

import { ApiError, auditExportPath, getMe, listAudit } from './api';
import type { AuditChain, AuditPage, AuditRecord, User } from './api';
import { announce, busyButton, clear, errorMessage, h, showError } from './dom';
import { errorBox, field, labelCells, page, userNav } from './layout';
import { versionFooter } from './version';

const PAGE_SIZES = [25, 50, 100, 200];
const DEFAULT_PAGE_SIZE = 50;
const OUTCOMES = ['success', 'failure', 'denied'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Text filters as the page's own URL and the form hold them; dates are YYYY-MM-DD. */
interface Filters {
  action: string;
  actor: string;
  target: string;
  meeting: string;
  outcome: string;
  from: string;
  to: string;
}

const FILTER_KEYS: (keyof Filters)[] = ['action', 'actor', 'target', 'meeting', 'outcome', 'from', 'to'];

interface View {
  filters: Filters;
  offset: number;
  limit: number;
}

/**
 * Whether a role may read the log, to decide if links to it are shown. It
 * mirrors the permission table; the server enforces it.
 */
export function canReadAudit(role: string): boolean {
  return role === 'admin' || role === 'privacy_officer';
}

export async function renderAudit(root: HTMLElement): Promise<void> {
  const styles = loadStyles();
  let me: User | null;
  try {
    me = await getMe();
  } catch (e) {
    showCard(root, [h('p', { class: 'error-box', role: 'alert', text: errorMessage(e) })]);
    return;
  }
  if (me === null) {
    showCard(root, signInMessage());
    return;
  }
  const nav = userNav(me);
  const ui = new AuditUI(viewFromSearch(location.search), (card) => showCard(root, card, nav));
  const ok = await ui.load();
  await styles;
  if (ok) {
    clear(root);
    root.appendChild(page('Audit log', [ui.el], nav, versionFooter(me)));
  }
}

/** admin.css holds this page's styles, so the other pages do not carry them. */
function loadStyles(): Promise<void> {
  if (document.querySelector('link[data-admin-styles]')) return Promise.resolve();
  const link = h('link', { rel: 'stylesheet', href: '/static/admin.css', 'data-admin-styles': true });
  return new Promise((resolve) => {
    link.addEventListener('load', () => resolve());
    link.addEventListener('error', () => resolve());
    document.head.appendChild(link);
  });
}

function showCard(root: HTMLElement, body: Node[], nav: Node[] = []): void {
  clear(root);
  const card = h('section', { class: 'card', 'aria-labelledby': 'audit-title' }, [
    h('h1', { id: 'audit-title', text: 'Audit log' }),
    ...body,
  ]);
  root.appendChild(page('Audit log', [card], nav));
}

function signInMessage(): Node[] {
  return [h('p', {}, ['Sign in to read the audit log. ', h('a', { href: '/login', text: 'Sign in' }), '.'])];
}

function noAccessMessage(): Node[] {
  return [
    h('p', { id: 'audit-no-access', class: 'error-box', role: 'alert', text: 'You do not have access to the audit log.' }),
    h('p', { class: 'hint', text: 'Only administrators and privacy officers can read it. Ask an administrator if you need access.' }),
    h('p', {}, [h('a', { href: '/', text: 'Back to your meetings' })]),
  ];
}

// ---------- the page's state in its URL and in API queries ----------

function viewFromSearch(search: string): View {
  const q = new URLSearchParams(search);
  const filters = {} as Filters;
  for (const k of FILTER_KEYS) filters[k] = (q.get(k) ?? '').trim();
  const limit = Number(q.get('limit'));
  const offset = Number(q.get('offset'));
  return {
    filters,
    limit: PAGE_SIZES.includes(limit) ? limit : DEFAULT_PAGE_SIZE,
    offset: Number.isInteger(offset) && offset > 0 ? offset : 0,
  };
}

function viewToSearch(v: View): string {
  const q = new URLSearchParams();
  for (const k of FILTER_KEYS) if (v.filters[k] !== '') q.set(k, v.filters[k]);
  if (v.limit !== DEFAULT_PAGE_SIZE) q.set('limit', String(v.limit));
  if (v.offset > 0) q.set('offset', String(v.offset));
  const s = q.toString();
  return s ? '?' + s : '';
}

/** Local midnight of a YYYY-MM-DD day, plus days, as an RFC 3339 time. */
function dayStart(day: string, plusDays: number): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y ?? 0, (m ?? 1) - 1, (d ?? 1) + plusDays).toISOString();
}

/** GET /api/audit's filter parameters; the "to" day is included whole. */
function apiFilters(f: Filters): URLSearchParams {
  const q = new URLSearchParams();
  for (const k of ['action', 'actor', 'target', 'meeting', 'outcome'] as const) if (f[k] !== '') q.set(k, f[k]);
  if (DATE.test(f.from)) q.set('since', dayStart(f.from, 0));
  if (DATE.test(f.to)) q.set('until', dayStart(f.to, 1));
  return q;
}

// ---------- the page ----------

interface Inputs {
  action: HTMLSelectElement;
  outcome: HTMLSelectElement;
  actor: HTMLInputElement;
  target: HTMLInputElement;
  meeting: HTMLInputElement;
  from: HTMLInputElement;
  to: HTMLInputElement;
}

class AuditUI {
  readonly el: HTMLElement;
  private view: View;
  private readonly lost: (card: Node[]) => void;
  private readonly err = errorBox();
  private readonly inputs: Inputs;
  private readonly limit = h('select', {});
  private readonly apply = h('button', { type: 'submit', id: 'audit-apply', class: 'button primary', text: 'Apply filters' });
  private readonly chain = h('div', { id: 'audit-chain', class: 'chain-status', role: 'status' });
  private readonly rows = h('tbody', { id: 'audit-rows' });
  private readonly region = h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-labelledby': 'audit-caption' });
  private readonly range = h('span', { id: 'audit-range', class: 'hint' });
  private readonly newer = h('button', { type: 'button', id: 'audit-newer', class: 'button', text: 'Newer entries', 'aria-describedby': 'audit-range' });
  private readonly older = h('button', { type: 'button', id: 'audit-older', class: 'button', text: 'Older entries', 'aria-describedby': 'audit-range' });
  private readonly csv = h('a', { id: 'export-csv', class: 'button', download: true, text: 'Export CSV' });
  private readonly json = h('a', { id: 'export-json', class: 'button', download: true, text: 'Export JSON' });

  /** lost replaces the page when the server stops letting this person in. */
  constructor(view: View, lost: (card: Node[]) => void) {
    this.view = view;
    this.lost = lost;
    this.inputs = {
      action: h('select', {}, [h('option', { value: '', text: 'Any action' })]),
      outcome: h('select', {}, [
        h('option', { value: '', text: 'Any outcome' }),
        ...OUTCOMES.map((o) => h('option', { value: o, text: o })),
      ]),
      actor: h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'u_…', class: 'mono' }),
      target: h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'u_… or p_…', class: 'mono' }),
      meeting: h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', class: 'mono' }),
      from: h('input', { type: 'date' }),
      to: h('input', { type: 'date' }),
    };
    for (const n of PAGE_SIZES) this.limit.appendChild(h('option', { value: n, text: String(n) }));
    this.el = h('section', { class: 'card audit', 'aria-labelledby': 'audit-title' }, [
      h('h1', { id: 'audit-title', text: 'Audit log' }),
      h('p', {
        class: 'hint',
        text: 'Security-relevant actions on this server, newest first. Each view and export is itself recorded. Dates and times are in your time zone.',
      }),
      this.err,
      this.filterForm(),
      this.chain,
      h('div', { class: 'actions export' }, [this.csv, this.json]),
      this.region,
      h('nav', { class: 'actions pager', 'aria-label': 'Audit log pages' }, [this.newer, this.range, this.older]),
    ]);
    this.region.appendChild(this.table());
    this.fillForm();
    this.newer.addEventListener('click', () => void this.page(-1));
    this.older.addEventListener('click', () => void this.page(1));
  }

  private filterForm(): HTMLFormElement {
    const i = this.inputs;
    const clearButton = h('button', { type: 'button', id: 'audit-clear', class: 'button subtle', text: 'Clear filters' });
    const form = h('form', { id: 'audit-filters', class: 'filters', 'aria-label': 'Filter the audit log' }, [
      field('audit-action', 'Action', i.action),
      field('audit-outcome', 'Outcome', i.outcome),
      field('audit-actor', 'Actor', i.actor, 'Who acted: an account (u_…) or participant (p_…) ID.'),
      field('audit-target', 'Target', i.target, 'Who was acted upon, by ID.'),
      field('audit-meeting', 'Meeting', i.meeting, 'A meeting ID.'),
      field('audit-from', 'From (day)', i.from),
      field('audit-to', 'To (day, included)', i.to),
      field('audit-limit', 'Entries per page', this.limit),
      h('div', { class: 'actions filter-actions' }, [this.apply, clearButton]),
    ]);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.applyFilters();
    });
    clearButton.addEventListener('click', () => {
      this.view = { filters: viewFromSearch('').filters, offset: 0, limit: this.view.limit };
      this.fillForm();
      void this.load();
    });
    return form;
  }

  private table(): HTMLTableElement {
    const cols = ['#', 'Time', 'Action', 'Actor', 'Target', 'Meeting', 'Client address', 'Outcome', 'Details'];
    return h('table', { class: 'audit-table stack-narrow' }, [
      h('caption', { id: 'audit-caption', class: 'sr-only', text: 'Audit log entries, newest first' }),
      h('thead', {}, [h('tr', {}, cols.map((c) => h('th', { scope: 'col', text: c })))]),
      this.rows,
    ]);
  }

  private fillForm(): void {
    for (const k of FILTER_KEYS) {
      const input = this.inputs[k];
      if (input instanceof HTMLSelectElement) ensureOption(input, this.view.filters[k]);
      input.value = this.view.filters[k];
    }
    this.limit.value = String(this.view.limit);
  }

  private readForm(): Filters {
    const f = {} as Filters;
    for (const k of FILTER_KEYS) f[k] = this.inputs[k].value.trim();
    return f;
  }

  private async applyFilters(): Promise<void> {
    const filters = this.readForm();
    if (filters.from !== '' && filters.to !== '' && filters.from > filters.to) {
      showError(this.err, 'The "from" day is after the "to" day.');
      this.inputs.from.focus();
      return;
    }
    this.view = { filters, offset: 0, limit: Number(this.limit.value) || DEFAULT_PAGE_SIZE };
    await this.load();
  }

  private async page(direction: 1 | -1): Promise<void> {
    const offset = Math.max(0, this.view.offset + direction * this.view.limit);
    this.view = { ...this.view, offset };
    await this.load();
    const clicked = direction > 0 ? this.older : this.newer;
    if (clicked.disabled) this.region.focus();
  }

  /** Fetches and shows the current view; false when the page was replaced. */
  async load(): Promise<boolean> {
    showError(this.err, null);
    const done = busyButton(this.apply, 'Loading…'); // the label says why it waits
    this.region.setAttribute('aria-busy', 'true');
    const filters = apiFilters(this.view.filters);
    const query = new URLSearchParams(filters);
    query.set('limit', String(this.view.limit));
    query.set('offset', String(this.view.offset));
    try {
      const result = await listAudit(query);
      history.replaceState(null, '', '/admin/audit' + viewToSearch(this.view));
      this.show(result, filters);
      return true;
    } catch (e) {
      return this.failed(e);
    } finally {
      done();
      this.region.removeAttribute('aria-busy');
    }
  }

  private failed(e: unknown): boolean {
    if (e instanceof ApiError && e.status === 403) {
      this.lost(noAccessMessage());
      return false;
    }
    if (e instanceof ApiError && e.status === 401) {
      this.lost(signInMessage());
      return false;
    }
    showError(this.err, errorMessage(e));
    return true;
  }

  private show(result: AuditPage, filters: URLSearchParams): void {
    ensureOptions(this.inputs.action, result.actions);
    clear(this.rows);
    for (const e of result.entries) this.rows.appendChild(entryRow(e));
    const table = this.rows.closest('table');
    if (table) labelCells(table);
    showChain(this.chain, result.chain);
    this.csv.href = auditExportPath(filters, 'csv');
    this.json.href = auditExportPath(filters, 'json');
    const n = result.entries.length;
    const { offset, limit } = this.view;
    this.newer.disabled = offset === 0;
    this.older.disabled = n < limit;
    // The range says why a paging button is off (both describe themselves by it).
    const shown = n === 0 ? (offset === 0 ? 'No entries match.' : 'No more entries.') : `Entries ${offset + 1}–${offset + n}`;
    const why =
      n > 0 && this.newer.disabled && this.older.disabled
        ? ': all that match.'
        : n > 0 && this.newer.disabled
          ? ', the newest.'
          : n > 0 && this.older.disabled
            ? ', the oldest.'
            : '';
    this.range.textContent = n > 0 ? shown + why : shown;
    announce(n === 0 ? 'No audit entries match.' : `${n} audit entries shown.`);
  }
}

/** Adds value to a select that does not offer it yet (from the URL). */
function ensureOption(select: HTMLSelectElement, value: string): void {
  if (value !== '' && !Array.from(select.options).some((o) => o.value === value)) {
    select.appendChild(h('option', { value, text: value }));
  }
}

function ensureOptions(select: HTMLSelectElement, values: string[]): void {
  for (const v of values) ensureOption(select, v);
}

// ---------- entries and chain status ----------

function entryRow(e: AuditRecord): HTMLTableRowElement {
  return h('tr', { 'data-seq': e.seq, 'data-action': e.action }, [
    h('td', { class: 'num', text: String(e.seq) }),
    h('td', {}, [timeCell(e.time)]),
    h('td', { class: 'mono', text: e.action }),
    idCell(e.actor),
    idCell(e.target),
    idCell(e.meeting),
    idCell(e.client_addr),
    h('td', {}, [h('span', { class: OUTCOMES.includes(e.outcome) ? 'outcome ' + e.outcome : 'outcome', text: e.outcome })]),
    h('td', {}, [detailsList(e.details)]),
  ]);
}

function idCell(value: string): HTMLTableCellElement {
  if (value !== '') return h('td', { class: 'mono', text: value });
  return h('td', { class: 'hint' }, [h('span', { 'aria-hidden': 'true', text: '—' }), h('span', { class: 'sr-only', text: 'none' })]);
}

function timeCell(iso: string): HTMLElement {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h('span', { text: iso });
  const p = (n: number): string => String(n).padStart(2, '0');
  const local = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return h('time', { datetime: iso, title: iso, text: local });
}

/**
 * An entry's details, collapsed: the summary names the fields, opening it
 * shows their values. That keeps rows short and the table within the
 * page, however long a value is.
 */
function detailsList(details: Record<string, string>): Node {
  const keys = Object.keys(details).sort();
  if (keys.length === 0) return document.createTextNode('');
  return h('details', { class: 'details' }, [
    h('summary', { text: keys.join(', ') }),
    h(
      'ul',
      {},
      keys.map((k) => h('li', {}, [h('span', { class: 'detail-key', text: k + ': ' }), details[k] ?? ''])),
    ),
  ]);
}

function showChain(el: HTMLElement, chain: AuditChain): void {
  clear(el);
  const intact = chain.intact && chain.problems.length === 0;
  el.dataset.state = intact ? 'intact' : 'problems';
  if (intact) {
    const head = chain.head ? ` Newest entry in the log: #${chain.head.seq}.` : '';
    el.appendChild(
      h('p', {}, [
        h('strong', { text: 'Chain intact. ' }),
        `The ${chain.checked} entries on this page match their hashes and links.${head}`,
      ]),
    );
    return;
  }
  el.appendChild(h('p', {}, [h('strong', { text: `Chain problems: ${chain.problems.length}. ` }), 'Entries on this page were changed, removed or reordered since they were written.']));
  el.appendChild(h('ul', {}, chain.problems.map((p) => h('li', { text: `#${p.seq}: ${p.message}` }))));
  el.appendChild(h('p', { class: 'hint' }, ['Check the whole log on the server with ', h('code', { text: 'conclave audit verify' }), '.']));
}
