// The call's side panels and the toolbar buttons that open them: People,
// Chat, Settings, and for hosts and co-hosts Waiting (N) and Meeting
// controls. One panel is open at a time; Escape closes it and returns focus
// to its button. Who waits and new chat messages also show as notices
// (notices.ts) while their panel is closed.

import { announce, h } from './dom';
import { HostMenu } from './hostmenu';
import { icon } from './icons';
import type { IconName } from './icons';
import { LobbyPanel } from './lobby';
import { CallNotices, setSoundOn, soundOn } from './notices';
import { chatSince, displayName } from './panelmodel';
import type { ModActions, PanelModel } from './panelmodel';
import { ChatPanel, chatPreview } from './chat';
import type { UploadResult } from './files';
import { ParticipantsPanel } from './participants';
import { canModerate } from './roles';

type PanelName = 'participants' | 'chat' | 'lobby' | 'host' | 'settings';

interface Panel {
  name: PanelName;
  title: string;
  button: HTMLButtonElement;
  label: HTMLElement;
  section: HTMLElement;
}

export class SidePanels {
  readonly el: HTMLElement;
  readonly buttons: HTMLButtonElement[];
  private readonly panels: Record<PanelName, Panel>;
  private readonly people: ParticipantsPanel;
  private readonly chat: ChatPanel;
  private readonly lobby: LobbyPanel;
  private readonly host: HostMenu;
  readonly notices: CallNotices;
  private open: PanelName | null = null;
  private last: PanelModel | null = null;
  private lobbyIds = new Set<string>();
  /** Chat messages counted so far (ChatLog.total), and those unread. */
  private chatCounted = 0;
  private unread = 0;
  /** The message the chat notice shows (cleared if a host deletes it). */
  private noticedId: string | null = null;
  private chatVersion = 0;

  constructor(act: ModActions) {
    this.people = new ParticipantsPanel(act);
    this.chat = new ChatPanel(act);
    this.lobby = new LobbyPanel(act);
    this.host = new HostMenu(act);
    this.notices = new CallNotices({
      admit: (id) => act.admit(id),
      openLobby: () => this.toggle('lobby'),
      openChat: () => this.toggle('chat'),
      fallbackFocus: () => {
        const lobby = this.panels.lobby.button;
        return lobby.hidden ? this.panels.chat.button : lobby;
      },
    });
    this.panels = {
      participants: this.panel('participants', 'People', 'people', this.people.el),
      chat: this.panel('chat', 'Chat', 'chat', this.chat.el),
      lobby: this.panel('lobby', 'Waiting room', 'clock', this.lobby.el),
      host: this.panel('host', 'Meeting controls', 'shield', this.host.el),
      settings: this.panel('settings', 'Settings', 'settings', settingsBody()),
    };
    this.buttons = Object.values(this.panels).map((p) => p.button);
    this.el = h('aside', { class: 'side', id: 'side-panel' }, Object.values(this.panels).map((p) => p.section));
    this.el.hidden = true;
    this.el.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && !ev.defaultPrevented) this.toggle(null);
    });
  }

  private panel(name: PanelName, title: string, iconName: IconName, body: HTMLElement): Panel {
    const id = `${name}-panel`;
    const label = h('span', { class: 'control-text', text: title });
    const button = h('button', { type: 'button', id: `toggle-${name}`, class: 'control', 'aria-expanded': 'false', 'aria-controls': id }, [
      h('span', { class: 'control-icon' }, [icon(iconName)]),
      label,
    ]);
    button.addEventListener('click', () => this.toggle(this.open === name ? null : name));
    const close = h('button', { type: 'button', class: 'button subtle small', 'aria-label': `Close ${title.toLowerCase()}`, text: 'Close' });
    close.addEventListener('click', () => this.toggle(null));
    const section = h('section', { class: 'panel', id, 'aria-labelledby': `${id}-title` }, [
      h('div', { class: 'panel-head' }, [h('h2', { id: `${id}-title`, tabindex: '-1', text: title }), close]),
      body,
    ]);
    section.hidden = true;
    return { name, title, button, label, section };
  }

  /** Opens one panel (closing any other), or with null closes it. */
  toggle(name: PanelName | null): void {
    const was = this.open;
    this.open = name;
    for (const p of Object.values(this.panels)) {
      const on = p.name === name;
      p.section.hidden = !on;
      p.button.setAttribute('aria-expanded', on ? 'true' : 'false');
      p.button.classList.toggle('active', on);
    }
    this.el.hidden = name === null;
    this.chat.setOpen(name === 'chat');
    if (name === 'chat') this.markChatRead();
    if (this.last) this.notices.syncWaiting(this.last.lobby, canModerate(this.last.role) && name !== 'lobby');
    if (name !== null) this.panels[name].section.querySelector<HTMLElement>('h2')?.focus({ preventScroll: true });
    else if (was !== null) this.panels[was].button.focus({ preventScroll: true });
  }

  sync(m: PanelModel): void {
    this.last = m;
    const mod = canModerate(m.role);
    this.panels.lobby.button.hidden = !mod;
    this.panels.host.button.hidden = !mod;
    if (!mod && (this.open === 'lobby' || this.open === 'host')) this.toggle(null);
    this.people.sync(m);
    this.chat.sync(m);
    this.lobby.sync(mod ? m.lobby : []);
    this.host.sync(m.settings, m.role);
    this.syncLobbyButton(m, mod);
    this.countChat(m);
    this.syncChatButton();
  }

  private syncLobbyButton(m: PanelModel, mod: boolean): void {
    const n = mod ? m.lobby.length : 0;
    const p = this.panels.lobby;
    p.label.textContent = `Waiting (${n})`;
    p.button.classList.toggle('attention', n > 0);
    p.button.setAttribute('aria-label', n === 1 ? 'Waiting room: 1 person waiting' : `Waiting room: ${n} people waiting`);
    const ids = new Set(m.lobby.map((e) => e.id));
    // The notices (a live region) speak while the Waiting panel is closed;
    // with it open, the announcer does.
    const notices = mod && this.open !== 'lobby';
    if (mod && !notices) {
      for (const e of m.lobby) if (!this.lobbyIds.has(e.id)) announce(`${displayName(e.name)} is waiting to join.`);
    }
    this.notices.syncWaiting(mod ? m.lobby : [], notices);
    this.lobbyIds = ids;
  }

  /**
   * Others' messages while the chat is closed are unread, and shown as a
   * notice (which its live region reads): the chat log speaks for itself
   * only while it is shown.
   */
  private countChat(m: PanelModel): void {
    if (m.chat.version !== this.chatVersion) {
      this.chatVersion = m.chat.version;
      // A message deleted while its notice shows takes the notice along.
      const noticed = this.noticedId;
      if (noticed !== null && m.chat.entries.some((e) => e.msg.id === noticed && e.deletedBy !== null)) {
        this.notices.clearChat();
        this.noticedId = null;
      }
    }
    const fresh = chatSince(m.chat, this.chatCounted);
    this.chatCounted = m.chat.total;
    if (this.open === 'chat') return;
    let latest: (typeof fresh)[number] | null = null;
    for (const e of fresh) {
      if (e.msg.from === m.selfId || e.deletedBy !== null) continue;
      this.unread += 1;
      latest = e;
    }
    if (latest) {
      const msg = latest.msg;
      const from = displayName(m.others.find((p) => p.id === msg.from)?.name ?? msg.from_name);
      this.notices.chat(from, chatPreview(msg, latest.seal), (msg.to ?? []).length > 0, this.unread);
      this.noticedId = msg.id;
    }
  }

  private markChatRead(): void {
    this.unread = 0;
    this.noticedId = null;
    this.notices.clearChat();
    this.syncChatButton();
  }

  private syncChatButton(): void {
    const unread = this.unread;
    const p = this.panels.chat;
    p.label.textContent = unread > 0 ? `Chat (${unread})` : 'Chat';
    p.button.classList.toggle('attention', unread > 0);
    p.button.setAttribute('aria-label', unread > 0 ? `Chat, ${unread} unread` : 'Chat');
  }

  /** Uploads a file as Attach file does (the test hook's way past the picker); see ChatPanel.shareFile. */
  shareFile(body: Blob, name: string, to: string[] | null): Promise<UploadResult> {
    return this.chat.shareFile(body, name, to);
  }

  destroy(): void {
    this.lobby.destroy();
    this.notices.destroy();
  }
}

/** The Settings panel: this browser's own preferences for the call. */
function settingsBody(): HTMLElement {
  const input = h('input', { type: 'checkbox', role: 'switch', id: 'setting-notice-sound', 'aria-describedby': 'setting-notice-sound-hint' });
  input.checked = soundOn();
  input.addEventListener('change', () => {
    setSoundOn(input.checked);
    announce(input.checked ? 'Notice sound on.' : 'Notice sound off.');
  });
  return h('div', { class: 'panel-body' }, [
    h('div', { class: 'setting' }, [
      h('div', { class: 'switch-row' }, [input, h('label', { for: input.id, text: 'Sound for notices' })]),
      h('p', {
        class: 'hint',
        id: 'setting-notice-sound-hint',
        text: 'A short tone when someone is waiting to join or a message arrives while the chat is closed. Remembered in this browser.',
      }),
    ]),
  ]);
}
