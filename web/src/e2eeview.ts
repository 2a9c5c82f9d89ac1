// What the call shows of end-to-end encryption (docs/e2ee.md): a label
// "End-to-end encrypted" at the top of the call, which opens a dialog with
// what it covers and what not, and the safety code to compare; and a
// warning, seen and announced, when someone's security key changed during
// the meeting. It renders what e2eesession.ts hands it; no key is shown.
// The label says plainly whether the participant has verified the current
// code ("End-to-end encrypted · verified" once they pressed "The codes
// match" for exactly this code, "· not verified" otherwise, again after
// any join, leave or key change). A meeting without end-to-end encryption
// shows plainEncryptionLabel instead.

import { announce, h } from './dom';
import { icon } from './icons';

export interface E2EEViewModel {
  /** Five groups of four digits, or '' while someone's key is missing. */
  code: string;
  /** Names of the participants whose key changed during the meeting (still present or not). */
  changed: string[];
}

export class E2EEView {
  readonly el: HTMLElement;
  private readonly label: HTMLButtonElement;
  private readonly warning: HTMLElement;
  private readonly dialog: HTMLDialogElement;
  private readonly code: HTMLElement;
  private readonly changedList: HTMLElement;
  private announcedChanges = 0;
  private readonly labelText: HTMLElement;
  private readonly confirm: HTMLButtonElement;
  private current = '';
  private verified = '';

  constructor() {
    this.label = h(
      'button',
      { type: 'button', id: 'e2ee-label', class: 'e2ee-label', 'aria-haspopup': 'dialog', title: 'End-to-end encrypted: show the safety code' },
      [icon('lock'), (this.labelText = h('span', { id: 'e2ee-label-text', text: 'End-to-end encrypted · not verified' }))],
    );
    this.confirm = h('button', { type: 'button', id: 'e2ee-verified', class: 'button', text: 'The codes match' });
    this.confirm.addEventListener('click', () => {
      this.verified = this.current;
      this.renderLabel();
      announce('Marked as verified for this safety code.');
    });
    this.warning = h('span', { id: 'e2ee-warning', class: 'e2ee-warning' });
    this.warning.hidden = true;
    this.code = h('p', { id: 'e2ee-code', class: 'e2ee-code mono', 'aria-live': 'polite' });
    this.changedList = h('ul', { id: 'e2ee-changed', class: 'e2ee-changed' });
    this.changedList.hidden = true;
    const close = h('button', { type: 'button', id: 'e2ee-close', class: 'button', text: 'Close' });
    this.dialog = h('dialog', { id: 'e2ee-dialog', class: 'e2ee-dialog card', 'aria-labelledby': 'e2ee-dialog-title' }, [
      h('h2', { id: 'e2ee-dialog-title', text: 'End-to-end encrypted' }),
      h('p', {
        text:
          'Everyone’s microphone, camera and screen share are encrypted in their browser with keys only the people in this meeting hold. ' +
          'The server passes the media on but cannot see or hear it. Chat is encrypted the same way: the server stores messages it cannot read, ' +
          'and a private message only its recipients can open. Messages written before you joined stay unreadable to you.',
      }),
      h('h3', { text: 'Safety code' }),
      this.code,
      h('div', { class: 'panel-actions' }, [this.confirm]),
      h('p', {
        class: 'hint',
        text:
          'Compare this code with everyone here, aloud or on another channel. If all codes are the same, nobody slipped in a key of their own. ' +
          'It changes whenever someone joins or leaves: compare it again then.',
      }),
      this.changedList,
      h('h3', { text: 'What it does not cover' }),
      h('p', {
        class: 'hint',
        text:
          'Names and who is in the meeting are not end-to-end encrypted, and file sharing is off. The server still sees who writes to whom and when, when people speak, ' +
          'how much video they send and at what size. It also delivers this web app, so you trust it not to change the app. ' +
          'Anyone in the meeting can record what they see and hear. Server recording is not possible.',
      }),
      h('div', { class: 'panel-actions' }, [close]),
    ]);
    close.addEventListener('click', () => this.dialog.close());
    this.label.addEventListener('click', () => {
      if (!this.dialog.open) this.dialog.showModal();
    });
    this.el = h('div', { class: 'e2ee-bar', id: 'e2ee-bar' }, [this.label, this.warning, this.dialog]);
    this.update({ code: '', changed: [] });
  }

  private renderLabel(): void {
    const ok = this.current !== '' && this.current === this.verified;
    this.labelText.textContent = ok ? 'End-to-end encrypted · verified' : 'End-to-end encrypted · not verified';
    this.label.dataset['verified'] = ok ? 'true' : 'false';
    this.confirm.disabled = this.current === '' || ok;
  }

  update(m: E2EEViewModel): void {
    this.current = m.changed.length > 0 ? '' : m.code;
    this.renderLabel();
    this.code.textContent = m.code || 'Waiting for everyone’s keys…';
    this.code.dataset['ready'] = m.code ? 'true' : 'false';
    this.label.dataset['code'] = m.code;
    this.changedList.replaceChildren(...m.changed.map((name) => h('li', { text: `${name}’s security key changed during the meeting.` })));
    this.changedList.hidden = m.changed.length === 0;
    this.el.dataset['keyChanged'] = m.changed.length > 0 ? 'true' : 'false';
    if (m.changed.length === 0) {
      this.warning.hidden = true;
      this.warning.textContent = '';
      return;
    }
    const last = m.changed[m.changed.length - 1] ?? 'Someone';
    const text =
      m.changed.length === 1
        ? `${last}’s security key changed: compare the safety code again.`
        : `Security keys changed (${m.changed.join(', ')}): compare the safety code again.`;
    this.warning.hidden = false;
    this.warning.textContent = text;
    if (m.changed.length > this.announcedChanges) {
      this.announcedChanges = m.changed.length;
      announce(`${last}’s security key changed. Compare the safety code again.`);
    }
  }

  destroy(): void {
    if (this.dialog.open) this.dialog.close();
    this.el.remove();
  }
}

/**
 * The label of a meeting without end-to-end encryption: honest about what
 * the server can do.
 */
export function plainEncryptionLabel(): HTMLElement {
  return h('div', { class: 'e2ee-bar', id: 'e2ee-bar' }, [
    h('span', {
      id: 'e2ee-plain',
      class: 'e2ee-label plain',
      title: 'Audio and video are encrypted on the way to the server, which decrypts them to pass them on.',
      text: 'Encrypted to the server: the server could see and hear this meeting',
    }),
  ]);
}
