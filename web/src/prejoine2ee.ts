// What the pre-join screen says about a meeting's encryption before anyone
// enters (docs/e2ee.md, "Before joining"). The server answers
// POST /api/meetings/{id}/join-info for the ID and passcode (a join's
// credentials; nothing else is revealed); the page says "end-to-end
// encrypted" or "encrypted to the server", keeps a browser that cannot
// encrypt media out of an encrypted meeting, and remembers what it said:
// if the welcome later disagrees, the call refuses to start (session.ts,
// e2eeDowngrade) rather than join a meeting the server turned to clear
// media after saying otherwise.

import { ApiError, request } from './api';
import { e2eeSupport } from './e2ee/client';
import { h } from './dom';

/** The server's answer: the meeting's encryption and type. */
export interface JoinInfo {
  e2ee: boolean;
  sensitive: boolean;
}

/** What the line says for an encrypted meeting, an ordinary one, and a browser kept out. */
export const PREJOIN_E2EE = 'End-to-end encrypted: not even the server can see or hear this meeting.';
export const PREJOIN_SERVER = 'Encrypted to the server: the server could see and hear this meeting.';
export const PREJOIN_BLOCKED =
  'This meeting is end-to-end encrypted, and this browser cannot take part: it cannot encrypt audio and video itself. ' +
  'Join with a recent Chrome, Edge, Firefox or Safari.';
const UNSUPPORTED_NOTE =
  'This browser cannot take part in end-to-end encrypted meetings. If this is one, join with a recent Chrome, Edge, Firefox or Safari.';

/** What the check found: the answer, a refused passcode, or nothing known. */
export type JoinInfoResult = JoinInfo | 'refused' | 'unknown';

export function fetchJoinInfo(meetingId: string, passcode: string): Promise<JoinInfo> {
  return request<JoinInfo>('POST', `/api/meetings/${encodeURIComponent(meetingId)}/join-info`, { passcode });
}

/**
 * The pre-join screen's encryption line (#prejoin-e2ee, data-e2ee = on,
 * off, blocked, refused or unknown). One check per passcode: asking again
 * for the same one reuses the answer. A wrong passcode counts against the
 * passcode throttle here and again when the join tries it.
 */
export class PrejoinEncryption {
  readonly el: HTMLElement;
  private readonly text: HTMLElement;
  private passcode: string | null = null;
  private result: Promise<JoinInfoResult> | null = null;
  private latest: JoinInfoResult = 'unknown';
  private readonly supported = e2eeSupport() !== null;

  constructor(
    private readonly meetingId: string,
    private readonly changed: () => void,
  ) {
    this.text = h('span', { id: 'prejoin-e2ee-text' });
    // The general note stays for a browser that cannot encrypt, until the
    // check says whether it matters here.
    const note = this.supported ? null : h('span', { class: 'hint', id: 'e2ee-unsupported', text: ' ' + UNSUPPORTED_NOTE });
    this.el = h('p', { class: 'prejoin-e2ee', id: 'prejoin-e2ee', role: 'status' }, [this.text, note]);
    this.show();
  }

  /** A browser that cannot encrypt media, for an encrypted meeting: it may not join. */
  get blocked(): boolean {
    return typeof this.latest === 'object' && this.latest.e2ee && !this.supported;
  }

  /** What the screen told the person: true (encrypted), false (not), null (not known). */
  get announced(): boolean | null {
    return typeof this.latest === 'object' ? this.latest.e2ee : null;
  }

  /** Asks the server (once per passcode) and shows the answer. */
  check(passcode: string): Promise<JoinInfoResult> {
    if (this.result && this.passcode === passcode) return this.result;
    this.passcode = passcode;
    const result = fetchJoinInfo(this.meetingId, passcode).then(
      (info): JoinInfoResult => ({ e2ee: info.e2ee === true, sensitive: info.sensitive === true }),
      (e: unknown): JoinInfoResult => (e instanceof ApiError && e.status === 404 ? 'refused' : 'unknown'),
    );
    this.result = result;
    void result.then((r) => {
      if (this.result !== result) return; // a newer passcode was checked meanwhile
      this.latest = r;
      this.show();
      this.changed();
    });
    return result;
  }

  private show(): void {
    const r = this.latest;
    let state: string;
    let text: string;
    if (r === 'refused') {
      state = 'refused';
      text = 'Whether this meeting is end-to-end encrypted is shown once the passcode is right.';
    } else if (r === 'unknown') {
      state = 'unknown';
      text = this.passcode === null ? '' : 'Could not check whether this meeting is end-to-end encrypted; the meeting says so once you are in.';
    } else if (r.e2ee && !this.supported) {
      state = 'blocked';
      text = (r.sensitive ? 'Sensitive meeting. ' : '') + PREJOIN_BLOCKED;
    } else {
      state = r.e2ee ? 'on' : 'off';
      text = (r.sensitive ? 'Sensitive meeting. ' : '') + (r.e2ee ? PREJOIN_E2EE : PREJOIN_SERVER);
      if (r.sensitive && !r.e2ee) text += ' Its host turned end-to-end encryption off.';
    }
    this.el.dataset['e2ee'] = state;
    this.text.textContent = text;
    // Nothing to say yet (no passcode checked, a browser that can encrypt).
    this.el.hidden = text === '' && this.supported;
    // The general note is moot once the answer is known.
    const note = this.el.querySelector('#e2ee-unsupported');
    if (note instanceof HTMLElement) note.hidden = typeof r === 'object';
  }
}
