// Checks web/src/e2ee/transform.ts and vp8.ts: frames round-trip, the VP8
// header stays clear and authenticated, tampering, replays and unknown
// keys are dropped and reported, ratchets and generations work.
// Run by cmd/buildweb's TestWebUnitTests (esbuild bundle, then `node --test`).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hex, toHex } from './util';
import { decodeHeader } from '../../src/e2ee/sframe';
import { type SenderKey, OLD_KEY_GRACE_MS, composeKid, newSenderKey, ratchet } from '../../src/e2ee/keys';
import { type EncodedFrame, FrameCrypto, type FrameEvent, frameTransform, parseOptions } from '../../src/e2ee/transform';
import { VP8_DELTA_CLEAR, VP8_KEYFRAME_CLEAR, clearBytes, codecOf } from '../../src/e2ee/vp8';
import { parseToWorker } from '../../src/e2ee/messages';

// A VP8 keyframe starts with a frame tag whose lowest bit is 0, then the
// start code 9d 01 2a, then width and height (here 640 × 360).
const KEYFRAME = hex('50420a' + '9d012a' + '8002' + '6801' + '00112233445566778899aabbccddeeff');
const DELTA = hex('b10200' + 'deadbeefcafebabe0123456789');
const OPUS = hex('fc' + 'ff'.repeat(40));

interface Pair {
  alice: FrameCrypto; // sends
  bob: FrameCrypto; // receives from alice
  events: FrameEvent[];
  key: SenderKey;
  clock: { t: number };
}

async function pair(): Promise<Pair> {
  const events: FrameEvent[] = [];
  const clock = { t: 1_000_000 };
  const alice = new FrameCrypto();
  const bob = new FrameCrypto((e) => events.push(e), undefined, () => clock.t);
  const key = newSenderKey(0);
  await alice.setSendKey(key);
  await bob.setReceiveKey('alice', key);
  return { alice, bob, events, key, clock };
}

const drops = (events: FrameEvent[]) => events.filter((e) => e.type === 'drop').map((e) => (e.type === 'drop' ? e.reason : ''));

describe('vp8 clear prefix', () => {
  test('keyframe 10 bytes, delta 3, audio none', () => {
    assert.equal(clearBytes('vp8', KEYFRAME), VP8_KEYFRAME_CLEAR);
    assert.equal(clearBytes('vp8', DELTA), VP8_DELTA_CLEAR);
    assert.equal(clearBytes('opus', OPUS), 0);
    assert.equal(clearBytes('generic', KEYFRAME), 0);
    assert.equal(clearBytes('vp8', new Uint8Array(0)), 0);
  });

  test('codec from MIME type or kind', () => {
    assert.equal(codecOf('video'), 'vp8');
    assert.equal(codecOf('audio'), 'opus');
    assert.equal(codecOf('video', 'video/VP8'), 'vp8');
    assert.equal(codecOf('video', 'video/H264'), 'generic');
  });
});

describe('frame round trips', () => {
  test('VP8 keyframe: header clear, rest encrypted, restored', async () => {
    const { alice, bob, events } = await pair();
    const wire = (await alice.encryptFrame('vp8', KEYFRAME))!;
    assert.equal(toHex(wire.subarray(0, 10)), toHex(KEYFRAME.subarray(0, 10)), 'the SFU sees the keyframe header');
    assert.ok(!toHex(wire).includes(toHex(KEYFRAME.subarray(10))), 'the payload is not in clear');
    assert.equal(wire.length, KEYFRAME.length + 1 + 16, 'one header byte (KID 0, CTR 0) and a 16-byte tag');
    assert.equal(decodeHeader(wire.subarray(10))?.kid, 0n);
    const back = await bob.decryptFrame('alice', 'vp8', wire);
    assert.equal(toHex(back!), toHex(KEYFRAME));
    assert.deepEqual(events, [{ type: 'key_used', participant: 'alice', kid: '0' }]);
  });

  test('VP8 delta frame keeps 3 bytes clear', async () => {
    const { alice, bob } = await pair();
    const wire = (await alice.encryptFrame('vp8', DELTA))!;
    assert.equal(toHex(wire.subarray(0, 3)), toHex(DELTA.subarray(0, 3)));
    assert.equal(toHex((await bob.decryptFrame('alice', 'vp8', wire))!), toHex(DELTA));
  });

  test('Opus is encrypted whole', async () => {
    const { alice, bob } = await pair();
    const wire = (await alice.encryptFrame('opus', OPUS))!;
    assert.equal(decodeHeader(wire)?.ctr, 0n, 'the SFrame header comes first');
    assert.equal(toHex((await bob.decryptFrame('alice', 'opus', wire))!), toHex(OPUS));
  });

  test('counters are shared across all sending streams', async () => {
    const { alice } = await pair();
    const frames = await Promise.all([alice.encryptFrame('opus', OPUS), alice.encryptFrame('vp8', KEYFRAME), alice.encryptFrame('vp8', DELTA)]);
    assert.deepEqual(
      [decodeHeader(frames[0]!)?.ctr, decodeHeader(frames[1]!.subarray(10))?.ctr, decodeHeader(frames[2]!.subarray(3))?.ctr],
      [0n, 1n, 2n],
    );
  });

  test('no send key: nothing leaves, not even in clear', async () => {
    const events: FrameEvent[] = [];
    const c = new FrameCrypto((e) => events.push(e));
    assert.equal(await c.encryptFrame('vp8', KEYFRAME), null);
    assert.deepEqual(drops(events), ['no_key']);
    const { alice } = await pair();
    alice.clearSendKey();
    assert.equal(await alice.encryptFrame('opus', OPUS), null);
  });

  test('counts: frames encrypted and frames that authenticated, drops not counted', async () => {
    const { alice, bob } = await pair();
    const wire = (await alice.encryptFrame('opus', OPUS))!;
    await alice.encryptFrame('vp8', KEYFRAME);
    assert.ok(await bob.decryptFrame('alice', 'opus', wire));
    const bad = wire.slice();
    bad[bad.length - 1]! ^= 1;
    assert.equal(await bob.decryptFrame('alice', 'opus', bad), null);
    assert.deepEqual(alice.counts, { encrypted: 2, decrypted: 0 });
    assert.deepEqual(bob.counts, { encrypted: 0, decrypted: 1 });
  });

  test('a keyframe shorter than its clear header is dropped', async () => {
    const events: FrameEvent[] = [];
    const c = new FrameCrypto((e) => events.push(e));
    await c.setSendKey(newSenderKey(0));
    assert.equal(await c.encryptFrame('vp8', KEYFRAME.subarray(0, 6)), null);
    assert.deepEqual(drops(events), ['short']);
  });
});

describe('tampering and replays', () => {
  test('a flipped bit anywhere is refused: clear prefix, header, ciphertext, tag', async () => {
    const { alice, bob, events } = await pair();
    const wire = (await alice.encryptFrame('vp8', KEYFRAME))!;
    for (const i of [1, 9, 10, 11, 20, wire.length - 1]) {
      const bad = wire.slice();
      bad[i]! ^= 0x04;
      assert.equal(await bob.decryptFrame('alice', 'vp8', bad), null, `byte ${i}`);
    }
    assert.ok(drops(events).length === 6);
    assert.ok(drops(events).every((r) => r === 'auth' || r === 'unknown_kid' || r === 'malformed'));
    assert.ok(await bob.decryptFrame('alice', 'vp8', wire), 'the original still opens');
  });

  test('a replayed frame is dropped', async () => {
    const { alice, bob, events } = await pair();
    const one = (await alice.encryptFrame('opus', OPUS))!;
    const two = (await alice.encryptFrame('opus', OPUS))!;
    assert.ok(await bob.decryptFrame('alice', 'opus', two));
    assert.ok(await bob.decryptFrame('alice', 'opus', one), 'late is fine');
    assert.equal(await bob.decryptFrame('alice', 'opus', one), null);
    assert.deepEqual(drops(events), ['replay']);
  });

  test('a forged frame does not move the replay window', async () => {
    const { alice, bob } = await pair();
    const frames = [];
    for (let i = 0; i < 3; i++) frames.push((await alice.encryptFrame('opus', OPUS))!);
    const forged = frames[2]!.slice();
    forged[forged.length - 1]! ^= 1;
    assert.equal(await bob.decryptFrame('alice', 'opus', forged), null);
    assert.ok(await bob.decryptFrame('alice', 'opus', frames[2]!), 'the real frame with that counter still opens');
  });

  test('unknown KID and unknown sender are dropped and reported', async () => {
    const { alice, bob, events } = await pair();
    const wire = (await alice.encryptFrame('opus', OPUS))!;
    assert.equal(await bob.decryptFrame('carol', 'opus', wire), null, "alice's frame on carol's track");
    await alice.setSendKey(newSenderKey(1));
    assert.equal(await bob.decryptFrame('alice', 'opus', (await alice.encryptFrame('opus', OPUS))!), null, 'generation 1 not yet received');
    assert.deepEqual(drops(events), ['unknown_kid', 'unknown_kid']);
  });

  test("another sender's key does not open the frame", async () => {
    const { alice, bob, events } = await pair();
    const mallory = new FrameCrypto();
    await mallory.setSendKey(newSenderKey(0)); // same KID, other key
    assert.equal(await bob.decryptFrame('alice', 'opus', (await mallory.encryptFrame('opus', OPUS))!), null);
    assert.deepEqual(drops(events), ['auth']);
    assert.ok(await bob.decryptFrame('alice', 'opus', (await alice.encryptFrame('opus', OPUS))!));
  });

  test('garbage is malformed', async () => {
    const { bob, events } = await pair();
    assert.equal(await bob.decryptFrame('alice', 'opus', hex('08')), null);
    assert.equal(await bob.decryptFrame('alice', 'vp8', hex('0000')), null);
    assert.deepEqual(drops(events), ['malformed', 'malformed']);
  });
});

describe('key changes', () => {
  test('the receiver follows the sender ratchet without new messages', async () => {
    const { alice, bob, key } = await pair();
    const k1 = await ratchet(key);
    const k3 = await ratchet(await ratchet(k1));
    await alice.setSendKey(k3);
    const wire = (await alice.encryptFrame('opus', OPUS))!;
    assert.equal(decodeHeader(wire)?.kid, composeKid(0, 3));
    assert.equal(toHex((await bob.decryptFrame('alice', 'opus', wire))!), toHex(OPUS));
  });

  test('a receiver that joined at a later step cannot go back', async () => {
    const key = newSenderKey(0);
    const k1 = await ratchet(key);
    const alice = new FrameCrypto();
    await alice.setSendKey(key);
    const old = (await alice.encryptFrame('opus', OPUS))!;
    const carol = new FrameCrypto();
    await carol.setReceiveKey('alice', k1);
    assert.equal(await carol.decryptFrame('alice', 'opus', old), null);
  });

  test('an old generation works during the grace period only', async () => {
    const { alice, bob, clock } = await pair();
    const late = (await alice.encryptFrame('opus', OPUS))!;
    const late2 = (await alice.encryptFrame('opus', OPUS))!;
    const next = newSenderKey(1);
    await bob.setReceiveKey('alice', next);
    await alice.setSendKey(next);
    assert.ok(await bob.decryptFrame('alice', 'opus', late), 'in flight during the switch');
    assert.ok(await bob.decryptFrame('alice', 'opus', (await alice.encryptFrame('opus', OPUS))!));
    clock.t += OLD_KEY_GRACE_MS;
    assert.equal(await bob.decryptFrame('alice', 'opus', late2), null, 'retired');
  });

  test('removeParticipant forgets their keys', async () => {
    const { alice, bob } = await pair();
    bob.removeParticipant('alice');
    assert.equal(await bob.decryptFrame('alice', 'opus', (await alice.encryptFrame('opus', OPUS))!), null);
  });
});

describe('streams and messages', () => {
  test('frameTransform encrypts and decrypts a stream of frames in order', async () => {
    const { alice, bob } = await pair();
    const input: EncodedFrame[] = [KEYFRAME, DELTA, new Uint8Array(0), DELTA].map((b) => ({ data: Uint8Array.from(b).buffer }));
    const send = frameTransform(alice, { operation: 'send', kind: 'video', participant: '', id: '' });
    const recv = frameTransform(bob, { operation: 'receive', kind: 'video', participant: 'alice', id: 'm1' });
    const src = new ReadableStream<EncodedFrame>({
      start(c) {
        for (const f of input) c.enqueue(f);
        c.close();
      },
    });
    const out: string[] = [];
    await src
      .pipeThrough(send)
      .pipeThrough(recv)
      .pipeTo(new WritableStream({ write: (f) => void out.push(toHex(new Uint8Array(f.data))) }));
    assert.deepEqual(out, [toHex(KEYFRAME), toHex(DELTA), '', toHex(DELTA)]);
  });

  test('transform options and worker messages are checked', () => {
    assert.deepEqual(parseOptions({ operation: 'receive', kind: 'video', participant: 'p1', id: '3' }), {
      operation: 'receive',
      kind: 'video',
      participant: 'p1',
      id: '3',
    });
    assert.equal(parseOptions({ operation: 'receive', kind: 'video' }), null, 'a receiver must name its sender');
    assert.equal(parseOptions({ operation: 'send', kind: 'data' }), null);
    assert.equal(parseToWorker({ type: 'send_key', generation: 1, step: 0, key: new Uint8Array(32) }), null, 'keys travel as ArrayBuffer');
    assert.ok(parseToWorker({ type: 'receive_key', participant: 'p', generation: 1, step: 0, key: new ArrayBuffer(32) }));
    assert.equal(parseToWorker({ type: 'receive_key', participant: '', generation: 1, step: 0, key: new ArrayBuffer(32) }), null);
    assert.equal(parseToWorker({ type: 'eval', code: '1' }), null);
  });
});
