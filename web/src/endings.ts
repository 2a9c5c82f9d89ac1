// What the person is told when a call ends or a join is refused, by bye
// reason or error code (docs/protocol.md), and which endings are final.

export interface Ending {
  status: 'ended' | 'error';
  message: string;
}

export const BANNED_TEXT = 'You were removed and cannot rejoin this meeting.';

export const BYE_MESSAGES: Record<string, Ending> = {
  left: { status: 'ended', message: 'You left the meeting.' },
  meeting_ended: { status: 'ended', message: 'The host ended the meeting.' },
  server_shutdown: { status: 'ended', message: 'The server is shutting down. Try rejoining in a moment.' },
  replaced: { status: 'ended', message: 'This meeting was opened again in another window or connection.' },
  // The connection dropped and the grace period for a resume ran out.
  timed_out: { status: 'error', message: 'The connection was lost and could not be restored in time.' },
  rate_limited: { status: 'error', message: 'Disconnected: this browser sent too many messages.' },
  protocol_error: { status: 'error', message: 'Disconnected after a protocol error. Reload the page and try again.' },
  denied: { status: 'ended', message: 'The host did not let you in.' },
  removed: { status: 'ended', message: 'You were removed from the meeting.' },
  banned: { status: 'ended', message: BANNED_TEXT },
  account_disabled: { status: 'ended', message: 'An administrator disabled your account, so you were signed out of this meeting.' },
  // The meeting moved to another node of the cluster; the client joins
  // again on its own, so this shows only if that fails.
  moved: { status: 'error', message: 'The meeting moved to another server and could not be rejoined. Reload the page to join again.' },
};

/** Errors at hello that refuse the join (the server then closes). */
export const FATAL_ERRORS: Record<string, string> = {
  join_refused: 'Meeting not found or wrong passcode',
  meeting_full: 'This meeting is full',
  unsupported_version: 'This page is out of date. Reload it to get the current version.',
  meeting_locked: 'This meeting is locked. Nobody new can join.',
  banned: BANNED_TEXT,
  meeting_expired: 'This meeting has ended for good: its link has expired. Ask the host for a new one.',
  too_many_attempts: 'Too many attempts to join this meeting. Wait a while and try again.',
  notice_required: 'The privacy notice has changed. Read the new version and accept it to join.',
  sign_in_required: 'This meeting admits only signed-in participants. Sign in, then open the invite link again.',
};

/** A host's admit refused at the participant limit (not an ending: the host stays). */
export const FULL_ON_ADMIT = 'The meeting is full: nobody else can be let in until someone leaves.';

/** Endings after which trying again cannot help: no Rejoin button. */
export const FINAL_ENDINGS: ReadonlySet<string> = new Set([
  'denied',
  'banned',
  'meeting_expired',
  'sign_in_required',
  'account_disabled',
  // This browser cannot encrypt media frames (e2eesession.ts): another one can.
  'e2ee_unsupported',
  // The server said the meeting is end-to-end encrypted, then that it is not.
  'e2ee_downgrade',
]);

/** The too_many_attempts text with the wait the server named. */
export function tooManyAttempts(retryAfter: number | null): string {
  if (retryAfter === null || retryAfter <= 0) return FATAL_ERRORS['too_many_attempts'] ?? '';
  const min = Math.ceil(retryAfter / 60);
  const wait = retryAfter < 60 ? `${Math.ceil(retryAfter)} seconds` : min === 1 ? 'a minute' : `${min} minutes`;
  return `Too many attempts to join this meeting. Try again in ${wait}.`;
}
