// Checks web/src/wire.gen.ts against the fixtures the Go protocol package
// is tested with (internal/protocol/testdata/fixtures.json): every valid
// payload must be accepted and every invalid one refused, as in Go.
// Run by internal/protocol's TestTypeScriptFixtures (esbuild bundle, then
// `node --test`).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fixtures from '../../internal/protocol/testdata/fixtures.json';
import { parseServerMessage, validateClientData } from '../src/wire.gen';

interface FixtureSet {
  valid: unknown[];
  invalid: { data: unknown; why: string }[];
}

type Direction = Record<string, FixtureSet>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function direction(name: 'client' | 'server'): Direction {
  const d = isRecord(fixtures) ? fixtures[name] : undefined;
  assert.ok(isRecord(d), `fixtures.json has no ${name} object`);
  return d as Direction;
}

function frame(type: string, data: unknown): string {
  return JSON.stringify({ type, seq: 5, data });
}

describe('server fixtures', () => {
  for (const [type, set] of Object.entries(direction('server'))) {
    test(type, () => {
      for (const data of set.valid) {
        const msg = parseServerMessage(frame(type, data));
        assert.notEqual(msg, null, `${type}: valid ${JSON.stringify(data).slice(0, 200)} refused`);
        assert.equal(msg?.type, type);
        assert.equal(msg?.seq, 5);
      }
      for (const { data, why } of set.invalid) {
        assert.equal(parseServerMessage(frame(type, data)), null, `${type}: invalid (${why}) accepted`);
      }
    });
  }
});

describe('client fixtures', () => {
  for (const [type, set] of Object.entries(direction('client'))) {
    test(type, () => {
      for (const data of set.valid) {
        assert.equal(validateClientData(type, data), null, `${type}: valid ${JSON.stringify(data).slice(0, 200)} refused`);
      }
      for (const { data, why } of set.invalid) {
        assert.notEqual(validateClientData(type, data), null, `${type}: invalid (${why}) accepted`);
      }
    });
  }
});

describe('envelope', () => {
  test('refuses what Go refuses', () => {
    for (const text of ['', 'null', '"pong"', '[]', '{"type":1}', '{"seq":1}', '{"type":"pong","seq":"1"}', '{"type":"pong","data":[]}', '{"type":"nope"}', '{"type":"hello","data":{}}', '\ufeff{"type":"pong"}']) {
      assert.equal(parseServerMessage(text), null, text);
    }
  });
  test('accepts what Go accepts', () => {
    for (const text of ['{"type":"pong"}', '{"type":"pong","data":null}', '{"TYPE":"pong","Seq":3}', ' {"type":"pong","extra":[1]} ', '\u00a0\u2028{"type":"pong"}\u0085']) {
      assert.notEqual(parseServerMessage(text), null, text);
    }
  });
  test('fills in zero values', () => {
    const msg = parseServerMessage('{"type":"welcome","data":{"participant_id":"p","role":"guest","meeting":{"settings":{"chat_writers":"everyone","screen_share":"everyone"}},"participants":null}}');
    assert.ok(msg !== null && msg.type === 'welcome');
    if (msg?.type !== 'welcome') return;
    assert.equal(msg.data.participants.length, 0);
    assert.equal(msg.data.ice_servers.length, 0);
    assert.equal(msg.data.meeting.title, '');
    assert.equal(msg.seq, 0);
  });
});
