// Checks web/src/e2ee/chat.ts and web/src/e2eechat.ts: end-to-end encrypted
// chat (docs/e2ee.md, "Chat"). A message to everyone opens with the
// sender's key of its generation (ratchet followed), and not for someone
// without it (a late joiner); a private or group message opens for its
// recipients and the sender only, never for a third participant who
// holds the sender's media key; anything altered, moved to another
// meeting or sender, or re-addressed does not open; padding hides the
// length; the largest message fits the server's limit.
// Run by cmd/buildweb's TestWebUnitTests (esbuild bundle, then `node --test`).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ChatCryptoError,
  KIND_RECIPIENTS,
  KIND_SENDER,
  MAX_CHAT_CIPHERTEXT,
  PAD_BLOCK,
  type Sealed,
  newSelfKey,
  openForEveryone,
  openForRecipient,
  pad,
  pairwiseKey,
  parse,
  sealForEveryone,
  sealForRecipients,
  senderChatKey,
  unpad,
} from '../../src/e2ee/chat';
import { type Identity, type SenderKey, fromBase64url, newIdentity, newSenderKey, ratchet } from '../../src/e2ee/keys';
import { E2EEChat } from '../../src/e2eechat';
import type { ChatMessage } from '../../src/protocol';
import type { Bytes } from '../../src/e2ee/sframe';

const MEETING = 'k3m9-x2qa-7hvt-p4dz';

async function rejects(p: Promise<unknown>, reason: string): Promise<void> {
  const got = await p.then(
    () => 'opened',
    (e: unknown) => (e instanceof ChatCryptoError ? e.reason : String(e)),
  );
  assert.equal(got, reason);
}

describe('padding', () => {
  test('to whole blocks, round trip, any text', () => {
    for (const t of ['', 'a', 'x'.repeat(PAD_BLOCK - 1), 'x'.repeat(PAD_BLOCK), 'Grüße, 你好 👋']) {
      const p = pad(t);
      assert.equal(p.length % PAD_BLOCK, 0);
      assert.equal(unpad(p), t);
    }
    assert.equal(pad('hi').length, pad('hello there').length); // the length shows only roughly
    assert.throws(() => unpad(new Uint8Array(PAD_BLOCK)));
  });
});

describe('to everyone', () => {
  test('opens with the sender key of its generation and step, bound to meeting and sender', async () => {
    const key = newSenderKey(3);
    const ck = await senderChatKey(key, MEETING, 'p_ada');
    const ctx = { meeting: MEETING, from: 'p_ada' };
    const bytes = await sealForEveryone(key, ck, ctx, 'hello, everyone');
    const m = parse(bytes) as Sealed & { kind: typeof KIND_SENDER };
    assert.equal(m.kind, KIND_SENDER);
    assert.equal(m.generation, 3);
    assert.equal(m.step, 0);
    assert.equal(await openForEveryone(m, await senderChatKey(key, MEETING, 'p_ada'), ctx), 'hello, everyone');

    // Another sender, another meeting, another generation's key: no.
    await rejects(openForEveryone(m, ck, { meeting: MEETING, from: 'p_bob' }), 'auth');
    await rejects(openForEveryone(m, ck, { meeting: 'aaaa-bbbb-cccc-dddd', from: 'p_ada' }), 'auth');
    await rejects(openForEveryone(m, await senderChatKey(newSenderKey(3), MEETING, 'p_ada'), ctx), 'auth');
    // The ratchet's next step is another key.
    await rejects(openForEveryone(m, await senderChatKey(await ratchet(key), MEETING, 'p_ada'), ctx), 'auth');
    // Any bit changed.
    for (const at of [1 + 1, 6, 10, bytes.length - 1]) {
      const bad = Uint8Array.from(bytes);
      bad[at]! ^= 1;
      let ok = false;
      try {
        const p = parse(bad);
        if (p.kind === KIND_SENDER) await openForEveryone(p, ck, ctx);
        ok = true;
      } catch {
        // refused: parse or authentication
      }
      assert.equal(ok, false, `byte ${at} changed and it still opened`);
    }
  });
});

interface Party {
  id: string;
  me: Identity;
}

async function party(id: string): Promise<Party> {
  return { id, me: await newIdentity() };
}

async function pair(from: Party, to: Party, own: Party): Promise<CryptoKey> {
  const peer = own === from ? to : from;
  return pairwiseKey(own.me, peer.me.spki, { meeting: MEETING, from: from.id, to: to.id, fromSpki: from.me.spki, toSpki: to.me.spki });
}

describe('to chosen people', () => {
  test('opens for the recipients and the sender, not for a third participant', async () => {
    const [ada, bob, cy, di] = await Promise.all([party('p_ada'), party('p_bob'), party('p_cy'), party('p_di')]);
    const self = await newSelfKey();
    const ctx = { meeting: MEETING, from: ada.id };
    const bytes = await sealForRecipients(
      [
        { id: ada.id, key: self },
        { id: bob.id, key: await pair(ada, bob, ada) },
        { id: cy.id, key: await pair(ada, cy, ada) },
      ],
      ctx,
      'for Bob and Cy',
    );
    const m = parse(bytes) as Sealed & { kind: typeof KIND_RECIPIENTS };
    assert.equal(m.kind, KIND_RECIPIENTS);
    assert.deepEqual(
      m.entries.map((e) => e.id),
      [ada.id, bob.id, cy.id],
    );
    assert.equal(await openForRecipient(m, bob.id, await pair(ada, bob, bob), ctx), 'for Bob and Cy');
    assert.equal(await openForRecipient(m, cy.id, await pair(ada, cy, cy), ctx), 'for Bob and Cy');
    assert.equal(await openForRecipient(m, ada.id, self, ctx), 'for Bob and Cy');

    // Di has no entry; with her own pairwise key she opens no one else's.
    await rejects(openForRecipient(m, di.id, await pair(ada, di, di), ctx), 'not_for_me');
    await rejects(openForRecipient(m, bob.id, await pair(ada, di, di), ctx), 'auth');
    // Bob's entry does not open as coming from someone else.
    await rejects(openForRecipient(m, bob.id, await pair(ada, bob, bob), { meeting: MEETING, from: di.id }), 'auth');
    // A recipient removed from the list (re-addressing): the header is authenticated.
    const cut = Uint8Array.from(bytes);
    cut[2] = 2;
    const opened = await (async () => {
      const p = parse(cut);
      return p.kind === KIND_RECIPIENTS ? openForRecipient(p, bob.id, await pair(ada, bob, bob), ctx) : 'other kind';
    })().then(
      (t) => t,
      () => 'refused',
    );
    assert.equal(opened, 'refused');
  });

  test('the largest message fits the server limit', async () => {
    const people = await Promise.all(Array.from({ length: 51 }, (_, i) => party(`p_${'x'.repeat(14)}${String(i).padStart(2, '0')}`)));
    const self = await newSelfKey();
    const [sender, ...to] = people as [Party, ...Party[]];
    const wrappers = [{ id: sender.id, key: self }];
    for (const p of to) wrappers.push({ id: p.id, key: await pair(sender, p, sender) });
    const bytes = await sealForRecipients(wrappers, { meeting: MEETING, from: sender.id }, '𝄞'.repeat(2000));
    assert.ok(bytes.length <= MAX_CHAT_CIPHERTEXT, `${bytes.length} bytes`);
  });
});

// ---- E2EEChat, as three pages would use it ----

function page(me: Party, spkis: Map<string, Bytes>, sending: () => SenderKey): E2EEChat {
  return new E2EEChat({ meetingId: MEETING, selfId: me.id, identity: me.me, spkiOf: (id) => spkis.get(id), sendingKey: sending });
}

function wire(from: string, ciphertext: string, to: string[] = []): ChatMessage {
  return { id: 'c_1', from, from_name: '', to, text: '', time: '2026-12-03T10:00:00Z', file: null, ciphertext };
}

describe('E2EEChat', () => {
  test('everyone and private messages between three pages; a late joiner and a third party read nothing', async () => {
    const [ada, bob, cy] = await Promise.all([party('p_ada'), party('p_bob'), party('p_cy')]);
    const spkis = new Map<string, Bytes>([ada, bob, cy].map((p) => [p.id, p.me.spki] as [string, Bytes]));
    let adaKey = newSenderKey(1);
    const A = page(ada, spkis, () => adaKey);
    const B = page(bob, spkis, () => newSenderKey(0));
    const C = page(cy, spkis, () => newSenderKey(0));
    B.addSenderKey(ada.id, adaKey);
    C.addSenderKey(ada.id, adaKey);

    const all = wire(ada.id, await A.seal('hello all', []));
    assert.ok(!all.ciphertext.includes('hello'));
    for (const p of [A, B, C]) {
      const r = await p.open(all, true);
      assert.equal(r.seal, 'open');
      assert.equal(r.msg.text, 'hello all');
    }

    // The sender ratcheted: receivers follow from the step they hold.
    adaKey = await ratchet(await ratchet(adaKey));
    const later = wire(ada.id, await A.seal('two steps on', []));
    assert.equal((await B.open(later, true)).msg.text, 'two steps on');

    // Privately to Bob: Bob and Ada's page read it, Cy's cannot.
    const priv = wire(ada.id, await A.seal('only Bob', [bob.id]), [bob.id]);
    assert.equal((await B.open(priv, true)).msg.text, 'only Bob');
    assert.equal((await A.open(priv, true)).msg.text, 'only Bob');
    const third = await C.open(priv, false);
    assert.equal(third.seal, 'unreadable');
    assert.equal(third.msg.text, '');
    // Re-addressed by the server (to Cy too, or to everyone): refused.
    assert.equal((await B.open({ ...priv, to: [bob.id, cy.id] }, false)).seal, 'unreadable');
    assert.equal((await C.open({ ...priv, to: [] }, false)).seal, 'unreadable');

    // A late joiner has no key of that generation: before_join, at once
    // for history.
    const [di] = await Promise.all([party('p_di')]);
    const D = page(di!, spkis, () => newSenderKey(0));
    const hist = await D.open(all, false);
    assert.equal(hist.seal, 'before_join');
    assert.equal(hist.msg.text, '');

    // A live message waits for its key.
    const waiting = D.open(later, true);
    D.addSenderKey(ada.id, adaKey);
    assert.equal((await waiting).msg.text, 'two steps on');

    // A recipient whose public key has not come cannot be written to.
    const E = page(ada, new Map(), () => adaKey);
    const refused = await E.seal('x', [bob.id]).then(
      () => 'sealed',
      (e: unknown) => (e instanceof Error ? e.name : ''),
    );
    assert.equal(refused, 'ChatSendError');

    // Garbage is unreadable, not an exception.
    assert.equal((await B.open(wire(ada.id, 'AAAA'), false)).seal, 'unreadable');
    assert.equal(fromBase64url(all.ciphertext)?.[0], 1);
  });
});
