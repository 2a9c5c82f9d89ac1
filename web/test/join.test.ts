// Checks joining across a cluster (web/src/join.ts, signaling.ts,
// rejoin.ts; docs/protocol.md "Clusters: redirect and moved"): the
// signalling URL names the meeting, a same-origin redirect gets the very
// same hello on a new socket, a cross-origin one is refused, redirects in
// a row stop at MAX_REDIRECTS, and bye moved (or resume_failed) rejoins
// once on its own. A fake WebSocket stands in for the browser's. Run by
// cmd/buildweb's TestWebUnitTests (esbuild bundle, then `node --test`).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BYE_MESSAGES } from '../src/endings';
import { Joiner, MAX_REDIRECTS } from '../src/join';
import type { ClientMessages, ServerMessage } from '../src/protocol';
import { Rejoiner } from '../src/rejoin';
import type { Ending } from '../src/rejoin';
import { Signaling, sameOriginUrl, signalingUrl } from '../src/signaling';

const PAGE = { protocol: 'https:', host: 'meet.example' };
const ID = 'k3m9-x2qa-7hvt-p4dz';
const HELLO: ClientMessages['hello'] = {
  version: 1,
  meeting_id: ID,
  passcode: 'secret',
  name: 'Ada',
  device: 'dev_0123456789abcdefghij',
  notice_version: 3,
};

/** The few WebSocket members Signaling uses; the test plays the server. */
class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static all: FakeSocket[] = [];
  readyState = FakeSocket.CONNECTING;
  readonly sent: { type: string; seq: number; data: unknown }[] = [];
  closedWith: number | null = null;
  private readonly listeners = new Map<string, ((ev: unknown) => void)[]>();

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  addEventListener(type: string, fn: (ev: unknown) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  send(frame: string): void {
    this.sent.push(JSON.parse(frame) as { type: string; seq: number; data: unknown });
  }
  close(code: number): void {
    this.closedWith = code;
    this.readyState = FakeSocket.CLOSED;
  }
  open(): void {
    this.readyState = FakeSocket.OPEN;
    this.fire('open', {});
  }
  serve(type: string, data: unknown, seq = 0): void {
    this.fire('message', { data: JSON.stringify({ type, seq, data }) });
  }
  private fire(type: string, ev: unknown): void {
    for (const fn of this.listeners.get(type) ?? []) fn(ev);
  }
}
(globalThis as { WebSocket?: unknown }).WebSocket = FakeSocket;

/** The newest socket opened. */
function newest(): FakeSocket {
  const ws = FakeSocket.all[FakeSocket.all.length - 1];
  if (!ws) throw new Error('no socket opened');
  return ws;
}

/**
 * A join as session.ts wires it: hello on every open, redirects followed,
 * welcome or waiting ending the redirects in a row.
 */
function join(): { joiner: Joiner; sig: Signaling; got: ServerMessage[]; refusals: string[] } {
  FakeSocket.all = [];
  const got: ServerMessage[] = [];
  const refusals: string[] = [];
  let joiner: Joiner | null = null;
  const sig = new Signaling(
    {
      open: () => joiner?.send(),
      message: (msg) => {
        got.push(msg);
        if (msg.type === 'redirect') {
          const refused = joiner?.redirect(msg.data.url);
          if (refused) refusals.push(refused.code);
        }
        if (msg.type === 'welcome' || msg.type === 'waiting') joiner?.entered();
      },
      close: () => {},
    },
    signalingUrl(ID, PAGE),
  );
  joiner = new Joiner(sig, HELLO, PAGE);
  return { joiner, sig, got, refusals };
}

function hellos(ws: FakeSocket): unknown[] {
  return ws.sent.filter((m) => m.type === 'hello').map((m) => m.data);
}

describe('signalingUrl', () => {
  test('names the meeting', () => {
    assert.equal(signalingUrl(ID, PAGE), `wss://meet.example/ws?meeting=${ID}`);
    assert.equal(signalingUrl('a b&c', { protocol: 'http:', host: 'localhost:8080' }), 'ws://localhost:8080/ws?meeting=a%20b%26c');
  });
  test('the first socket goes there', () => {
    join();
    assert.equal(newest().url, `wss://meet.example/ws?meeting=${ID}`);
  });
});

describe('sameOriginUrl', () => {
  const same: [string, string][] = [
    [`/ws?meeting=${ID}`, `wss://meet.example/ws?meeting=${ID}`],
    [`wss://meet.example/ws?meeting=${ID}&node=b`, `wss://meet.example/ws?meeting=${ID}&node=b`],
    [`https://meet.example/ws?meeting=${ID}`, `wss://meet.example/ws?meeting=${ID}`],
  ];
  for (const [url, want] of same) test(`follows ${url}`, () => assert.equal(sameOriginUrl(url, PAGE), want));
  const other = [
    'wss://evil.example/ws?meeting=x',
    'ws://meet.example/ws?meeting=x', // a downgrade from an https page
    'wss://meet.example:8443/ws',
    'wss://meet.example@evil.example/ws',
    '//evil.example/ws',
    'javascript:alert(1)',
    'http://[',
  ];
  for (const url of other) test(`refuses ${url}`, () => assert.equal(sameOriginUrl(url, PAGE), null));
});

describe('redirect', () => {
  test('a same-origin redirect gets the same hello on a new socket', () => {
    const { got } = join();
    const first = newest();
    first.open();
    first.serve('redirect', { url: `/ws?meeting=${ID}&node=b` });
    const second = newest();
    assert.notEqual(second, first);
    assert.equal(second.url, `wss://meet.example/ws?meeting=${ID}&node=b`);
    assert.equal(first.closedWith !== null, true, 'the old socket is closed');
    second.open();
    assert.deepEqual(hellos(first), [HELLO]);
    assert.deepEqual(hellos(second), [HELLO]);
    // The new node numbers its messages from 1 again.
    second.serve('waiting', { reason: 'waiting_room', locked: false }, 1);
    assert.equal(got[got.length - 1]?.type, 'waiting');
  });

  test('a frame of the abandoned socket is not heard', () => {
    const { got } = join();
    const first = newest();
    first.open();
    first.serve('redirect', { url: `/ws?meeting=${ID}` });
    first.serve('waiting', { reason: 'waiting_room', locked: false }, 1);
    assert.deepEqual(got.map((m) => m.type), ['redirect']);
  });

  test('a cross-origin redirect is refused', () => {
    const { refusals } = join();
    const first = newest();
    first.open();
    first.serve('redirect', { url: `wss://evil.example/ws?meeting=${ID}` });
    assert.deepEqual(refusals, ['redirect_refused']);
    assert.equal(FakeSocket.all.length, 1, 'no socket to the other origin');
  });

  test(`at most ${MAX_REDIRECTS} in a row`, () => {
    const { refusals } = join();
    for (let i = 0; i <= MAX_REDIRECTS; i++) {
      newest().open();
      newest().serve('redirect', { url: `/ws?meeting=${ID}&hop=${i}` });
    }
    assert.equal(FakeSocket.all.length, MAX_REDIRECTS + 1);
    assert.deepEqual(refusals, ['too_many_redirects']);
    for (const ws of FakeSocket.all) assert.deepEqual(hellos(ws), [HELLO]);
  });

  test('entering ends the redirects in a row', () => {
    const { joiner } = join();
    for (let i = 0; i < MAX_REDIRECTS; i++) assert.equal(joiner.redirect(`/ws?meeting=${ID}`), null);
    joiner.entered();
    assert.equal(joiner.redirect(`/ws?meeting=${ID}`), null);
  });
});

describe('rejoin after moved or resume_failed', () => {
  const moved: Ending = { ...(BYE_MESSAGES['moved'] ?? { status: 'error', message: '' }), code: 'moved', rejoin: { view: null } };
  const lost: Ending = { status: 'error', message: 'The connection was lost and could not be restored.', code: 'resume_failed', rejoin: { view: null } };
  const failed: Ending = { status: 'error', message: 'Could not connect to the server.', code: 'connect_failed' };

  test('bye moved rejoins at once, with the same hello to the meeting URL', () => {
    const r = new Rejoiner();
    assert.equal(r.ended(moved), null);
    assert.equal(r.active, true);
    // What the page does then: a new session, whose socket says hello again.
    join();
    newest().open();
    assert.equal(newest().url, `wss://meet.example/ws?meeting=${ID}`);
    assert.deepEqual(hellos(newest()), [HELLO]);
    assert.deepEqual(newest().sent.map((m) => m.type), ['hello'], 'no resume');
  });

  test('the moved ending shows only when the rejoin fails', () => {
    const r = new Rejoiner();
    assert.equal(r.ended(moved), null);
    assert.equal(r.ended(failed), moved);
    assert.equal(r.active, false);
    assert.equal(r.ended(failed), failed, 'once: a failure with no rejoin under way is itself');
  });

  test('resume_failed rejoins once too', () => {
    const r = new Rejoiner();
    assert.equal(r.ended(lost), null);
    assert.equal(r.ended({ status: 'error', message: 'timeout', code: 'timeout' }), lost);
  });

  test('a rejoin that entered may rejoin again later', () => {
    const r = new Rejoiner();
    assert.equal(r.ended(moved), null);
    r.entered();
    assert.equal(r.active, false);
    assert.equal(r.ended(moved), null);
  });

  test('endings of their own stay as they are', () => {
    for (const code of ['banned', 'left', 'notice_required', 'sign_in_required']) {
      const r = new Rejoiner();
      r.ended(moved);
      const own: Ending = { status: 'ended', message: code, code };
      assert.equal(r.ended(own), own, code);
    }
  });

  test('other endings do not rejoin', () => {
    const r = new Rejoiner();
    const left: Ending = { status: 'ended', message: 'You left the meeting.', code: 'left' };
    assert.equal(r.ended(left), left);
    assert.equal(r.active, false);
  });
});
