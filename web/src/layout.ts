// Shared page chrome for the non-meeting pages: one header everywhere,
// and for a signed-in person the same navigation and Sign out on every
// page (home, audit log, requests, records of processing, notice editor).

import { logout } from './api';
import type { User } from './api';
import { busyButton, h } from './dom';

/**
 * The pages a role may open. The server decides (internal/authz); this
 * mirrors its table only to leave out links that would be refused.
 */
function officer(role: string): boolean {
  return role === 'admin' || role === 'privacy_officer';
}

interface NavLink {
  id: string;
  href: string;
  text: string;
  show(role: string): boolean;
  download?: boolean;
}

const NAV: NavLink[] = [
  { id: 'meetings-link', href: '/', text: 'Meetings', show: () => true },
  { id: 'recordings-link', href: '/recordings', text: 'Recordings', show: () => true },
  { id: 'audit-link', href: '/admin/audit', text: 'Audit log', show: officer },
  { id: 'requests-link', href: '/admin/requests', text: 'Requests', show: officer },
  { id: 'processing-link', href: '/admin/processing', text: 'Records of processing', show: officer },
  { id: 'notice-link', href: '/admin/privacy', text: 'Privacy notice', show: (r) => r === 'admin' },
  { id: 'users-link', href: '/admin/users', text: 'Accounts', show: (r) => r === 'admin' },
  { id: 'account-link', href: '/account', text: 'Your account', show: () => true },
  { id: 'my-data-link', href: '/api/me/export', text: 'Download my data', show: () => true, download: true },
];

/**
 * The signed-in part of the header: the navigation (the current page
 * marked) and who is signed in with Sign out. Every page that knows the
 * person passes it to page().
 */
export function userNav(me: User): Node[] {
  const here = location.pathname;
  const links = NAV.filter((l) => l.show(me.role)).map((l) =>
    h('a', {
      id: l.id,
      href: l.href,
      class: 'nav-link',
      text: l.text,
      download: l.download === true,
      'aria-current': !l.download && l.href === here ? 'page' : null,
    }),
  );
  const signOut = h('button', { type: 'button', id: 'sign-out', class: 'button subtle', text: 'Sign out' });
  signOut.addEventListener('click', async () => {
    busyButton(signOut, 'Signing out…');
    try {
      await logout();
    } catch {
      // The cookie may already be gone; go home either way.
    }
    location.assign('/');
  });
  const who = me.name || me.email;
  return [
    h('nav', { class: 'site-nav', id: 'site-nav', 'aria-label': 'Main' }, links),
    h('div', { class: 'site-account' }, [h('span', { class: 'who', title: who, text: who }), signOut]),
  ];
}

export function siteHeader(extra: Node[] = []): HTMLElement {
  return h('header', { class: 'site-header', id: 'site-header' }, [
    h('a', { class: 'brand', href: '/' }, [h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), 'Conclave']),
    ...extra,
  ]);
}

/**
 * A whole page: header, main content and, on the admin pages, a footer
 * (version.ts's server version for administrators; null for others).
 */
export function page(title: string, body: Node[], headerExtra: Node[] = [], footer: HTMLElement | null = null): HTMLElement {
  document.title = title ? `${title} · Conclave` : 'Conclave';
  return h('div', { class: 'page' }, [siteHeader(headerExtra), h('main', { class: 'content', id: 'main' }, body), footer]);
}

export function field(id: string, label: string, input: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLElement {
  const children: Node[] = [h('label', { for: id, text: label }), input];
  if (hint) {
    const hintId = id + '-hint';
    input.setAttribute('aria-describedby', hintId);
    children.push(h('p', { class: 'hint', id: hintId, text: hint }));
  }
  input.id = id;
  return h('div', { class: 'field' }, children);
}

export function errorBox(): HTMLElement {
  const el = h('div', { id: 'error-message', class: 'error-box', role: 'alert' });
  el.hidden = true;
  return el;
}

/**
 * Copies each column's heading into its cells (data-label), so that on a
 * narrow screen, where admin.css shows every row as a small card, each
 * value still says what it is.
 */
export function labelCells(table: HTMLTableElement): void {
  const heads = Array.from(table.tHead?.rows[0]?.cells ?? []).map((c) => c.textContent ?? '');
  for (const body of Array.from(table.tBodies)) {
    for (const row of Array.from(body.rows)) {
      Array.from(row.cells).forEach((cell, i) => {
        const label = heads[i];
        if (label) cell.dataset['label'] = label;
      });
    }
  }
}
