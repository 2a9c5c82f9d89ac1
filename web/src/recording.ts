// Recording in the call (docs/privacy.md, "Recording"). The server records
// a participant only after they consent; this is the participant's side:
//
// - When a recording starts (or one is running when they join), a modal
//   dialog asks, showing who records, why, who can see it and how long it
//   is kept. "Record me" and "Don't record me" are equal buttons; Escape
//   and closing the dialog count as "Don't record me".
// - While it runs, a banner stays at the top of the call for everyone
//   ("Recording"), saying whether you are recorded, with a button to
//   change your answer at any time (a withdrawal takes effect at once).
//   Every change is announced to screen readers.
// - Hosts and co-hosts of a meeting that allows recording get "Record…"
//   (asking for the purpose) and "Stop recording".

import { announce, h } from './dom';
import type { ServerMessages } from './protocol';
import type { SendFn } from './rtc';

export type RecordingState = ServerMessages['recording'];

const ENDED: Record<string, string> = {
  stopped: 'The recording was stopped.',
  meeting_ended: 'The recording ended with the meeting.',
  disk_low: 'The recording stopped: the server is running out of disk space.',
  failed: 'The recording stopped because of a server fault.',
  server_shutdown: 'The recording stopped: the server is shutting down.',
};

/** How long a recording is kept, in words. */
export function keptFor(days: number): string {
  if (days <= 0) return 'as long as the organisation keeps recordings';
  return days === 1 ? '1 day' : `${days} days`;
}

/** The words of the consent request. */
export function consentText(s: RecordingState): string {
  const who = s.by_name || 'A host';
  return (
    `${who} is recording this meeting. Purpose: ${s.purpose || 'not given'}. ` +
    `Who can see the recording: ${s.access || 'the meeting’s host and privacy officers'}. ` +
    `It is kept for ${keptFor(s.retention_days)}, then deleted. ` +
    'Your microphone, camera and screen share are recorded only if you agree; you stay in the meeting either way, and you can change your answer at any time.'
  );
}

export class RecordingControl {
  readonly el: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly status: HTMLElement;
  private readonly change: HTMLButtonElement;
  private readonly stop: HTMLButtonElement;
  private readonly start: HTMLButtonElement;
  private state: RecordingState | null = null;
  private dialog: HTMLDialogElement | null = null;
  private mayRecord = false;

  constructor(private readonly send: SendFn) {
    this.status = h('span', { id: 'recording-status', class: 'recording-status' });
    this.change = h('button', { type: 'button', id: 'recording-change', class: 'button small' });
    this.change.addEventListener('click', () => this.toggleAnswer());
    this.stop = h('button', { type: 'button', id: 'recording-stop', class: 'button small danger', text: 'Stop recording' });
    this.stop.addEventListener('click', () => {
      if (this.state?.id) this.send('recording_stop', { id: this.state.id });
    });
    this.banner = h('div', { class: 'recording-banner', id: 'recording-banner', role: 'status' }, [
      h('span', { class: 'recording-dot', 'aria-hidden': 'true' }),
      this.status,
      this.change,
      this.stop,
    ]);
    this.banner.hidden = true;
    this.start = h('button', { type: 'button', id: 'recording-start', class: 'button small', text: 'Record…' });
    this.start.hidden = true;
    this.start.addEventListener('click', () => this.askPurpose());
    this.el = h('div', { class: 'recording' }, [this.banner, this.start]);
  }

  /** The meeting's settings and the participant's role allow starting one. */
  setMayRecord(may: boolean): void {
    this.mayRecord = may;
    this.render();
  }

  /** Applies a `recording` message. */
  update(s: RecordingState): void {
    const before = this.state;
    if (!s.active) {
      this.state = null;
      this.closeDialog();
      if (before) announce(ENDED[s.ended] ?? 'The recording ended.');
      this.render();
      return;
    }
    this.state = s;
    if (!before || before.id !== s.id) announce(`This meeting is being recorded by ${s.by_name || 'a host'}.`);
    else if (before.consent !== s.consent) announce(s.consent === 'given' ? 'You are being recorded.' : 'You are not recorded.');
    if (s.consent === 'pending') this.ask(s);
    else this.closeDialog();
    this.render();
  }

  /** The running recording, if any. */
  get current(): RecordingState | null {
    return this.state;
  }

  private render(): void {
    const s = this.state;
    this.banner.hidden = s === null;
    this.start.hidden = s !== null || !this.mayRecord;
    this.stop.hidden = s === null || !this.mayRecord;
    if (!s) return;
    const mine = s.consent === 'given' ? 'you are recorded' : s.consent === 'declined' ? 'you are not recorded' : 'you are not recorded until you answer';
    this.status.textContent = `Recording (${mine})`;
    this.change.textContent = s.consent === 'given' ? 'Stop recording me' : 'Record me';
    this.banner.dataset.consent = s.consent;
  }

  private answer(consent: boolean): void {
    if (this.state) this.send('recording_consent', { id: this.state.id, consent });
  }

  private toggleAnswer(): void {
    const s = this.state;
    if (!s) return;
    if (s.consent === 'given') this.answer(false);
    else this.ask(s);
  }

  /** The consent request: a modal dialog, equal choices, Escape declines. */
  private ask(s: RecordingState): void {
    if (this.dialog) return;
    const yes = h('button', { type: 'button', id: 'recording-consent-yes', class: 'button', text: 'Record me' });
    const no = h('button', { type: 'button', id: 'recording-consent-no', class: 'button', text: 'Don’t record me' });
    const dialog = h('dialog', { id: 'recording-consent', class: 'recording-consent card', 'aria-labelledby': 'recording-consent-title', 'aria-describedby': 'recording-consent-text' }, [
      h('h2', { id: 'recording-consent-title', text: 'May this meeting record you?' }),
      h('p', { id: 'recording-consent-text', text: consentText(s) }),
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

  /** A host asks to record: the purpose is required and shown to everyone. */
  private askPurpose(): void {
    const input = h('textarea', { id: 'recording-purpose', maxlength: '500', rows: '3', required: true });
    const start = h('button', { type: 'submit', id: 'recording-purpose-start', class: 'button primary', text: 'Start recording' });
    const cancel = h('button', { type: 'button', class: 'button', text: 'Cancel' });
    const form = h('form', { method: 'dialog' }, [
      h('h2', { id: 'recording-purpose-title', text: 'Record this meeting' }),
      h('p', { class: 'hint', text: 'Everyone is asked first and only those who agree are recorded. Tell them why you record.' }),
      h('label', { for: 'recording-purpose', text: 'Purpose' }),
      input,
      h('div', { class: 'panel-actions' }, [cancel, start]),
    ]);
    const dialog = h('dialog', { id: 'recording-purpose-dialog', class: 'card', 'aria-labelledby': 'recording-purpose-title' }, [form]);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const purpose = input.value.trim();
      if (purpose === '') {
        input.focus();
        return;
      }
      this.send('recording_start', { purpose });
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
