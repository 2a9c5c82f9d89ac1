// Recording in the call (docs/privacy.md, "Recording"). The server records
// a participant only after they consent; this is the participant's side,
// the consent flow of captureconsent.ts with recording's words:
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

import { CaptureConsent, type CaptureWords } from './captureconsent';
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

const WORDS: CaptureWords<RecordingState> = {
  prefix: 'recording',
  elClass: 'recording',
  bannerClass: 'recording-banner',
  dot: true,
  ended: ENDED,
  endedOther: 'The recording ended.',
  started: (s) => `This meeting is being recorded by ${s.by_name || 'a host'}.`,
  nowGiven: 'You are being recorded.',
  nowDeclined: 'You are not recorded.',
  label: 'Recording',
  mine: { given: 'you are recorded', declined: 'you are not recorded', pending: 'you are not recorded until you answer' },
  changeGiven: 'Stop recording me',
  changeOther: 'Record me',
  startButton: 'Record…',
  stopButton: 'Stop recording',
  consent: { title: 'May this meeting record you?', yes: 'Record me', no: 'Don’t record me', text: consentText },
  purpose: {
    title: 'Record this meeting',
    hint: 'Everyone is asked first and only those who agree are recorded. Tell them why you record.',
    start: 'Start recording',
  },
};

export class RecordingControl extends CaptureConsent<RecordingState> {
  constructor(send: SendFn) {
    super(WORDS, {
      start: (purpose) => send('recording_start', { purpose }),
      stop: (id) => send('recording_stop', { id }),
      answer: (id, consent) => send('recording_consent', { id, consent }),
    });
  }

  /** The meeting's settings and the participant's role allow starting one. */
  setMayRecord(may: boolean): void {
    this.setMay(may, false);
  }
}
