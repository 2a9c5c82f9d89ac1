// The participants panel: everyone in the meeting with role and
// verified/guest badges; for hosts and co-hosts, per-person moderation
// actions behind a disclosure button (keyboard: Tab, Enter, Escape).

import { h } from './dom';
import { syncList } from './listsync';
import type { ListItem } from './listsync';
import { displayName } from './panelmodel';
import type { ModActions, PanelModel } from './panelmodel';
import type { ParticipantInfo, Role } from './protocol';
import { ROLE_LABEL, outranks, roleBadge } from './roles';

interface PersonAction {
  key: string;
  label: string;
  danger?: boolean;
  run(): void;
}

export class ParticipantsPanel {
  readonly el: HTMLElement;
  private readonly list: HTMLUListElement;
  /** Participants whose action list is open; survives row rebuilds. */
  private readonly expanded = new Set<string>();

  constructor(private readonly act: ModActions) {
    this.list = h('ul', { class: 'person-list', id: 'participants-list', tabindex: '-1', 'aria-label': 'People in the meeting' });
    this.el = h('div', { class: 'panel-body' }, [this.list]);
  }

  sync(m: PanelModel): void {
    const people = [m.self, ...m.others];
    const items: ListItem[] = people.map((p) => {
      const self = p.id === m.selfId;
      const actions = self ? [] : this.actionsFor(p, m.role);
      return {
        key: p.id,
        sig: JSON.stringify([p.name, p.role, p.verified, p.audio, p.video, p.screen, p.reconnecting, self, actions.map((a) => a.key)]),
        build: () => this.row(p, self, actions),
      };
    });
    for (const id of this.expanded) if (!people.some((p) => p.id === id)) this.expanded.delete(id);
    syncList(this.list, items);
  }

  /** What the own role may do to p (the server checks again). */
  private actionsFor(p: ParticipantInfo, me: Role | null): PersonAction[] {
    if (!outranks(me, p.role)) return [];
    const id = p.id;
    const out: PersonAction[] = [];
    if (p.audio) out.push({ key: 'mute-audio', label: 'Mute microphone', run: () => this.act.mute(id, 'audio') });
    else out.push({ key: 'ask-unmute', label: 'Ask to unmute', run: () => this.act.askUnmute(id, 'audio') });
    if (p.video) out.push({ key: 'stop-camera', label: 'Stop camera', run: () => this.act.mute(id, 'camera') });
    if (p.screen) out.push({ key: 'stop-screen', label: 'Stop screen share', run: () => this.act.mute(id, 'screen') });
    if (p.role === 'presenter') {
      out.push({ key: 'remove-presenter', label: 'Remove presenter', run: () => this.act.setRole(id, 'attendee') });
    } else if (p.role === 'attendee' || p.role === 'guest') {
      out.push({ key: 'make-presenter', label: 'Make presenter', run: () => this.act.setRole(id, 'presenter') });
    }
    // Guests cannot be co-hosts: whoever admits people must be identifiable.
    if (me === 'host' && p.verified) {
      if (p.role === 'cohost') out.push({ key: 'remove-cohost', label: 'Remove co-host', run: () => this.act.setRole(id, 'attendee') });
      else out.push({ key: 'make-cohost', label: 'Make co-host', run: () => this.act.setRole(id, 'cohost') });
    }
    out.push({ key: 'remove', label: 'Remove', danger: true, run: () => this.act.remove(id, false) });
    out.push({ key: 'remove-ban', label: 'Remove and ban', danger: true, run: () => this.act.remove(id, true) });
    return out;
  }

  private row(p: ParticipantInfo, self: boolean, actions: PersonAction[]): HTMLElement {
    const name = displayName(p.name);
    const role = roleBadge(p.role);
    const state = [p.audio ? 'microphone on' : 'microphone off', p.video ? 'camera on' : 'camera off'];
    if (p.screen) state.push('sharing screen');
    const main = h('div', { class: 'person-main' }, [
      h('span', { class: 'person-name', text: self ? `${name} (you)` : name }),
      role ? h('span', { class: `badge role role-${p.role}`, 'data-role': p.role, text: role }) : null,
      h('span', {
        class: p.verified ? 'badge verified' : 'badge guest',
        text: p.verified ? 'Verified' : 'Guest',
        title: p.verified ? 'Signed in with an account on this server' : 'Guest: not signed in',
      }),
      p.reconnecting ? h('span', { class: 'badge reconnecting person-reconnecting', text: 'Reconnecting…' }) : null,
      h('span', { class: 'person-state', text: state.join(', ') }),
    ]);
    const label = `${name}, ${ROLE_LABEL[p.role]}` + (p.reconnecting ? ', reconnecting' : '');
    const li = h(
      'li',
      { class: 'person-row', 'data-person': p.id, 'data-role': p.role, 'data-reconnecting': p.reconnecting ? 'true' : 'false', 'aria-label': label },
      [main],
    );
    if (actions.length > 0) this.addActions(li, p.id, name, actions);
    return li;
  }

  private addActions(li: HTMLElement, id: string, name: string, actions: PersonAction[]): void {
    const boxId = `person-actions-${id}`;
    const open = this.expanded.has(id);
    const toggle = h('button', {
      type: 'button',
      class: 'button subtle small person-toggle',
      'data-focus': 'toggle',
      'aria-expanded': open ? 'true' : 'false',
      'aria-controls': boxId,
      'aria-label': `Actions for ${name}`,
      text: 'Actions',
    });
    const box = h(
      'div',
      { class: 'person-actions', id: boxId, role: 'group', 'aria-label': `Actions for ${name}` },
      actions.map((a) => {
        const b = h('button', {
          type: 'button',
          class: a.danger ? 'button small danger' : 'button small',
          'data-action': a.key,
          'data-focus': a.key,
          text: a.label,
        });
        b.addEventListener('click', () => a.run());
        return b;
      }),
    );
    box.hidden = !open;
    const setOpen = (v: boolean): void => {
      if (v) this.expanded.add(id);
      else this.expanded.delete(id);
      toggle.setAttribute('aria-expanded', v ? 'true' : 'false');
      box.hidden = !v;
    };
    toggle.addEventListener('click', () => setOpen(toggle.getAttribute('aria-expanded') !== 'true'));
    box.addEventListener('keydown', (ev) => {
      if (ev.key !== 'Escape') return;
      ev.stopPropagation();
      setOpen(false);
      toggle.focus();
    });
    li.querySelector('.person-main')?.appendChild(toggle);
    li.appendChild(box);
  }
}
