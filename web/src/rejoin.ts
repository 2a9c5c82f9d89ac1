// Joining again on the page's own when the server lost the session but not
// the meeting (docs/protocol.md, "Clusters: redirect and moved"): bye moved
// (the meeting's node lost its lease; it runs on another now) and
// resume_failed (the node holding the session died). A resume cannot help
// there, so the page starts a new session with the same hello, as a person
// reloading would, without asking for the passcode or the notice again.
// Once per loss: the ending shows only if that rejoin fails. No DOM here,
// so that web/test/rejoin.test.ts runs it under node.

import { FINAL_ENDINGS } from './endings';

/** The parts of a session's ending that matter here (session.ts SessionEnd). */
export interface Ending {
  status: 'ended' | 'error';
  message: string;
  code: string;
  /** Set by the session when it asks for a rejoin. */
  rejoin?: unknown;
}

/**
 * Endings of a rejoin that are news of their own, shown as they come:
 * trying again cannot help (a ban), the person left, or the privacy
 * notice changed (the page asks for it again).
 */
function ownNews(code: string): boolean {
  return FINAL_ENDINGS.has(code) || code === 'left' || code === 'notice_required';
}

export class Rejoiner<E extends Ending = Ending> {
  /** The ending a rejoin under way replaces, shown if it fails (null: none under way). */
  private lost: E | null = null;

  /** A rejoin is under way: the page says "Reconnecting…". */
  get active(): boolean {
    return this.lost !== null;
  }

  /**
   * A session ended: null when the page should join again now, else the
   * ending to show (a failed rejoin's is the loss that started it).
   */
  ended(end: E): E | null {
    const lost = this.lost;
    this.lost = null;
    if (lost === null && end.rejoin !== undefined) {
      this.lost = end;
      return null;
    }
    return lost !== null && !ownNews(end.code) ? lost : end;
  }

  /** The rejoin entered (welcome or waiting): a later loss may rejoin again. */
  entered(): void {
    this.lost = null;
  }
}
