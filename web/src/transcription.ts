// Transcription and live captions in the call (docs/transcripts.md). The
// server sends a participant's audio to its local speech engine only after
// they consent; this is the participant's side, built like recording.ts:
//
// - When a transcription starts (or one runs when they join), a modal
//   dialog asks, showing who transcribes, why, who sees the text, how long
//   it is kept and where the audio goes. "Transcribe me" and "Don't
//   transcribe me" are equal buttons; Escape and closing count as "Don't".
// - While it runs, a banner says whether you are transcribed, with a
//   button to change your answer at any time (a withdrawal is immediate).
// - Hosts and co-hosts of a meeting that allows it get "Transcribe…" and
//   "Stop transcribing"; in an end-to-end encrypted meeting they see why
//   there is none.
// - Everyone gets a "Captions" switch: captions then appear over the call,
//   the speaker's name and text, a partial result replaced by the final.

import { announce, h } from './dom';
import type { ServerMessages } from './protocol';
import type { SendFn } from './rtc';

export type TranscriptionState = ServerMessages['transcription'];
export type Caption = ServerMessages['caption'];

const ENDED: Record<string, string> = {
  stopped: 'The transcription was stopped.',
  meeting_ended: 'The transcription ended with the meeting.',
  failed: 'The transcription stopped because of a server fault.',
  server_shutdown: 'The transcription stopped: the server is shutting down.',
};

/** Why nobody can transcribe an end-to-end encrypted meeting. */
export const E2EE_REASON = 'Transcription is off: this meeting is end-to-end encrypted, so the server has no audio to transcribe.';

/** Captions kept on screen. */
const MAX_LINES = 3;

/** The words of the consent request. */
export function transcriptionConsentText(s: TranscriptionState): string {
  const who = s.by_name || 'A host';
  const kept = s.retention_days > 0 ? `The text is kept for ${s.retention_days === 1 ? '1 day' : `${s.retention_days} days`}, then deleted. ` : '';
  return (
    `${who} wants to transcribe this meeting. Purpose: ${s.purpose || 'not given'}. ` +
    `Where your audio goes: ${s.engine || 'a speech engine on this server'}. ` +
    `Who sees the text: ${s.access || 'participants who turn captions on'}. ` +
    kept +
    'Your microphone is transcribed only if you agree; you stay in the meeting either way, and you can change your answer at any time.'
  );
}

export class TranscriptionControl {
  readonly el: HTMLElement;
  /** The captions switch, for the toolbar. */
  readonly captionsButton: HTMLButtonElement;
  /** Where captions appear, over the stage. */
  readonly captionsEl: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly status: HTMLElement;
  private readonly change: HTMLButtonElement;
  private readonly stop: HTMLButtonElement;
  private readonly start: HTMLButtonElement;
  private readonly e2eeNote: HTMLElement;
  private state: TranscriptionState | null = null;
  private dialog: HTMLDialogElement | null = null;
  private mayStart = false;
  private e2ee = false;
  private captionsOn = false;
  private readonly lines = new Map<string, HTMLElement>();

  constructor(private readonly send: SendFn) {
    this.status = h('span', { id: 'transcription-status', class: 'recording-status' });
    this.change = h('button', { type: 'button', id: 'transcription-change', class: 'button small' });
    this.change.addEventListener('click', () => this.toggleAnswer());
    this.stop = h('button', { type: 'button', id: 'transcription-stop', class: 'button small danger', text: 'Stop transcribing' });
    this.stop.addEventListener('click', () => {
      if (this.state?.id) this.send('transcription_stop', { id: this.state.id });
    });
    this.banner = h('div', { class: 'recording-banner transcription-banner', id: 'transcription-banner', role: 'status' }, [
      this.status,
      this.change,
      this.stop,
    ]);
    this.banner.hidden = true;
    this.start = h('button', { type: 'button', id: 'transcription-start', class: 'button small', text: 'Transcribe…' });
    this.start.hidden = true;
    this.start.addEventListener('click', () => this.askPurpose());
    this.e2eeNote = h('p', { id: 'transcription-e2ee', class: 'hint', text: E2EE_REASON });
    this.e2eeNote.hidden = true;
    this.el = h('div', { class: 'recording transcription' }, [this.banner, this.start, this.e2eeNote]);
    this.captionsButton = h('button', {
      type: 'button',
      id: 'toggle-captions',
      class: 'control',
      'aria-pressed': 'false',
      title: 'Show live captions',
    }, [h('span', { class: 'control-text', text: 'Captions' })]);
    this.captionsButton.addEventListener('click', () => this.setCaptions(!this.captionsOn));
    this.captionsEl = h('div', { id: 'captions', class: 'captions', role: 'log', 'aria-live': 'polite', 'aria-label': 'Live captions' });
    this.captionsEl.hidden = true;
  }

  /** The meeting's settings and the participant's role. */
  setRights(mayStart: boolean, e2ee: boolean): void {
    this.mayStart = mayStart;
    this.e2ee = e2ee;
    this.render();
  }

  /** Applies a `transcription` message. */
  update(s: TranscriptionState): void {
    const before = this.state;
    if (!s.active) {
      this.state = null;
      this.closeDialog();
      if (before) announce(ENDED[s.ended] ?? 'The transcription ended.');
      this.render();
      return;
    }
    this.state = s;
    if (!before || before.id !== s.id) announce(`${s.by_name || 'A host'} wants to transcribe this meeting.`);
    else if (before.consent !== s.consent) announce(s.consent === 'given' ? 'You are being transcribed.' : 'You are not transcribed.');
    if (s.consent === 'pending') this.ask(s);
    else this.closeDialog();
    this.render();
  }

  /** Applies a `caption` message: a partial replaces the partial of the same utterance; the final replaces it. */
  caption(c: Caption): void {
    if (!this.captionsOn) return;
    const key = `${c.participant}:${c.utterance}`;
    let line = this.lines.get(key);
    if (!line) {
      line = h('p', { class: 'caption' });
      line.dataset.participant = c.participant;
      this.lines.set(key, line);
      this.captionsEl.appendChild(line);
      while (this.lines.size > MAX_LINES) {
        const [oldest, el] = this.lines.entries().next().value as [string, HTMLElement];
        this.lines.delete(oldest);
        el.remove();
      }
    }
    line.replaceChildren(h('span', { class: 'caption-name', text: `${c.name || 'Someone'}: ` }), h('span', { class: 'caption-text', text: c.text }));
    line.dataset.final = String(c.final);
  }

  private setCaptions(on: boolean): void {
    this.captionsOn = on;
    this.send('captions', { on });
    this.captionsButton.setAttribute('aria-pressed', String(on));
    this.captionsButton.title = on ? 'Hide live captions' : 'Show live captions';
    this.captionsEl.hidden = !on;
    if (!on) {
      this.lines.clear();
      this.captionsEl.replaceChildren();
    }
  }

  private render(): void {
    const s = this.state;
    this.banner.hidden = s === null;
    this.start.hidden = s !== null || !this.mayStart || this.e2ee;
    this.stop.hidden = s === null || !this.mayStart;
    this.e2eeNote.hidden = !this.e2ee;
    this.captionsButton.disabled = this.e2ee;
    if (this.e2ee) this.captionsButton.title = E2EE_REASON;
    if (!s) return;
    const mine =
      s.consent === 'given' ? 'you are transcribed' : s.consent === 'declined' ? 'you are not transcribed' : 'you are not transcribed until you answer';
    this.status.textContent = `Transcribing (${mine})`;
    this.change.textContent = s.consent === 'given' ? 'Stop transcribing me' : 'Transcribe me';
    this.banner.dataset.consent = s.consent;
  }

  private answer(consent: boolean): void {
    if (this.state) this.send('transcription_consent', { id: this.state.id, consent });
  }

  private toggleAnswer(): void {
    const s = this.state;
    if (!s) return;
    if (s.consent === 'given') this.answer(false);
    else this.ask(s);
  }

  /** The consent request: a modal dialog, equal choices, Escape declines. */
  private ask(s: TranscriptionState): void {
    if (this.dialog) return;
    const yes = h('button', { type: 'button', id: 'transcription-consent-yes', class: 'button', text: 'Transcribe me' });
    const no = h('button', { type: 'button', id: 'transcription-consent-no', class: 'button', text: 'Don’t transcribe me' });
    const dialog = h('dialog', {
      id: 'transcription-consent',
      class: 'recording-consent card',
      'aria-labelledby': 'transcription-consent-title',
      'aria-describedby': 'transcription-consent-text',
    }, [
      h('h2', { id: 'transcription-consent-title', text: 'May this meeting transcribe you?' }),
      h('p', { id: 'transcription-consent-text', text: transcriptionConsentText(s) }),
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

  /** A host asks to transcribe: the purpose is required and shown to everyone. */
  private askPurpose(): void {
    const input = h('textarea', { id: 'transcription-purpose', maxlength: '500', rows: '3', required: true });
    const start = h('button', { type: 'submit', id: 'transcription-purpose-start', class: 'button primary', text: 'Start transcribing' });
    const cancel = h('button', { type: 'button', class: 'button', text: 'Cancel' });
    const form = h('form', { method: 'dialog' }, [
      h('h2', { id: 'transcription-purpose-title', text: 'Transcribe this meeting' }),
      h('p', { class: 'hint', text: 'Everyone is asked first and only those who agree are transcribed, by a speech engine on this server. Tell them why.' }),
      h('label', { for: 'transcription-purpose', text: 'Purpose' }),
      input,
      h('div', { class: 'panel-actions' }, [cancel, start]),
    ]);
    const dialog = h('dialog', { id: 'transcription-purpose-dialog', class: 'card', 'aria-labelledby': 'transcription-purpose-title' }, [form]);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const purpose = input.value.trim();
      if (purpose === '') {
        input.focus();
        return;
      }
      this.send('transcription_start', { purpose });
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
