// Checks web/src/remotecontrol.ts and remotecontrolseal.ts: the
// controller's side of remote control (docs/client.md, "Remote control").
// The keys, the refused combinations, the event JSON, the seal of E2EE
// meetings, the grant key's HKDF and the pairing code are checked against
// internal/remotecontrol/testdata/vectors.json, which the Go side
// (internal/remotecontrol/vector_test.go) writes and checks too; the
// pointer mapping, key filter and coalescing against hand-made cases.
// Run by cmd/buildweb's TestWebUnitTests (esbuild bundle, then `node --test`).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import vectorsJSON from '../../internal/remotecontrol/testdata/vectors.json';
import { hex, toHex } from './e2ee/util';
import { fromBase64url, newIdentity } from '../src/e2ee/keys';
import {
  Coalescer,
  KEYS,
  MAX_WHEEL,
  blockedCombo,
  combo,
  contentBox,
  eventJSON,
  keyAllowed,
  keyEvent,
  pointFraction,
  wheelLines,
  type ControlEvent,
  type Unnumbered,
} from '../src/remotecontrol';
import { agentCommand, deriveGrantKey, hkdfGrantKey, importGrantKey, openEvent, pairingCode, sealEvent } from '../src/remotecontrolseal';
import { inputURL } from '../src/remotecontrolinput';

interface Vectors {
  keys: string[];
  combos: { key: string; mods: string[]; allowed: boolean }[];
  seal: { key: string; grant: string; events: { event: ControlEvent; json: string; sealed: string }[] };
  hkdf: { shared: string; grant: string; key: string };
  pairing: { server: string; key: string; code: string };
}

const vectors = vectorsJSON as Vectors;

function b64(s: string): Uint8Array<ArrayBuffer> {
  const b = fromBase64url(s);
  if (!b) throw new Error(`not base64url: ${s}`);
  return b;
}

const noMods = { ctrlKey: false, altKey: false, shiftKey: false, metaKey: false };

describe('agreement with the Go side (vectors.json)', () => {
  test('the keys the agent can inject', () => {
    assert.deepEqual([...KEYS], vectors.keys);
  });

  test('refused combinations', () => {
    assert.ok(vectors.combos.length > 20);
    for (const c of vectors.combos) {
      assert.equal(keyAllowed(c.key, c.mods), c.allowed, `${combo(c.key, c.mods)} allowed`);
    }
  });

  test('event JSON as Go writes it, sealed as Go seals it, and it opens', async () => {
    const key = await importGrantKey(hex(vectors.seal.key));
    for (const v of vectors.seal.events) {
      assert.equal(eventJSON(v.event), v.json);
      const frame = await sealEvent(key, vectors.seal.grant, v.event);
      assert.deepEqual(frame, { seq: v.event.seq, sealed: v.sealed });
      const ct = b64(v.sealed);
      assert.equal(await openEvent(key, vectors.seal.grant, v.event.seq, ct), v.json);
      await assert.rejects(openEvent(key, vectors.seal.grant + 'x', v.event.seq, ct), 'another grant');
      await assert.rejects(openEvent(key, vectors.seal.grant, v.event.seq + 1, ct), 'another seq');
    }
  });

  test('grant key and pairing code', async () => {
    const k = await hkdfGrantKey(hex(vectors.hkdf.shared), vectors.hkdf.grant);
    assert.equal(toHex(k), vectors.hkdf.key);
    assert.equal(pairingCode(vectors.pairing.server, hex(vectors.pairing.key)), vectors.pairing.code);
    assert.equal(pairingCode('abc', null), 'abc');
  });
});

describe('grant key between two pages', () => {
  test('sharer and controller derive the same key, per grant; a third page does not', async () => {
    const [sharer, controller, third] = await Promise.all([newIdentity(), newIdentity(), newIdentity()]);
    const a = await deriveGrantKey(sharer, controller.spki, 'grant1');
    const b = await deriveGrantKey(controller, sharer.spki, 'grant1');
    assert.equal(a.length, 32);
    assert.equal(toHex(a), toHex(b));
    assert.notEqual(toHex(await deriveGrantKey(sharer, controller.spki, 'grant2')), toHex(a));
    assert.notEqual(toHex(await deriveGrantKey(third, sharer.spki, 'grant1')), toHex(a));
    // What the controller seals, the agent opens with the key from the sharer's pairing code.
    const e: ControlEvent = { seq: 7, kind: 'move', x: 0.5, y: 0.5 };
    const sealed = await sealEvent(await importGrantKey(b), 'grant1', e);
    const code = pairingCode('srv', a);
    const keyPart = b64(code.split('.')[1] ?? '');
    assert.equal(keyPart.length, 32);
    assert.equal(await openEvent(await importGrantKey(keyPart), 'grant1', 7, b64(sealed.sealed)), eventJSON(e));
  });
});

describe('keys', () => {
  test('allowed keys with their modifiers', () => {
    assert.deepEqual(keyEvent('keydown', { code: 'KeyA', ...noMods }), { kind: 'keydown', key: 'KeyA' });
    assert.deepEqual(keyEvent('keyup', { code: 'KeyA', ...noMods, shiftKey: true, ctrlKey: true }), { kind: 'keyup', key: 'KeyA', mods: ['Ctrl', 'Shift'] });
    assert.deepEqual(keyEvent('keydown', { code: 'ControlLeft', ...noMods, ctrlKey: true }), { kind: 'keydown', key: 'ControlLeft', mods: ['Ctrl'] });
  });

  test('blocked combinations and unknown keys are not sent, down or up', () => {
    for (const kind of ['keydown', 'keyup'] as const) {
      assert.equal(keyEvent(kind, { code: 'Delete', ...noMods, ctrlKey: true, altKey: true }), null);
      assert.equal(keyEvent(kind, { code: 'Escape', ...noMods, ctrlKey: true, altKey: true }), null); // the stop combination
      assert.equal(keyEvent(kind, { code: 'F2', ...noMods, ctrlKey: true, altKey: true }), null);
      assert.equal(keyEvent(kind, { code: 'KeyL', ...noMods, metaKey: true }), null);
      assert.equal(keyEvent(kind, { code: 'PrintScreen', ...noMods, altKey: true }), null);
      assert.equal(keyEvent(kind, { code: 'AudioVolumeMute', ...noMods }), null);
      assert.equal(keyEvent(kind, { code: '', ...noMods }), null);
    }
    assert.ok(blockedCombo('F24', ['Alt', 'Ctrl']));
    assert.ok(!blockedCombo('F25', ['Alt', 'Ctrl']));
    assert.equal(combo('Delete', ['Alt', 'Shift', 'Ctrl']), 'Ctrl+Alt+Shift+Delete');
  });
});

describe('pointer mapping', () => {
  const el = { left: 100, top: 50, width: 1600, height: 900 };

  test('letterboxed (contain): fractions of the picture, not of the element; the bars map to nothing', () => {
    const box = contentBox(el, 1024, 768, 'contain'); // 4:3 in 16:9: bars left and right
    assert.deepEqual(box, { left: 300, top: 50, width: 1200, height: 900 });
    assert.deepEqual(pointFraction(900, 500, box, el), { x: 0.5, y: 0.5 });
    assert.deepEqual(pointFraction(300, 50, box, el), { x: 0, y: 0 });
    assert.deepEqual(pointFraction(1500, 950, box, el), { x: 1, y: 1 });
    assert.deepEqual(pointFraction(600, 275, box, el), { x: 0.25, y: 0.25 });
    assert.equal(pointFraction(299, 500, box, el), null); // on the left bar
    assert.equal(pointFraction(1501, 500, box, el), null);
    const tall = contentBox(el, 3840, 1080, 'contain'); // wider than the element: bars above and below
    assert.equal(tall.width, 1600);
    assert.equal(tall.height, 450);
    assert.equal(tall.top, 275);
    assert.equal(pointFraction(900, 200, tall, el), null);
    assert.deepEqual(pointFraction(900, 500, tall, el), { x: 0.5, y: 0.5 });
  });

  test('cover: only what is visible inside the element', () => {
    const box = contentBox(el, 1024, 768, 'cover');
    assert.equal(box.width, 1600);
    assert.equal(box.height, 1200);
    assert.deepEqual(pointFraction(900, 500, box, el), { x: 0.5, y: 0.5 });
    assert.equal(pointFraction(900, 10, box, el), null); // cropped off: outside the element
    assert.deepEqual(pointFraction(100, 50, box, el), { x: 0, y: 0.125 });
  });

  test('without a frame yet, or fill: the element', () => {
    assert.deepEqual(contentBox(el, 0, 0, 'contain'), el);
    assert.deepEqual(contentBox(el, 1024, 768, 'fill'), el);
    assert.equal(pointFraction(1, 1, { left: 0, top: 0, width: 0, height: 0 }), null);
  });

  test('fractions are rounded to 5 decimals, as the Go vector writes them', () => {
    const p = pointFraction(1 / 3, 2 / 3, { left: 0, top: 0, width: 1, height: 1 });
    assert.deepEqual(p, { x: 0.33333, y: 0.66667 });
  });

  test('wheel deltas in lines', () => {
    assert.deepEqual(wheelLines(0, 120, 0), { dx: 0, dy: 3 });
    assert.deepEqual(wheelLines(-2, 1, 1), { dx: -2, dy: 1 });
    assert.deepEqual(wheelLines(0, 1, 2), { dx: 0, dy: 10 });
  });
});

describe('Coalescer', () => {
  function setup(pointerOnly = false): { sent: ControlEvent[]; frame: () => void; c: Coalescer } {
    const sent: ControlEvent[] = [];
    let pending: (() => void)[] = [];
    const c = new Coalescer((e) => sent.push(e), (cb) => pending.push(cb), pointerOnly);
    const frame = (): void => {
      const p = pending;
      pending = [];
      for (const f of p) f();
    };
    return { sent, frame, c };
  }
  const move = (x: number, y: number): Unnumbered => ({ kind: 'move', x, y });

  test('one move per animation frame, the last one', () => {
    const { sent, frame, c } = setup();
    c.push(move(0.1, 0.1));
    c.push(move(0.2, 0.2));
    c.push(move(0.3, 0.3));
    assert.equal(sent.length, 0);
    frame();
    assert.deepEqual(sent, [{ seq: 1, kind: 'move', x: 0.3, y: 0.3 }]);
    frame();
    assert.equal(sent.length, 1);
    c.push(move(0.4, 0.4));
    frame();
    assert.deepEqual(sent[1], { seq: 2, kind: 'move', x: 0.4, y: 0.4 });
  });

  test('a click sends the waiting move first, in order, numbered from 1', () => {
    const { sent, frame, c } = setup();
    c.push(move(0.5, 0.5));
    c.push({ kind: 'down', x: 0.5, y: 0.5, button: 0 });
    c.push({ kind: 'up', x: 0.5, y: 0.5, button: 0 });
    c.push({ kind: 'keydown', key: 'KeyA' });
    frame();
    assert.deepEqual(
      sent.map((e) => [e.seq, e.kind]),
      [
        [1, 'move'],
        [2, 'down'],
        [3, 'up'],
        [4, 'keydown'],
      ],
    );
    assert.equal(c.lastSeq, 4);
  });

  test('wheel deltas add up to whole lines, at most MAX_WHEEL a frame', () => {
    const { sent, frame, c } = setup();
    for (let i = 0; i < 3; i++) c.push({ kind: 'wheel', x: 0.5, y: 0.5, dx: 0, dy: 0.25 });
    frame();
    assert.equal(sent.length, 0); // 0.75 line: waits for more
    c.push({ kind: 'wheel', x: 0.6, y: 0.5, dx: 0, dy: 0.5 });
    frame();
    assert.deepEqual(sent, [{ seq: 1, kind: 'wheel', x: 0.6, y: 0.5, dx: 0, dy: 1 }]);
    c.push({ kind: 'wheel', x: 0.6, y: 0.5, dx: -100, dy: 0 });
    frame();
    assert.deepEqual(sent[1], { seq: 2, kind: 'wheel', x: 0.6, y: 0.5, dx: -MAX_WHEEL, dy: 0 });
    c.push({ kind: 'wheel', x: 0.6, y: 0.5, dx: -0.5, dy: 0 });
    frame();
    assert.equal(sent.length, 2); // the excess was dropped, not queued
  });

  test('pointer only: moves go, nothing else', () => {
    const { sent, frame, c } = setup(true);
    c.push({ kind: 'down', x: 0.5, y: 0.5, button: 0 });
    c.push({ kind: 'keydown', key: 'KeyA' });
    c.push({ kind: 'wheel', x: 0.5, y: 0.5, dx: 0, dy: 3 });
    c.push(move(0.2, 0.3));
    frame();
    assert.deepEqual(sent, [{ seq: 1, kind: 'move', x: 0.2, y: 0.3 }]);
  });

  test('closed: nothing more', () => {
    const { sent, frame, c } = setup();
    c.push(move(0.2, 0.3));
    c.close();
    frame();
    c.push({ kind: 'keydown', key: 'KeyA' });
    assert.equal(sent.length, 0);
  });
});

// Both remote control sockets name the meeting, so that behind one name a
// cluster passes them to the meeting's node (internal/cluster MeetingOf).
describe('the meeting in the URLs', () => {
  test('inputURL names the meeting, encoded, on the page\'s origin', () => {
    assert.equal(inputURL('k3m9-x2qa', { protocol: 'https:', host: 'meet.example' }), 'wss://meet.example/api/control/input?meeting=k3m9-x2qa');
    assert.equal(inputURL('a b&c', { protocol: 'http:', host: 'localhost:8080' }), 'ws://localhost:8080/api/control/input?meeting=a%20b%26c');
  });
  test('the agent command gives --meeting', () => {
    assert.equal(
      agentCommand('https://meet.example', 'k3m9-x2qa', 'AlVleZLT4dw26m8NdrJw-w.abc_-'),
      'conclave agent --server https://meet.example --meeting k3m9-x2qa --code AlVleZLT4dw26m8NdrJw-w.abc_-',
    );
    // Anything a shell would split or expand is quoted.
    assert.equal(agentCommand('https://meet.example', "it's $x", 'c'), "conclave agent --server https://meet.example --meeting 'it'\\''s $x' --code c");
  });
});
