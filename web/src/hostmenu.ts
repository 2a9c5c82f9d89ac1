// Meeting controls for hosts and co-hosts: lock, who may share the screen,
// chat on or off, and (host only) ending the meeting for everyone, which
// asks for confirmation inline rather than in a modal dialog.

import { h } from './dom';
import type { ModActions } from './panelmodel';
import type { MeetingSettings, Role } from './protocol';

function switchRow(id: string, label: string, hint: string): { row: HTMLElement; input: HTMLInputElement } {
  const input = h('input', { type: 'checkbox', role: 'switch', id, 'aria-describedby': `${id}-hint` });
  const row = h('div', { class: 'setting' }, [
    h('div', { class: 'switch-row' }, [input, h('label', { for: id, text: label })]),
    h('p', { class: 'hint', id: `${id}-hint`, text: hint }),
  ]);
  return { row, input };
}

export class HostMenu {
  readonly el: HTMLElement;
  private readonly lockButton: HTMLButtonElement;
  private readonly share: HTMLInputElement;
  private readonly chat: HTMLInputElement;
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
    this.share = share.input;
    this.chat = chat.input;
    this.share.addEventListener('change', () => act.settings({ screen_share: this.share.checked ? 'everyone' : 'presenters' }));
    this.chat.addEventListener('change', () => act.settings({ chat: this.chat.checked }));

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
      this.endBox,
    ]);
  }

  sync(settings: MeetingSettings, role: Role | null): void {
    this.locked = settings.locked;
    this.lockButton.textContent = settings.locked ? 'Unlock meeting' : 'Lock meeting';
    this.share.checked = settings.screen_share === 'everyone';
    this.chat.checked = settings.chat;
    // Only the host may end the meeting for everyone.
    this.endBox.hidden = role !== 'host';
  }

  private askEnd(ask: boolean): void {
    this.confirmBox.hidden = !ask;
    this.endButton.hidden = ask;
    (ask ? this.confirmButton : this.endButton).focus();
  }
}
