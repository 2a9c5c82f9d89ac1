// "/admin/processing": the records of processing (GDPR Art. 30), generated
// by the server from its running configuration and its registry of
// personal data. Admins and privacy officers may read it (the server
// decides and records each generation); the page offers the same report as
// a printable HTML file and as Markdown to hand to a DPO.

import { ApiError, getMe } from './api';
import type { User } from './api';
import { clear, errorMessage, h } from './dom';
import { labelCells, page, userNav } from './layout';
import { versionFooter } from './version';

const REPORT = '/api/privacy/report';

interface Table {
  columns: string[];
  rows: string[][];
}

interface Section {
  id: string;
  title: string;
  paragraphs?: string[];
  list?: string[];
  table?: Table;
}

/** records.Document as the API sends it with format=json. */
export interface ReportDocument {
  title: string;
  intro?: string[];
  sections: Section[];
}

/** Whether a role may read the report; mirrors the permission table. */
export function canReadProcessing(role: string): boolean {
  return role === 'admin' || role === 'privacy_officer';
}

async function fetchReport(): Promise<ReportDocument> {
  const res = await fetch(REPORT + '?format=json', { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } });
  if (!res.ok) {
    let message = `Request failed (${res.status}).`;
    try {
      const body = (await res.json()) as { error?: { message?: string } };
      if (body.error?.message) message = body.error.message;
    } catch {
      // keep the generic message
    }
    throw new ApiError(res.status, 'http_' + String(res.status), message);
  }
  return (await res.json()) as ReportDocument;
}

/** The report's tables borrow the audit page's table styles (admin.css). */
function loadStyles(): void {
  if (document.querySelector('link[data-admin-styles]')) return;
  document.head.appendChild(h('link', { rel: 'stylesheet', href: '/static/admin.css', 'data-admin-styles': true }));
}

export async function renderProcessing(root: HTMLElement): Promise<void> {
  loadStyles();
  let me: User | null;
  try {
    me = await getMe();
  } catch (e) {
    showCard(root, [h('p', { class: 'error-box', role: 'alert', text: errorMessage(e) })]);
    return;
  }
  if (me === null) {
    showCard(root, [h('p', {}, ['Sign in to read the records of processing. ', h('a', { href: '/login', text: 'Sign in' }), '.'])]);
    return;
  }
  let doc: ReportDocument;
  try {
    doc = await fetchReport();
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) {
      showCard(root, [
        h('p', { id: 'processing-no-access', class: 'error-box', role: 'alert', text: 'You do not have access to the records of processing.' }),
        h('p', {}, [h('a', { href: '/', text: 'Back to your meetings' })]),
      ], userNav(me));
      return;
    }
    showCard(root, [h('p', { class: 'error-box', role: 'alert', text: errorMessage(e) })], userNav(me));
    return;
  }
  clear(root);
  root.appendChild(page(doc.title, [renderDocument(doc)], userNav(me), versionFooter(me)));
}

function showCard(root: HTMLElement, body: Node[], nav: Node[] = []): void {
  clear(root);
  const card = h('section', { class: 'card', 'aria-labelledby': 'processing-title' }, [
    h('h1', { id: 'processing-title', text: 'Records of processing' }),
    ...body,
  ]);
  root.appendChild(page('Records of processing', [card], nav));
}

function renderDocument(doc: ReportDocument): HTMLElement {
  const downloads = h('p', { class: 'processing-downloads' }, [
    h('a', { class: 'button', id: 'processing-html', href: REPORT + '?format=html', target: '_blank', rel: 'noopener', text: 'Printable report (HTML)' }),
    ' ',
    h('a', { class: 'button subtle', id: 'processing-md', href: REPORT + '?format=md', download: 'records-of-processing.md', text: 'Download Markdown' }),
  ]);
  const body: Node[] = [h('h1', { id: 'processing-title', text: doc.title })];
  for (const p of doc.intro ?? []) body.push(h('p', { class: 'hint', text: p }));
  body.push(downloads);
  for (const s of doc.sections) body.push(renderSection(s));
  return h('section', { class: 'card wide', id: 'processing-report', 'aria-labelledby': 'processing-title' }, body);
}

function renderSection(s: Section): HTMLElement {
  const children: Node[] = [h('h2', { id: 'processing-' + s.id, text: s.title })];
  for (const p of s.paragraphs ?? []) children.push(h('p', { text: p }));
  if (s.list && s.list.length > 0) children.push(h('ul', {}, s.list.map((item) => h('li', { text: item }))));
  if (s.table) children.push(renderTable(s.table));
  return h('section', { 'data-section': s.id }, children);
}

function renderTable(t: Table): HTMLElement {
  const head = h('tr', {}, t.columns.map((c) => h('th', { scope: 'col', text: c })));
  const rows = t.rows.map((r) => h('tr', {}, r.map((c) => h('td', { text: c }))));
  // A key-value table (the controller's details) has no column names: an
  // empty header row would only draw a bar above it.
  const parts = t.columns.some((c) => c !== '') ? [h('thead', {}, [head]), h('tbody', {}, rows)] : [h('tbody', {}, rows)];
  const table = h('table', { class: 'audit-table processing-table stack-narrow' }, parts);
  labelCells(table);
  return h('div', { class: 'table-wrap' }, [table]);
}
