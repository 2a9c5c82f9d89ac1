// The guest's proof on the ended screen: a guest has no account, so the
// server hands them a participant ID and a one-time code (guest_proof,
// docs/privacy.md "Guests") with which they can later ask for access to
// or erasure of their data. The page keeps them in memory only and shows
// them once the call is over, with a copy button; nothing is stored in
// the browser, so closing the page loses them.

import { announce, copyText, h } from './dom';
import type { GuestProof } from './protocol';

/** Where the transparency page explains how to use them. */
export const PRIVACY_INFO = '/privacy/info';

/** The form where a guest makes a request with them (guestrequest.ts). */
export const GUEST_REQUEST = '/privacy/request';

function day(time: string): string {
  const t = Date.parse(time);
  if (Number.isNaN(t)) return '';
  return new Date(t).toLocaleDateString([], { year: 'numeric', month: 'long', day: 'numeric' });
}

/** The code with break opportunities, so that a narrow screen wraps it (copying is unaffected). */
function breakable(text: string): Node[] {
  const out: Node[] = [];
  for (let i = 0; i < text.length; i += 12) {
    if (i > 0) out.push(document.createElement('wbr'));
    out.push(document.createTextNode(text.slice(i, i + 12)));
  }
  return out;
}

function copyLines(p: GuestProof): string {
  return `Participant ID: ${p.participant_id}\nOne-time code: ${p.token}`;
}

/**
 * The block for the ended panel, newest proof first (a guest who rejoined
 * got one per participant ID); null when there is none.
 */
export function guestProofPanel(proofs: readonly GuestProof[]): HTMLElement | null {
  const latest = proofs[proofs.length - 1];
  if (!latest) return null;
  const until = day(latest.expires);
  const copy = h('button', { type: 'button', id: 'guest-proof-copy', class: 'button', text: proofs.length > 1 ? 'Copy IDs and codes' : 'Copy ID and code' });
  copy.addEventListener('click', async () => {
    const text = [...proofs].reverse().map(copyLines).join('\n\n');
    const ok = await copyText(text);
    announce(ok ? 'Participant ID and one-time code copied to the clipboard.' : 'Could not copy. Select the text and copy it yourself.');
  });
  const earlier = proofs.slice(0, -1).reverse();
  return h('section', { class: 'guest-proof', id: 'guest-proof', 'aria-labelledby': 'guest-proof-title' }, [
    h('h3', { id: 'guest-proof-title', text: 'Your data: keep this' }),
    h('p', {}, [
      'Your participant ID: ',
      h('code', { id: 'guest-proof-id', text: latest.participant_id }),
      ' and one-time code: ',
      h('code', { id: 'guest-proof-token' }, breakable(latest.token)),
    ]),
    h('p', { class: 'hint', id: 'guest-proof-hint' }, [
      'You joined as a guest, without an account. With this ID and code you can ask for a copy of the data this server keeps about you, or for its erasure',
      until === '' ? '' : `, until ${until}`,
      '; the code works once. ',
      h('a', { href: PRIVACY_INFO, target: '_blank', rel: 'noopener', id: 'guest-proof-info', text: 'What is stored about you' }),
      '; ',
      h('a', { href: GUEST_REQUEST, target: '_blank', rel: 'noopener', id: 'guest-proof-request', text: 'make a request with them' }),
      '. This page does not keep them: copy them now.',
    ]),
    earlier.length === 0
      ? null
      : h('details', { id: 'guest-proof-earlier' }, [
          h('summary', { text: earlier.length === 1 ? 'Your earlier participant ID in this meeting' : `Your ${earlier.length} earlier participant IDs in this meeting` }),
          h(
            'ul',
            {},
            earlier.map((p) =>
              h('li', {}, [
                'Participant ID: ',
                h('code', { text: p.participant_id }),
                ', one-time code: ',
                h('code', {}, breakable(p.token)),
              ]),
            ),
          ),
        ]),
    h('div', { class: 'actions' }, [copy]),
  ]);
}
