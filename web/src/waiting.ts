// The waiting screen: shown while the server holds us in the waiting room.
// It says only why we wait; a waiting person learns nothing about the
// meeting (docs/security.md). Leave is always there.

import { announce, busyButton, h } from './dom';
import type { WaitingInfo } from './protocol';

export function waitingText(info: WaitingInfo): string {
  return info.reason === 'host_absent' ? 'Waiting for the host to arrive' : 'Waiting for the host to let you in';
}

export const LOCKED_TEXT = 'The meeting is locked; the host may still let you in';

export class WaitingView {
  readonly el: HTMLElement;
  private readonly title: HTMLElement;
  private readonly locked: HTMLElement;
  private last = '';

  constructor(leave: () => void) {
    this.title = h('h2', { id: 'waiting-message', tabindex: '-1' });
    this.locked = h('p', { id: 'waiting-locked', class: 'hint', text: LOCKED_TEXT });
    const leaveButton = h('button', { type: 'button', id: 'waiting-leave', class: 'button', text: 'Leave' });
    leaveButton.addEventListener('click', () => {
      busyButton(leaveButton, 'Leaving…');
      leave();
    });
    this.el = h('section', { class: 'card waiting', id: 'waiting-panel', 'aria-labelledby': 'waiting-message' }, [
      h('div', { class: 'spinner', 'aria-hidden': 'true' }),
      this.title,
      this.locked,
      h('p', { class: 'hint', text: 'You can keep this page open; you join as soon as you are let in.' }),
      h('div', { class: 'actions' }, [leaveButton]),
    ]);
  }

  update(info: WaitingInfo): void {
    const text = waitingText(info);
    this.title.textContent = text;
    this.locked.hidden = !info.locked;
    const said = info.locked ? `${text}. ${LOCKED_TEXT}.` : `${text}.`;
    if (said !== this.last) announce(said);
    this.last = said;
  }

  focus(): void {
    this.title.focus({ preventScroll: true });
  }
}
