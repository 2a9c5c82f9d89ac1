// The waiting-room panel for hosts and co-hosts: who waits (name,
// verified or guest, how long), Admit / Deny each, Admit all / Deny all.

import { h } from './dom';
import { syncList } from './listsync';
import { displayName } from './panelmodel';
import type { ModActions } from './panelmodel';
import type { LobbyEntry } from './protocol';

/** "just now", "4 min", "1 h 5 min" since an RFC 3339 time. */
export function waitedFor(since: string, now = Date.now()): string {
  const t = Date.parse(since);
  if (Number.isNaN(t)) return '';
  const min = Math.floor(Math.max(0, now - t) / 60_000);
  if (min < 1) return 'just now';
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

const TICK_MS = 20_000;

export class LobbyPanel {
  readonly el: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly empty: HTMLElement;
  private readonly admitAll: HTMLButtonElement;
  private readonly denyAll: HTMLButtonElement;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly act: ModActions) {
    this.list = h('ul', { class: 'person-list', id: 'lobby-list', tabindex: '-1', 'aria-label': 'People waiting' });
    this.empty = h('p', { class: 'hint', id: 'lobby-empty', text: 'Nobody is waiting.' });
    // Disabled while nobody waits; the visible "Nobody is waiting." says why.
    this.admitAll = h('button', { type: 'button', id: 'lobby-admit-all', class: 'button small primary', text: 'Admit all', 'aria-describedby': 'lobby-empty' });
    this.denyAll = h('button', { type: 'button', id: 'lobby-deny-all', class: 'button small', text: 'Deny all', 'aria-describedby': 'lobby-empty' });
    this.admitAll.addEventListener('click', () => act.admit(null));
    this.denyAll.addEventListener('click', () => act.deny(null));
    this.el = h('div', { class: 'panel-body' }, [
      h('div', { class: 'panel-actions' }, [this.admitAll, this.denyAll]),
      this.empty,
      this.list,
    ]);
    // Times waiting move on without any message from the server.
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  sync(lobby: LobbyEntry[]): void {
    this.empty.hidden = lobby.length > 0;
    this.admitAll.disabled = lobby.length === 0;
    this.denyAll.disabled = lobby.length === 0;
    syncList(
      this.list,
      lobby.map((e) => ({ key: e.id, sig: JSON.stringify([e.name, e.verified, e.since]), build: () => this.row(e) })),
    );
  }

  private row(e: LobbyEntry): HTMLElement {
    const name = displayName(e.name);
    const admit = h('button', { type: 'button', class: 'button small primary', 'data-action': 'admit', 'data-focus': 'admit', 'aria-label': `Admit ${name}`, text: 'Admit' });
    const deny = h('button', { type: 'button', class: 'button small', 'data-action': 'deny', 'data-focus': 'deny', 'aria-label': `Deny ${name}`, text: 'Deny' });
    admit.addEventListener('click', () => this.act.admit(e.id));
    deny.addEventListener('click', () => this.act.deny(e.id));
    const since = h('span', { class: 'lobby-since', 'data-since': e.since });
    this.fillSince(since);
    return h('li', { class: 'person-row', 'data-lobby-id': e.id }, [
      h('div', { class: 'person-main' }, [
        h('span', { class: 'person-name', text: name }),
        h('span', {
          class: e.verified ? 'badge verified' : 'badge guest',
          text: e.verified ? 'Verified' : 'Guest',
          title: e.verified ? 'Signed in with an account on this server' : 'Guest: not signed in',
        }),
        since,
      ]),
      h('div', { class: 'person-actions' }, [admit, deny]),
    ]);
  }

  private fillSince(el: HTMLElement): void {
    const waited = waitedFor(el.dataset['since'] ?? '');
    el.textContent = waited === '' ? '' : `waiting ${waited}`;
  }

  private tick(): void {
    for (const el of this.list.querySelectorAll<HTMLElement>('.lobby-since')) this.fillSince(el);
  }

  destroy(): void {
    clearInterval(this.timer);
  }
}
