// Visible, non-modal notices in the call: "Ada is waiting to join" (Admit /
// Dismiss; stays until the person is let in, refused, leaves or the notice
// is dismissed) and new chat messages while the chat is closed (sender and
// a short preview; hides by itself). They sit in one polite status region
// and never take keyboard focus; an optional short tone (WebAudio, no
// asset) goes with them.

import { h } from './dom';
import { displayName } from './panelmodel';
import type { LobbyEntry } from './protocol';
import { loadBool, saveBool } from './storage';

/** More people waiting than this share one grouped notice. */
export const GROUP_AFTER = 2;
const CHAT_MS = 6000;
const PREVIEW_CHARS = 80;
const SOUND_KEY = 'noticeSound';

export interface NoticeActions {
  admit(id: string): void;
  openLobby(): void;
  openChat(): void;
  /** Where focus goes when the notice holding it disappears. */
  fallbackFocus(): HTMLElement | null;
}

/** "Hello there…" within max characters (whole code points). */
export function preview(text: string, max = PREVIEW_CHARS): string {
  const one = text.replace(/\s+/g, ' ').trim();
  const chars = Array.from(one);
  return chars.length <= max ? one : chars.slice(0, max - 1).join('').trimEnd() + '…';
}

/** Whether notices play a tone (off unless the person turned it on). */
export function soundOn(): boolean {
  return loadBool(SOUND_KEY, false);
}

export function setSoundOn(on: boolean): void {
  saveBool(SOUND_KEY, on);
}

let audioCtx: AudioContext | null = null;

/** A short, soft two-note chime made with WebAudio; silent on failure. */
export function chime(): void {
  try {
    const Ctx = window.AudioContext as typeof AudioContext | undefined;
    if (!Ctx) return;
    audioCtx ??= new Ctx();
    const ctx = audioCtx;
    if (ctx.state === 'suspended') void ctx.resume().catch(() => undefined);
    const t0 = ctx.currentTime + 0.01;
    for (const [i, freq] of [660, 880].entries()) {
      const start = t0 + i * 0.12;
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.12, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.18);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start);
      osc.stop(start + 0.2);
    }
  } catch {
    // No sound is never a problem worth reporting.
  }
}

export class CallNotices {
  readonly el: HTMLElement;
  /** Lobby entries a waiting notice was shown for (or dismissed). */
  private readonly seen = new Set<string>();
  private readonly dismissed = new Set<string>();
  private waitingEls = new Map<string, HTMLElement>();
  private group: HTMLElement | null = null;
  private groupText: HTMLElement | null = null;
  private chatEl: HTMLElement | null = null;
  private chatTimer: ReturnType<typeof setTimeout> | undefined;
  /** Times a tone played (the test hook reads it; the tone itself is not observable). */
  chimes = 0;

  constructor(private readonly act: NoticeActions) {
    this.el = h('div', {
      id: 'call-notices',
      class: 'toasts',
      role: 'status',
      'aria-live': 'polite',
      'aria-relevant': 'additions text',
      'aria-label': 'Notifications',
    });
  }

  /**
   * The waiting room as it is now; show says whether notices may show
   * (a host or co-host, with the Waiting panel closed).
   */
  syncWaiting(lobby: LobbyEntry[], show: boolean): void {
    const ids = new Set(lobby.map((e) => e.id));
    let fresh = false;
    for (const e of lobby) {
      if (!this.seen.has(e.id)) {
        this.seen.add(e.id);
        fresh = true;
      }
    }
    for (const id of Array.from(this.seen)) {
      if (!ids.has(id)) {
        this.seen.delete(id);
        this.dismissed.delete(id);
      }
    }
    const pending = show ? lobby.filter((e) => !this.dismissed.has(e.id)) : [];
    if (pending.length > GROUP_AFTER) {
      for (const id of Array.from(this.waitingEls.keys())) this.dropWaiting(id);
      this.showGroup(pending);
    } else {
      this.dropGroup();
      const keep = new Set(pending.map((e) => e.id));
      for (const id of Array.from(this.waitingEls.keys())) if (!keep.has(id)) this.dropWaiting(id);
      for (const e of pending) {
        const el = this.waitingEls.get(e.id);
        if (el) {
          const text = el.querySelector('.toast-text');
          if (text) text.textContent = waitingLine(e);
        } else {
          this.addWaiting(e);
        }
      }
    }
    if (fresh && pending.length > 0 && soundOn()) this.playChime();
  }

  /** A chat message from someone else while the chat panel is closed. */
  chat(from: string, text: string, privately: boolean, unread: number): void {
    this.dropChat();
    const line = h('p', { class: 'toast-text' }, [
      h('strong', { class: 'toast-from', text: privately ? `${from} (privately)` : from }),
      ': ',
      h('span', { class: 'toast-preview', text: preview(text) }),
    ]);
    const more = unread > 1 ? h('p', { class: 'toast-more', text: `${unread} unread messages` }) : null;
    const open = h('button', { type: 'button', class: 'button small primary', 'data-action': 'open-chat', text: 'Open chat' });
    const dismiss = h('button', { type: 'button', class: 'button small', 'data-action': 'dismiss', 'aria-label': 'Dismiss message notice', text: 'Dismiss' });
    const el = h('div', { class: 'toast chat-toast', 'data-notice': 'chat' }, [
      line,
      more,
      h('div', { class: 'toast-actions' }, [open, dismiss]),
    ]);
    open.addEventListener('click', () => {
      this.dropChat();
      this.act.openChat();
    });
    dismiss.addEventListener('click', () => this.dropChat());
    this.chatEl = el;
    this.el.appendChild(el);
    this.chatTimer = setTimeout(() => {
      // Not while the person is on it (focus or pointer): hide later.
      if (el.contains(document.activeElement) || el.matches(':hover')) {
        this.chatTimer = setTimeout(() => this.dropChat(), CHAT_MS);
        return;
      }
      this.dropChat();
    }, CHAT_MS);
    if (soundOn()) this.playChime();
  }

  /** The chat was opened: its notice has done its job. */
  clearChat(): void {
    this.dropChat();
  }

  private playChime(): void {
    this.chimes += 1;
    chime();
  }

  private addWaiting(e: LobbyEntry): void {
    const name = displayName(e.name);
    const admit = h('button', { type: 'button', class: 'button small primary', 'data-action': 'admit', 'aria-label': `Admit ${name}`, text: 'Admit' });
    const dismiss = h('button', { type: 'button', class: 'button small', 'data-action': 'dismiss', 'aria-label': `Dismiss: ${name} keeps waiting`, text: 'Dismiss' });
    const el = h('div', { class: 'toast waiting-toast', 'data-notice': 'waiting', 'data-lobby-id': e.id }, [
      h('p', { class: 'toast-text', text: waitingLine(e) }),
      h('div', { class: 'toast-actions' }, [admit, dismiss]),
    ]);
    admit.addEventListener('click', () => {
      this.dismissed.add(e.id);
      this.dropWaiting(e.id);
      this.act.admit(e.id);
    });
    dismiss.addEventListener('click', () => {
      this.dismissed.add(e.id);
      this.dropWaiting(e.id);
    });
    this.waitingEls.set(e.id, el);
    this.el.insertBefore(el, this.chatEl);
  }

  private showGroup(pending: LobbyEntry[]): void {
    const text = `${pending.length} people are waiting to join`;
    if (this.group && this.groupText) {
      this.groupText.textContent = text;
      this.group.dataset['ids'] = pending.map((e) => e.id).join(' ');
      return;
    }
    this.groupText = h('p', { class: 'toast-text', text });
    const open = h('button', { type: 'button', class: 'button small primary', 'data-action': 'open-lobby', text: 'Show waiting room' });
    const dismiss = h('button', { type: 'button', class: 'button small', 'data-action': 'dismiss', 'aria-label': 'Dismiss: they keep waiting', text: 'Dismiss' });
    const el = h('div', { class: 'toast waiting-toast', 'data-notice': 'waiting-group' }, [
      this.groupText,
      h('div', { class: 'toast-actions' }, [open, dismiss]),
    ]);
    el.dataset['ids'] = pending.map((e) => e.id).join(' ');
    open.addEventListener('click', () => {
      this.dropGroup();
      this.act.openLobby();
    });
    dismiss.addEventListener('click', () => {
      for (const id of (el.dataset['ids'] ?? '').split(' ')) if (id !== '') this.dismissed.add(id);
      this.dropGroup();
    });
    this.group = el;
    this.el.insertBefore(el, this.chatEl);
  }

  private dropWaiting(id: string): void {
    const el = this.waitingEls.get(id);
    if (!el) return;
    this.waitingEls.delete(id);
    this.remove(el);
  }

  private dropGroup(): void {
    if (!this.group) return;
    this.remove(this.group);
    this.group = null;
    this.groupText = null;
  }

  private dropChat(): void {
    if (this.chatTimer !== undefined) clearTimeout(this.chatTimer);
    this.chatTimer = undefined;
    if (!this.chatEl) return;
    this.remove(this.chatEl);
    this.chatEl = null;
  }

  /** Removes a notice; focus inside it moves on rather than being lost. */
  private remove(el: HTMLElement): void {
    const hadFocus = el.contains(document.activeElement);
    el.remove();
    if (!hadFocus) return;
    const next = this.el.querySelector<HTMLElement>('button') ?? this.act.fallbackFocus();
    next?.focus({ preventScroll: true });
  }

  destroy(): void {
    if (this.chatTimer !== undefined) clearTimeout(this.chatTimer);
  }
}

function waitingLine(e: LobbyEntry): string {
  return `${displayName(e.name)} is waiting to join`;
}
