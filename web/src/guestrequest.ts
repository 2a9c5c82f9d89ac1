// The guest's request form (/privacy/request): a guest has no account, so
// the only way to exercise their rights is the participant ID and one-time
// code shown on the ended screen (guestproof.ts). Without this page they
// would have to send JSON to /api/privacy/guest-requests themselves. The
// server checks everything; the code works once, so a request the server
// refuses before checking the code (a bad kind, too long a note) does not
// cost it (privacy.Service.SubmitGuestRequest).

import { ApiError, request } from './api';
import { announce, busyButton, clear, errorMessage, h, showError } from './dom';
import { field, page } from './layout';
import { REQUEST_WORDS } from './rights';

/** The kinds the register takes, in the order of the articles (15 to 21). */
const KINDS = ['access', 'rectification', 'erasure', 'restriction', 'portability', 'objection'] as const;

/** Must match privacy.MaxGuestNotes. */
const MAX_NOTES = 1500;

interface Created {
  id: number;
  kind: string;
  due_at: string;
}

/** What went wrong, in words a guest can act on. */
function failure(e: unknown): string {
  if (!(e instanceof ApiError)) return errorMessage(e);
  switch (e.code) {
    case 'invalid_proof':
      return (
        'The participant ID and one-time code do not match, or the code was already used or has expired. ' +
        'Check that you copied both exactly as the meeting showed them. If the code is used or expired, ask the privacy contact named on the page "What is stored about you".'
      );
    case 'too_many_attempts': {
      const minutes = e.retryAfter === null ? null : Math.max(1, Math.ceil(e.retryAfter / 60));
      return 'Too many requests from this network. ' + (minutes === null ? 'Try again later.' : `Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`);
    }
    case 'bad_request':
      return `The request was not accepted: ${e.message}. Your one-time code was not used.`;
  }
  return e.message;
}

export function renderGuestRequest(root: HTMLElement): void {
  const err = h('div', { id: 'guest-request-error', class: 'error-box', role: 'alert' });
  err.hidden = true;
  const done = h('p', { id: 'guest-request-done', class: 'hint', role: 'status' });
  done.hidden = true;
  const participant = h('input', { type: 'text', required: true, autocomplete: 'off', spellcheck: 'false', maxlength: 80 });
  const proof = h('input', { type: 'text', required: true, autocomplete: 'off', spellcheck: 'false', maxlength: 200 });
  const kind = h(
    'select',
    {},
    KINDS.map((k) => h('option', { value: k, text: (REQUEST_WORDS[k] ?? k).replace(/^./, (c) => c.toUpperCase()) })),
  );
  const notes = h('input', { type: 'text', maxlength: MAX_NOTES, autocomplete: 'off' });
  const submit = h('button', { type: 'submit', id: 'guest-request-submit', class: 'button', text: 'Send request' });
  const form = h('form', { id: 'guest-request-form', novalidate: true }, [
    field('guest-request-participant', 'Participant ID', participant, 'As shown when your meeting ended, for example p_…'),
    field('guest-request-proof', 'One-time code', proof, 'Shown next to the participant ID. It works once.'),
    field('guest-request-kind', 'What you ask for', kind),
    field('guest-request-notes', 'Why, or what exactly (optional)', notes, 'The privacy officer reads this; it is not shared with anyone else.'),
    h('div', { class: 'actions' }, [submit]),
  ]);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    showError(err, null);
    // Checked here too, so that an empty field is named before anything is sent.
    const id = participant.value.trim();
    const code = proof.value.trim();
    if (id === '' || code === '') {
      showError(err, id === '' ? 'Enter the participant ID shown when your meeting ended.' : 'Enter the one-time code shown with your participant ID.');
      (id === '' ? participant : proof).focus();
      return;
    }
    const restore = busyButton(submit, 'Sending…');
    void request<Created>('POST', '/api/privacy/guest-requests', { participant: id, proof: code, kind: kind.value, notes: notes.value })
      .then((r) => {
        done.textContent =
          `Your request #${r.id} for ${REQUEST_WORDS[r.kind] ?? r.kind} was sent to the privacy officer, who must answer by ${r.due_at.slice(0, 10)}. ` +
          'Your one-time code is now used up.';
        done.hidden = false;
        form.hidden = true;
        announce(done.textContent);
      })
      .catch((e: unknown) => showError(err, failure(e)))
      .finally(restore);
  });
  clear(root);
  root.appendChild(
    page('Your data as a guest', [
      h('section', { class: 'card narrow', 'aria-labelledby': 'guest-request-title' }, [
        h('h1', { id: 'guest-request-title', text: 'Ask about your data as a guest' }),
        h('p', {}, [
          'If you took part in a meeting as a guest, you can ask the privacy officer for a copy of what is stored about that participation, ' +
            'its correction or erasure, the restriction of its processing, or object to it. You need the participant ID and the one-time code ' +
            'shown when the meeting ended. ',
          h('a', { href: '/privacy/info', id: 'guest-request-info', text: 'What is stored about you' }),
          '.',
        ]),
        err,
        done,
        form,
      ]),
    ]),
  );
}
