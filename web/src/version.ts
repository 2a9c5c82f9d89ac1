// The admin pages' footer: which Conclave this is and whether to update
// ("Conclave v1.4.0, built 1 September 2026. A newer release, 1.5.0, …").
// Only administrators get it; the server decides (GET /api/admin/version,
// permission server.version) and the page only leaves out a request that
// would be refused. The server never fetches anything for this request:
// it answers with what its release checker last learned, if a release
// feed is configured at all (docs/operations.md, "Updates").

import { getServerVersion } from './api';
import type { ServerVersion, User } from './api';
import { h } from './dom';
import type { Child } from './dom';

function day(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString(undefined, { dateStyle: 'long' });
}

function when(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** "Conclave v1.4.0, built 1 September 2026." */
export function buildLine(v: ServerVersion): string {
  let s = `Conclave ${v.version}`;
  s += v.build_date ? `, built ${day(v.build_date)}` : ', build date unknown';
  if (v.modified) s += ' from modified sources';
  return s + '.';
}

/** What the release feed says, in words, with the release notes link. */
export function updateLine(v: ServerVersion): Child[] {
  const u = v.update;
  const notes = (): Child[] =>
    u.latest?.url ? [' ', h('a', { id: 'release-notes', href: u.latest.url, rel: 'noopener noreferrer', target: '_blank', text: 'Release notes' }), '.'] : [];
  const latest = u.latest ? `${u.latest.version}${u.latest.date ? ` (${day(u.latest.date)})` : ''}` : '';
  switch (u.status) {
    case 'not_configured':
      return ['Release feed not configured: this server does not look for updates.'];
    case 'pending':
      return ['Checking the release feed…'];
    case 'up_to_date':
      return [`Up to date: no newer release in the feed (checked ${when(u.checked_at)}).`];
    case 'available':
      return [
        `A newer release, ${latest}, is available.`,
        u.security ? h('strong', { text: ' It includes security fixes: update soon.' }) : '',
        ...notes(),
      ];
    case 'unknown_version':
      return [`This build (${v.version}) is not a release, so it cannot be compared with the feed${latest ? `, whose newest release is ${latest}` : ''}.`, ...notes()];
    case 'unreachable': {
      const last = u.checked_at && u.newer && latest ? ` At the last check (${when(u.checked_at)}) a newer release, ${latest}, was available.` : '';
      return [`Release feed unreachable since ${when(u.unreachable_since)}${u.error ? ` (${u.error})` : ''}.${last}`, ...(last ? notes() : [])];
    }
  }
  return [];
}

/**
 * The footer for administrators (null for anyone else). It fills itself
 * in once the API answers, and stays empty (hidden) if it does not.
 */
export function versionFooter(me: User): HTMLElement | null {
  if (me.role !== 'admin') return null;
  const el = h('footer', { id: 'server-version', class: 'site-footer hint', 'aria-label': 'Server version' });
  el.hidden = true;
  void getServerVersion()
    .then((v) => {
      el.dataset['update'] = v.update.status;
      el.replaceChildren(h('p', { id: 'server-build', text: buildLine(v) }), h('p', { id: 'server-update' }, updateLine(v)));
      el.hidden = false;
    })
    .catch(() => undefined); // the page works without it
  return el;
}
