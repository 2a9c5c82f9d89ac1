// Non-modal notes in the call: "the host asks you to turn on your
// microphone" (Turn on / Dismiss; the client never unmutes by itself) and
// short notices about what a host did to your media.

import { announce, h } from './dom';

const SOURCE_NAME = { audio: 'microphone', camera: 'camera' } as const;
const NOTICE_MS = 8000;

export class Prompts {
  readonly el: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly unmute: HTMLElement;
  private readonly unmuteText: HTMLElement;
  private readonly accept: HTMLButtonElement;
  private source: 'audio' | 'camera' = 'audio';
  private noticeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(turnOn: (source: 'audio' | 'camera') => void) {
    this.notice = h('p', { class: 'mod-notice', id: 'mod-notice', role: 'status' });
    this.notice.hidden = true;
    this.unmuteText = h('p', { id: 'unmute-text' });
    this.accept = h('button', { type: 'button', id: 'unmute-accept', class: 'button primary small', text: 'Turn on' });
    const dismiss = h('button', { type: 'button', id: 'unmute-dismiss', class: 'button small', text: 'Dismiss' });
    this.unmute = h('div', { class: 'prompt', id: 'unmute-prompt', role: 'group', 'aria-labelledby': 'unmute-text' }, [
      this.unmuteText,
      h('div', { class: 'panel-actions' }, [this.accept, dismiss]),
    ]);
    this.unmute.hidden = true;
    this.accept.addEventListener('click', () => {
      this.hideUnmute();
      turnOn(this.source);
    });
    dismiss.addEventListener('click', () => this.hideUnmute());
    this.el = h('div', { class: 'prompts' }, [this.notice, this.unmute]);
  }

  /** Shows the request without taking focus (the person may be talking). */
  askUnmute(source: 'audio' | 'camera'): void {
    this.source = source;
    const text = `The host asks you to turn on your ${SOURCE_NAME[source]}`;
    this.unmuteText.textContent = text;
    this.unmute.hidden = false;
    announce(`${text}. The buttons Turn on and Dismiss are above the video.`);
  }

  hideUnmute(): void {
    this.unmute.hidden = true;
  }

  /** A short message that goes away by itself. */
  show(message: string): void {
    this.notice.textContent = message;
    this.notice.hidden = false;
    announce(message);
    if (this.noticeTimer !== undefined) clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => {
      this.notice.hidden = true;
    }, NOTICE_MS);
  }

  destroy(): void {
    if (this.noticeTimer !== undefined) clearTimeout(this.noticeTimer);
  }
}
