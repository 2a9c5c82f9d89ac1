// Transcription and live captions in the call (docs/transcripts.md). The
// server sends a participant's audio to its local speech engine only after
// they consent; this is the participant's side, the consent flow of
// captureconsent.ts with transcription's words:
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

import { CaptureConsent, type CaptureWords } from './captureconsent';
import { h } from './dom';
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

const WORDS: CaptureWords<TranscriptionState> = {
  prefix: 'transcription',
  elClass: 'recording transcription',
  bannerClass: 'recording-banner transcription-banner',
  dot: false,
  ended: ENDED,
  endedOther: 'The transcription ended.',
  started: (s) => `${s.by_name || 'A host'} wants to transcribe this meeting.`,
  nowGiven: 'You are being transcribed.',
  nowDeclined: 'You are not transcribed.',
  label: 'Transcribing',
  mine: { given: 'you are transcribed', declined: 'you are not transcribed', pending: 'you are not transcribed until you answer' },
  changeGiven: 'Stop transcribing me',
  changeOther: 'Transcribe me',
  startButton: 'Transcribe…',
  stopButton: 'Stop transcribing',
  consent: { title: 'May this meeting transcribe you?', yes: 'Transcribe me', no: 'Don’t transcribe me', text: transcriptionConsentText },
  purpose: {
    title: 'Transcribe this meeting',
    hint: 'Everyone is asked first and only those who agree are transcribed, by a speech engine on this server. Tell them why.',
    start: 'Start transcribing',
  },
};

export class TranscriptionControl extends CaptureConsent<TranscriptionState> {
  /** The captions switch, for the toolbar. */
  readonly captionsButton: HTMLButtonElement;
  /** Where captions appear, over the stage. */
  readonly captionsEl: HTMLElement;
  private readonly e2eeNote: HTMLElement;
  private e2ee = false;
  private captionsOn = false;
  private readonly lines = new Map<string, HTMLElement>();

  constructor(private readonly send: SendFn) {
    super(WORDS, {
      start: (purpose) => send('transcription_start', { purpose }),
      stop: (id) => send('transcription_stop', { id }),
      answer: (id, consent) => send('transcription_consent', { id, consent }),
    });
    this.e2eeNote = h('p', { id: 'transcription-e2ee', class: 'hint', text: E2EE_REASON });
    this.e2eeNote.hidden = true;
    this.el.appendChild(this.e2eeNote);
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
    this.e2ee = e2ee;
    this.setMay(mayStart, e2ee);
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

  protected override render(): void {
    super.render();
    this.e2eeNote.hidden = !this.e2ee;
    this.captionsButton.disabled = this.e2ee;
    if (this.e2ee) this.captionsButton.title = E2EE_REASON;
  }
}
