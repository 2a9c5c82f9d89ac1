// The chat panel: messages to everyone or privately to one person. Chat is
// relayed by the server and never stored; this list lives as long as the
// call. When the host turns chat off only hosts and co-hosts may write.

import { h } from './dom';
import { MAX_CHAT, chatSince, displayName } from './panelmodel';
import type { ModActions, PanelModel } from './panelmodel';
import type { ChatMessage } from './protocol';
import { canChat } from './roles';

const MAX_TEXT = 2000;

function clock(time: string): string {
  const t = Date.parse(time);
  const d = Number.isNaN(t) ? new Date() : new Date(t);
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export class ChatPanel {
  readonly el: HTMLElement;
  private readonly log: HTMLElement;
  private readonly to: HTMLSelectElement;
  private readonly input: HTMLInputElement;
  private readonly send: HTMLButtonElement;
  private readonly note: HTMLElement;
  private shown = 0;
  private targets = '';

  constructor(act: ModActions) {
    this.log = h('ol', { class: 'chat-log', id: 'chat-log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Chat messages', tabindex: '0' });
    this.to = h('select', { id: 'chat-to' });
    this.input = h('input', { type: 'text', id: 'chat-input', maxlength: MAX_TEXT, autocomplete: 'off', 'aria-describedby': 'chat-note' });
    this.send = h('button', { type: 'submit', id: 'chat-send', class: 'button primary small', text: 'Send', 'aria-describedby': 'chat-note' });
    this.note = h('p', { class: 'hint', id: 'chat-note', text: 'The host turned chat off. Only the host and co-hosts can write.' });
    this.note.hidden = true;
    const form = h('form', { class: 'chat-form', id: 'chat-form' }, [
      h('div', { class: 'field' }, [h('label', { for: 'chat-to', text: 'To' }), this.to]),
      h('div', { class: 'field' }, [h('label', { for: 'chat-input', text: 'Message' }), this.input]),
      this.note,
      h('div', { class: 'panel-actions' }, [this.send]),
    ]);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const text = this.input.value.trim();
      if (text === '' || this.input.disabled) return;
      act.chat(text, this.to.value);
      this.input.value = '';
    });
    this.el = h('div', { class: 'panel-body chat' }, [this.log, form]);
  }

  sync(m: PanelModel): void {
    this.syncTargets(m);
    const allowed = canChat(m.role, m.settings);
    this.input.disabled = !allowed;
    this.send.disabled = !allowed;
    this.note.hidden = allowed;
    const names = new Map(m.others.map((p) => [p.id, displayName(p.name)]));
    // Messages only ever append; the oldest drop as the session's log does.
    for (const msg of chatSince(m.chat, this.shown)) this.log.appendChild(this.item(msg, m.selfId, names));
    this.shown = m.chat.total;
    while (this.log.childElementCount > MAX_CHAT) this.log.firstElementChild?.remove();
    this.log.lastElementChild?.scrollIntoView({ block: 'nearest' });
  }

  private syncTargets(m: PanelModel): void {
    const sig = JSON.stringify(m.others.map((p) => [p.id, p.name]));
    if (sig === this.targets) return;
    this.targets = sig;
    const keep = this.to.value;
    this.to.replaceChildren(
      h('option', { value: '', text: 'Everyone' }),
      ...m.others.map((p) => h('option', { value: p.id, text: `${displayName(p.name)} (private)` })),
    );
    this.to.value = m.others.some((p) => p.id === keep) ? keep : '';
  }

  private item(msg: ChatMessage, selfId: string, names: Map<string, string>): HTMLElement {
    const from = msg.from === selfId ? 'You' : names.get(msg.from) ?? 'Someone who left';
    const to = msg.to ?? [];
    let head = from;
    if (to.length === 1) head += to[0] === selfId ? ' (privately to you)' : ` (privately to ${names.get(to[0] ?? '') ?? 'someone who left'})`;
    else if (to.length > 1) head += ` (to ${to.map((id) => (id === selfId ? 'you' : names.get(id) ?? 'someone who left')).join(', ')})`;
    return h('li', { class: to.length === 0 ? 'chat-msg' : 'chat-msg private', 'data-from': msg.from, 'data-chat-id': msg.id }, [
      h('div', { class: 'chat-head' }, [h('span', { class: 'chat-from', text: head }), h('time', { text: clock(msg.time) })]),
      h('p', { class: 'chat-text', text: msg.text }),
    ]);
  }
}
