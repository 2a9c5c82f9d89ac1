// Joining with hello, across the redirects of a cluster (docs/protocol.md,
// "Clusters: redirect and moved"): a node that does not run the meeting
// answers hello with redirect, and the client says the very same hello on
// a socket to the url it names. Nothing here touches the DOM, so that the
// unit tests (web/test/join.test.ts) run it under node.

import type { ClientMessages } from './protocol';
import { sameOriginUrl } from './signaling';
import type { PageOrigin } from './signaling';

/** Redirects followed in a row (before a welcome or waiting); one more ends the join. */
export const MAX_REDIRECTS = 3;

export const REDIRECT_REFUSED = 'The server sent this page to another site. Reload the page and try again.';
export const TOO_MANY_REDIRECTS = 'The server kept sending this page elsewhere. Try again in a moment.';

/** What a Joiner needs of the signalling connection (signaling.ts). */
export interface HelloSignaling {
  send(type: 'hello', data: ClientMessages['hello']): number;
  redirect(url: string): void;
}

/** Why a redirect was not followed: the join ends with this. */
export interface RedirectRefusal {
  code: 'redirect_refused' | 'too_many_redirects';
  message: string;
}

export class Joiner {
  /** The seq of the latest hello (0: none sent). */
  seq = 0;
  private redirects = 0;

  /**
   * hello is fixed once, so that every socket of the join (and a rejoin's,
   * built from the same options) says exactly the same.
   */
  constructor(
    private readonly sig: HelloSignaling,
    private readonly hello: ClientMessages['hello'],
    private readonly loc: PageOrigin = location,
  ) {}

  /** A socket opened: hello goes out on it. */
  send(): number {
    this.seq = this.sig.send('hello', this.hello);
    return this.seq;
  }

  /**
   * hello was answered with redirect: a new socket opens to url (hello
   * follows when it opens), unless url leaves the page's origin or this is
   * one redirect too many (a loop between misconfigured nodes).
   */
  redirect(url: string): RedirectRefusal | null {
    const target = sameOriginUrl(url, this.loc);
    if (target === null) {
      console.warn('conclave: refusing a redirect to another origin');
      return { code: 'redirect_refused', message: REDIRECT_REFUSED };
    }
    if (this.redirects >= MAX_REDIRECTS) return { code: 'too_many_redirects', message: TOO_MANY_REDIRECTS };
    this.redirects += 1;
    this.sig.redirect(target);
    return null;
  }

  /** welcome or waiting came: the redirects in a row are over. */
  entered(): void {
    this.redirects = 0;
  }
}
