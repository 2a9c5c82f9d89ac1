// The participant's side of a consent-gated capture: recording
// (recording.ts) and transcription (transcription.ts) ask the same way,
// so the flow is written once here and each kind gives its words.
//
// - When a capture starts (or one runs when they join), a modal dialog
//   asks, with what the kind's words say (who, why, who sees it, how long
//   it is kept). Yes and no are equal buttons; Escape and closing the
//   dialog count as no.
// - While it runs, a banner stays at the top of the call saying whether
//   you are captured, with a button to change your answer at any time (a
//   withdrawal takes effect at once). Every change is announced to screen
//   readers.
// - Hosts and co-hosts of a meeting that allows it get a start button
//   (asking for the purpose, shown to everyone) and a stop button.

import { announce, h } from './dom';

/** What both kinds' state messages share. */
export interface CaptureState {
  active: boolean;
  id: string;
  by_name: string;
  consent: string;
  ended: string;
}

/** A kind's words; element IDs are `${prefix}-…`. */
export interface CaptureWords<S extends CaptureState> {
  prefix: string;
  elClass: string;
  bannerClass: string;
  /** A red dot in the banner (recording). */
  dot: boolean;
  ended: Record<string, string>;
  endedOther: string;
  started: (s: S) => string;
  nowGiven: string;
  nowDeclined: string;
  /** The banner: `${label} (${mine})`. */
  label: string;
  mine: { given: string; declined: string; pending: string };
  changeGiven: string;
  changeOther: string;
  startButton: string;
  stopButton: string;
  consent: { title: string; yes: string; no: string; text: (s: S) => string };
  purpose: { title: string; hint: string; start: string };
}

/** How a capture reaches the server. */
export interface CaptureSend {
  start(purpose: string): void;
  stop(id: string): void;
  answer(id: string, consent: boolean): void;
}

export class CaptureConsent<S extends CaptureState> {
  readonly el: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly status: HTMLElement;
  private readonly change: HTMLButtonElement;
  private readonly stop: HTMLButtonElement;
  private readonly start: HTMLButtonElement;
  private state: S | null = null;
  private dialog: HTMLDialogElement | null = null;
  private mayStart = false;
  private blocked = false;

  constructor(
    private readonly words: CaptureWords<S>,
    private readonly wire: CaptureSend,
  ) {
    const p = words.prefix;
    this.status = h('span', { id: `${p}-status`, class: 'recording-status' });
    this.change = h('button', { type: 'button', id: `${p}-change`, class: 'button small' });
    this.change.addEventListener('click', () => this.toggleAnswer());
    this.stop = h('button', { type: 'button', id: `${p}-stop`, class: 'button small danger', text: words.stopButton });
    this.stop.addEventListener('click', () => {
      if (this.state?.id) this.wire.stop(this.state.id);
    });
    const dot = words.dot ? [h('span', { class: 'recording-dot', 'aria-hidden': 'true' })] : [];
    this.banner = h('div', { class: words.bannerClass, id: `${p}-banner`, role: 'status' }, [...dot, this.status, this.change, this.stop]);
    this.banner.hidden = true;
    this.start = h('button', { type: 'button', id: `${p}-start`, class: 'button small', text: words.startButton });
    this.start.hidden = true;
    this.start.addEventListener('click', () => this.askPurpose());
    this.el = h('div', { class: words.elClass }, [this.banner, this.start]);
  }

  /**
   * The meeting's settings and the participant's role allow starting one
   * (and stopping it); blocked hides the start button all the same.
   */
  protected setMay(mayStart: boolean, blocked: boolean): void {
    this.mayStart = mayStart;
    this.blocked = blocked;
    this.render();
  }

  /** Applies the kind's state message. */
  update(s: S): void {
    const before = this.state;
    if (!s.active) {
      this.state = null;
      this.closeDialog();
      if (before) announce(this.words.ended[s.ended] ?? this.words.endedOther);
      this.render();
      return;
    }
    this.state = s;
    if (!before || before.id !== s.id) announce(this.words.started(s));
    else if (before.consent !== s.consent) announce(s.consent === 'given' ? this.words.nowGiven : this.words.nowDeclined);
    if (s.consent === 'pending') this.ask(s);
    else this.closeDialog();
    this.render();
  }

  /** The running capture, if any. */
  get current(): S | null {
    return this.state;
  }

  protected render(): void {
    const s = this.state;
    this.banner.hidden = s === null;
    this.start.hidden = s !== null || !this.mayStart || this.blocked;
    this.stop.hidden = s === null || !this.mayStart;
    if (!s) return;
    const w = this.words;
    const mine = s.consent === 'given' ? w.mine.given : s.consent === 'declined' ? w.mine.declined : w.mine.pending;
    this.status.textContent = `${w.label} (${mine})`;
    this.change.textContent = s.consent === 'given' ? w.changeGiven : w.changeOther;
    this.banner.dataset.consent = s.consent;
  }

  private answer(consent: boolean): void {
    if (this.state) this.wire.answer(this.state.id, consent);
  }

  private toggleAnswer(): void {
    const s = this.state;
    if (!s) return;
    if (s.consent === 'given') this.answer(false);
    else this.ask(s);
  }

  /** The consent request: a modal dialog, equal choices, Escape declines. */
  private ask(s: S): void {
    if (this.dialog) return;
    const p = this.words.prefix;
    const c = this.words.consent;
    const yes = h('button', { type: 'button', id: `${p}-consent-yes`, class: 'button', text: c.yes });
    const no = h('button', { type: 'button', id: `${p}-consent-no`, class: 'button', text: c.no });
    const dialog = h('dialog', {
      id: `${p}-consent`,
      class: 'recording-consent card',
      'aria-labelledby': `${p}-consent-title`,
      'aria-describedby': `${p}-consent-text`,
    }, [
      h('h2', { id: `${p}-consent-title`, text: c.title }),
      h('p', { id: `${p}-consent-text`, text: c.text(s) }),
      h('div', { class: 'panel-actions' }, [no, yes]),
    ]);
    let answered = false;
    const finish = (consent: boolean): void => {
      if (answered) return;
      answered = true;
      this.answer(consent);
      this.closeDialog();
    };
    yes.addEventListener('click', () => finish(true));
    no.addEventListener('click', () => finish(false));
    dialog.addEventListener('close', () => finish(false));
    this.dialog = dialog;
    document.body.appendChild(dialog);
    dialog.showModal();
    no.focus();
  }

  private closeDialog(): void {
    const d = this.dialog;
    if (!d) return;
    this.dialog = null;
    if (d.open) d.close();
    d.remove();
  }

  /** A host asks to start: the purpose is required and shown to everyone. */
  private askPurpose(): void {
    const p = this.words.prefix;
    const w = this.words.purpose;
    const input = h('textarea', { id: `${p}-purpose`, maxlength: '500', rows: '3', required: true });
    const start = h('button', { type: 'submit', id: `${p}-purpose-start`, class: 'button primary', text: w.start });
    const cancel = h('button', { type: 'button', class: 'button', text: 'Cancel' });
    const form = h('form', { method: 'dialog' }, [
      h('h2', { id: `${p}-purpose-title`, text: w.title }),
      h('p', { class: 'hint', text: w.hint }),
      h('label', { for: `${p}-purpose`, text: 'Purpose' }),
      input,
      h('div', { class: 'panel-actions' }, [cancel, start]),
    ]);
    const dialog = h('dialog', { id: `${p}-purpose-dialog`, class: 'card', 'aria-labelledby': `${p}-purpose-title` }, [form]);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const purpose = input.value.trim();
      if (purpose === '') {
        input.focus();
        return;
      }
      this.wire.start(purpose);
      dialog.close();
    });
    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => dialog.remove());
    document.body.appendChild(dialog);
    dialog.showModal();
    input.focus();
  }

  destroy(): void {
    this.closeDialog();
  }
}
