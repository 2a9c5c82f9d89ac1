// Meeting controls for hosts and co-hosts: lock, who may share the screen,
// chat (on or off, who may write, private messages), and (host only)
// ending the meeting for everyone, which asks for confirmation inline
// rather than in a modal dialog. Each change is one `settings` message;
// the controls show the settings the server last sent. Settings the
// organisation locked (org_locked) are disabled, with the note "Locked by
// your organisation" tied to them for screen readers.

import { h } from './dom';
import type { ModActions } from './panelmodel';
import type { MeetingSettings, Role } from './protocol';

type Writers = MeetingSettings['chat_writers'];
type LockKey = 'screen_share' | 'chat' | 'private_chat' | 'chat_writers';

export const ORG_LOCKED_NOTE = 'Locked by your organisation';

/** The note under a control the organisation locked, hidden until it is. */
function orgNote(id: string): HTMLElement {
  const note = h('p', { class: 'hint org-locked', id, text: ORG_LOCKED_NOTE });
  note.hidden = true;
  return note;
}

/**
 * Shows or hides a lock: the controls are disabled and described by the
 * note as well as their hint (only while locked, since a description is
 * read even from a hidden element).
 */
function showLock(el: HTMLElement, controls: HTMLInputElement[], note: HTMLElement, hintID: string, locked: boolean): void {
  note.hidden = !locked;
  for (const c of controls) c.disabled = locked;
  el.setAttribute('aria-describedby', locked ? `${hintID} ${note.id}` : hintID);
}

function switchRow(id: string, label: string, hint: string): { row: HTMLElement; input: HTMLInputElement } {
  const input = h('input', { type: 'checkbox', role: 'switch', id, 'aria-describedby': `${id}-hint` });
  const row = h('div', { class: 'setting' }, [
    h('div', { class: 'switch-row' }, [input, h('label', { for: id, text: label })]),
    h('p', { class: 'hint', id: `${id}-hint`, text: hint }),
    orgNote(`${id}-org`),
  ]);
  return { row, input };
}

export class HostMenu {
  readonly el: HTMLElement;
  private readonly lockButton: HTMLButtonElement;
  private readonly share: HTMLInputElement;
  private readonly chat: HTMLInputElement;
  private readonly privateChat: HTMLInputElement;
  /** Remote control in this meeting (remotecontrolview.ts). */
  private readonly remoteControl: HTMLInputElement;
  private readonly writers: Record<Writers, HTMLInputElement>;
  private readonly writersRow: HTMLElement;
  private readonly notes: Record<LockKey, HTMLElement>;
  private readonly endBox: HTMLElement;
  private readonly endButton: HTMLButtonElement;
  private readonly confirmBox: HTMLElement;
  private readonly confirmButton: HTMLButtonElement;
  private locked = false;

  constructor(act: ModActions) {
    // The label says what a click does; no aria-pressed, which would
    // contradict a label that changes.
    this.lockButton = h('button', { type: 'button', id: 'lock-meeting', class: 'button', 'aria-describedby': 'lock-hint' });
    this.lockButton.addEventListener('click', () => act.lock(!this.locked));
    const share = switchRow('setting-screen-share', 'Everyone can share screen', 'Off: only the host, co-hosts and presenters can.');
    const chat = switchRow('setting-chat', 'Chat on', 'Off: only the host and co-hosts can write.');
    const privateChat = switchRow(
      'setting-private-chat',
      'Private messages',
      'Off: only the host and co-hosts can send private and group messages; everyone can still receive them.',
    );
    const remoteControl = switchRow(
      'setting-remote-control',
      'Remote control',
      'Participants may ask someone who shares their screen for control of it; the sharer decides each time and can stop it at once. Only where your organisation allows it.',
    );
    this.remoteControl = remoteControl.input;
    this.remoteControl.addEventListener('change', () => act.settings({ remote_control: this.remoteControl.checked }));
    this.share = share.input;
    this.chat = chat.input;
    this.privateChat = privateChat.input;
    this.share.addEventListener('change', () => act.settings({ screen_share: this.share.checked ? 'everyone' : 'presenters' }));
    this.chat.addEventListener('change', () => act.settings({ chat: this.chat.checked }));
    this.privateChat.addEventListener('change', () => act.settings({ private_chat: this.privateChat.checked }));

    // Who may write while chat is on: two radio buttons in a labelled group
    // (arrow keys move between them, as usual for radios).
    const radio = (value: Writers, label: string): { row: HTMLElement; input: HTMLInputElement } => {
      const id = `setting-chat-writers-${value}`;
      const input = h('input', { type: 'radio', name: 'chat-writers', id, value });
      input.addEventListener('change', () => {
        if (input.checked) act.settings({ chat_writers: value });
      });
      return { row: h('div', { class: 'switch-row' }, [input, h('label', { for: id, text: label })]), input };
    };
    const everyone = radio('everyone', 'Everyone');
    const presenters = radio('presenters', 'Hosts and presenters');
    this.writers = { everyone: everyone.input, presenters: presenters.input };
    const writersNote = orgNote('setting-chat-writers-org');
    const writersRow = h('fieldset', { class: 'setting', id: 'setting-chat-writers', 'aria-describedby': 'setting-chat-writers-hint' }, [
      h('legend', { text: 'Who may write in the chat' }),
      everyone.row,
      presenters.row,
      h('p', { class: 'hint', id: 'setting-chat-writers-hint', text: 'While chat is on. The host and co-hosts can always write.' }),
      writersNote,
    ]);
    this.writersRow = writersRow;
    const note = (row: HTMLElement, id: string): HTMLElement => row.querySelector<HTMLElement>(`#${id}-org`) ?? orgNote(`${id}-org`);
    this.notes = {
      screen_share: note(share.row, 'setting-screen-share'),
      chat: note(chat.row, 'setting-chat'),
      private_chat: note(privateChat.row, 'setting-private-chat'),
      chat_writers: writersNote,
    };

    this.endButton = h('button', { type: 'button', id: 'end-meeting', class: 'button danger', text: 'End meeting for all' });
    this.confirmButton = h('button', { type: 'button', id: 'end-meeting-confirm', class: 'button danger', text: 'End meeting' });
    const cancel = h('button', { type: 'button', id: 'end-meeting-cancel', class: 'button', text: 'Cancel' });
    this.confirmBox = h('div', { class: 'confirm', id: 'end-meeting-confirm-box', role: 'group', 'aria-labelledby': 'end-meeting-question' }, [
      h('p', { id: 'end-meeting-question', text: 'End the meeting for everyone? Everybody is disconnected.' }),
      h('div', { class: 'panel-actions' }, [this.confirmButton, cancel]),
    ]);
    this.confirmBox.hidden = true;
    this.endButton.addEventListener('click', () => this.askEnd(true));
    cancel.addEventListener('click', () => this.askEnd(false));
    this.confirmButton.addEventListener('click', () => {
      this.askEnd(false);
      act.endMeeting();
    });
    this.endBox = h('div', { class: 'setting' }, [this.endButton, this.confirmBox]);

    this.el = h('div', { class: 'panel-body' }, [
      h('div', { class: 'setting' }, [
        this.lockButton,
        h('p', { class: 'hint', id: 'lock-hint', text: 'Nobody new can join a locked meeting; you can still admit people who are waiting.' }),
      ]),
      share.row,
      chat.row,
      writersRow,
      privateChat.row,
      remoteControl.row,
      this.endBox,
    ]);
  }

  sync(settings: MeetingSettings, role: Role | null): void {
    this.locked = settings.locked;
    this.lockButton.textContent = settings.locked ? 'Unlock meeting' : 'Lock meeting';
    this.share.checked = settings.screen_share === 'everyone';
    this.chat.checked = settings.chat;
    this.privateChat.checked = settings.private_chat;
    this.remoteControl.checked = settings.remote_control === true;
    this.writers.everyone.checked = settings.chat_writers === 'everyone';
    this.writers.presenters.checked = settings.chat_writers === 'presenters';
    // The server refuses changes of what the organisation locked; say so
    // rather than offer a switch that cannot work.
    const locked = (k: LockKey): boolean => (settings.org_locked ?? []).includes(k);
    showLock(this.share, [this.share], this.notes.screen_share, 'setting-screen-share-hint', locked('screen_share'));
    showLock(this.chat, [this.chat], this.notes.chat, 'setting-chat-hint', locked('chat'));
    showLock(this.privateChat, [this.privateChat], this.notes.private_chat, 'setting-private-chat-hint', locked('private_chat'));
    showLock(
      this.writersRow,
      [this.writers.everyone, this.writers.presenters],
      this.notes.chat_writers,
      'setting-chat-writers-hint',
      locked('chat_writers'),
    );
    // Only the host may end the meeting for everyone.
    this.endBox.hidden = role !== 'host';
  }

  private askEnd(ask: boolean): void {
    this.confirmBox.hidden = !ask;
    this.endButton.hidden = ask;
    (ask ? this.confirmButton : this.endButton).focus();
  }
}
