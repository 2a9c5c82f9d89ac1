// Checks web/src/e2ee/keys.ts: sender keys wrapped between two
// participants open for the recipient only, safety codes depend on the set
// of keys alone, key changes are flagged, the rotation policy.
// Run by cmd/buildweb's TestWebUnitTests (esbuild bundle, then `node --test`).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from './util';
import {
  BASE_KEY_BYTES,
  type Identity,
  KeyDirectory,
  KeySchedule,
  MAX_RATCHET_STEP,
  RATCHET_INTERVAL_MS,
  REKEY_INTERVAL_MS,
  UnwrapError,
  type WrapParties,
  composeKid,
  fromBase64url,
  newIdentity,
  newSenderKey,
  ratchet,
  safetyCode,
  senderKeyKid,
  splitKid,
  toBase64url,
  unwrapSenderKey,
  wrapSenderKey,
} from '../../src/e2ee/keys';
import { ratchetBaseKey } from '../../src/e2ee/sframe';

interface Party {
  id: string;
  me: Identity;
}

async function party(id: string): Promise<Party> {
  return { id, me: await newIdentity() };
}

function parties(from: Party, to: Party, context = 'm_1'): WrapParties {
  return { context, from: from.id, to: to.id, fromSpki: from.me.spki, toSpki: to.me.spki };
}

describe('sender keys', () => {
  test('fresh keys are random, generation and step in the KID', async () => {
    const a = newSenderKey(2);
    const b = newSenderKey(2);
    assert.equal(a.baseKey.length, BASE_KEY_BYTES);
    assert.notEqual(toHex(a.baseKey), toHex(b.baseKey));
    assert.equal(senderKeyKid(a), 32n);
    const r = await ratchet(a);
    assert.equal(r.step, 1);
    assert.equal(toHex(r.baseKey), toHex(await ratchetBaseKey(4, a.baseKey)));
    assert.equal(senderKeyKid(r), 33n);
  });

  test('KID layout round-trips and refuses out-of-range parts', () => {
    assert.equal(composeKid(0, 0), 0n);
    assert.equal(composeKid(0, 7), 7n, 'the first steps fit the one-byte header');
    assert.deepEqual(splitKid(composeKid(123456, 9)), { generation: 123456, step: 9 });
    assert.equal(splitKid(1n << 63n), null);
    assert.throws(() => composeKid(0, MAX_RATCHET_STEP + 1));
    assert.throws(() => composeKid(-1, 0));
  });

  test('the ratchet stops at its last step', async () => {
    let k = newSenderKey(0);
    for (let i = 0; i < MAX_RATCHET_STEP; i++) k = await ratchet(k);
    await assert.rejects(ratchet(k));
  });
});

describe('wrapping sender keys', () => {
  test('the recipient unwraps exactly the key', async () => {
    const [alice, bob] = await Promise.all([party('p_alice'), party('p_bob')]);
    const key = await ratchet(newSenderKey(5));
    const wrapped = await wrapSenderKey(alice.me, key, parties(alice, bob));
    assert.ok(!toHex(wrapped).includes(toHex(key.baseKey)), 'the key is not in clear');
    const got = await unwrapSenderKey(bob.me, wrapped, parties(alice, bob));
    assert.deepEqual({ generation: got.generation, step: got.step, key: toHex(got.baseKey) }, { generation: 5, step: 1, key: toHex(key.baseKey) });
  });

  test('a third participant cannot unwrap it', async () => {
    const [alice, bob, carol] = await Promise.all([party('p_alice'), party('p_bob'), party('p_carol')]);
    const wrapped = await wrapSenderKey(alice.me, newSenderKey(0), parties(alice, bob));
    // Carol with her own key, claiming to be the recipient or pretending to be Bob.
    await assert.rejects(unwrapSenderKey(carol.me, wrapped, parties(alice, carol)));
    await assert.rejects(unwrapSenderKey(carol.me, wrapped, parties(alice, bob)));
  });

  test('altered bytes, swapped roles, other meeting or substituted keys fail', async () => {
    const [alice, bob, mallory] = await Promise.all([party('p_alice'), party('p_bob'), party('p_mallory')]);
    const p = parties(alice, bob);
    const wrapped = await wrapSenderKey(alice.me, newSenderKey(0), p);
    for (const i of [0, 1, 13, wrapped.length - 1]) {
      const bad = wrapped.slice();
      bad[i]! ^= 1;
      await assert.rejects(unwrapSenderKey(bob.me, bad, p), `byte ${i}`);
    }
    await assert.rejects(unwrapSenderKey(bob.me, wrapped, { ...p, from: p.to, to: p.from }), 'swapped IDs');
    await assert.rejects(unwrapSenderKey(bob.me, wrapped, { ...p, from: 'p_mallory' }), 'other sender named');
    await assert.rejects(unwrapSenderKey(bob.me, wrapped, { ...p, context: 'm_2' }), 'other meeting');
    await assert.rejects(unwrapSenderKey(bob.me, wrapped, { ...p, fromSpki: mallory.me.spki }), 'substituted public key');
    await assert.rejects(unwrapSenderKey(bob.me, wrapped.subarray(0, 20), p));
    try {
      await unwrapSenderKey(bob.me, wrapped, { ...p, context: 'x' });
    } catch (e) {
      assert.ok(e instanceof UnwrapError);
    }
  });

  test('the same key wrapped twice looks different (fresh IV)', async () => {
    const [alice, bob] = await Promise.all([party('a'), party('b')]);
    const key = newSenderKey(0);
    const one = await wrapSenderKey(alice.me, key, parties(alice, bob));
    const two = await wrapSenderKey(alice.me, key, parties(alice, bob));
    assert.notEqual(toHex(one), toHex(two));
  });

  test('base64url for the protocol', () => {
    const b = Uint8Array.from({ length: 70 }, (_, i) => (i * 37) & 0xff);
    const s = toBase64url(b);
    assert.ok(/^[A-Za-z0-9_-]+$/.test(s));
    assert.equal(toHex(fromBase64url(s)!), toHex(b));
    assert.equal(fromBase64url('ab+c'), null);
    assert.equal(fromBase64url('abcde'), null);
  });
});

describe('safety code', () => {
  test('equal for equal key sets, whatever the order', async () => {
    const ids = ['p_b', 'p_a', 'p_c'];
    const keys = await Promise.all(ids.map(() => newIdentity()));
    const forward = new Map(ids.map((id, i) => [id, keys[i]!.spki]));
    const backward = new Map([...forward].reverse());
    const code = await safetyCode(forward);
    assert.ok(/^\d{4}( \d{4}){4}$/.test(code), code);
    assert.equal(await safetyCode(backward), code);
  });

  test('differs when one key is substituted, or a participant is added or renamed', async () => {
    const [a, b, m] = await Promise.all([newIdentity(), newIdentity(), newIdentity()]);
    const honest = await safetyCode(new Map([['p_a', a.spki], ['p_b', b.spki]]));
    assert.notEqual(await safetyCode(new Map([['p_a', a.spki], ['p_b', m.spki]])), honest);
    assert.notEqual(await safetyCode(new Map([['p_a', a.spki], ['p_b', b.spki], ['p_m', m.spki]])), honest);
    assert.notEqual(await safetyCode(new Map([['p_a', b.spki], ['p_b', a.spki]])), honest, 'keys swapped between people');
    // Length prefixes: moving bytes between an ID and its key changes the code.
    const k = a.spki;
    assert.notEqual(
      await safetyCode(new Map([['p_a', k]])),
      await safetyCode(new Map([['p_a' + String.fromCharCode(k[0]!), k.subarray(1)]])),
    );
  });
});

describe('key change detector', () => {
  test('flags a participant whose key changes, for the rest of the meeting', async () => {
    const [a1, a2, b] = await Promise.all([newIdentity(), newIdentity(), newIdentity()]);
    const d = new KeyDirectory();
    assert.equal(d.observe('p_a', a1.spki), 'new');
    assert.equal(d.observe('p_b', b.spki), 'new');
    assert.equal(d.observe('p_a', Uint8Array.from(a1.spki)), 'same');
    assert.ok(!d.changed('p_a'));
    assert.equal(d.observe('p_a', a2.spki), 'changed');
    assert.ok(d.changed('p_a'));
    assert.ok(!d.changed('p_b'));
    assert.equal(toHex(d.key('p_a')!), toHex(a2.spki));
    d.forget('p_a');
    assert.ok(d.changed('p_a'), 'leaving does not clear the flag');
    assert.equal(d.snapshot().size, 1);
  });
});

describe('rotation policy', () => {
  test('new generation on join and on leave', () => {
    const s = new KeySchedule(0);
    assert.deepEqual(s.membership(['b'], 1), { kind: 'rekey', reason: 'join' });
    assert.deepEqual(s.membership(['b'], 2), { kind: 'none' });
    assert.deepEqual(s.membership(['b', 'c'], 3), { kind: 'rekey', reason: 'join' });
    assert.deepEqual(s.membership(['c'], 4), { kind: 'rekey', reason: 'leave' });
    assert.deepEqual(s.membership(['d'], 5), { kind: 'rekey', reason: 'leave' }, 'leave and join together');
  });

  test('ratchet on a timer, new generation when exhausted or on schedule', () => {
    const s = new KeySchedule(0, REKEY_INTERVAL_MS * 100, RATCHET_INTERVAL_MS);
    let t = 0;
    assert.deepEqual(s.tick((t += RATCHET_INTERVAL_MS - 1)), { kind: 'none' });
    for (let i = 0; i < MAX_RATCHET_STEP; i++) assert.deepEqual(s.tick((t += RATCHET_INTERVAL_MS)), { kind: 'ratchet' });
    assert.deepEqual(s.tick((t += RATCHET_INTERVAL_MS)), { kind: 'rekey', reason: 'exhausted' });
    const hourly = new KeySchedule(0);
    assert.deepEqual(hourly.tick(REKEY_INTERVAL_MS), { kind: 'rekey', reason: 'schedule' });
  });
});
