// Checks web/src/e2ee/entry.ts: the server cannot turn end-to-end
// encryption off without the page noticing, before the join or during it.
// Run by cmd/buildweb's TestWebUnitTests (esbuild bundle, then `node --test`).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { e2eeEntry, liveDowngrade } from '../../src/e2ee/entry';

describe('e2eeEntry', () => {
  test('a welcome that says encrypted encrypts, whatever was announced', () => {
    for (const announced of [true, false, null, undefined]) assert.equal(e2eeEntry(announced, true), 'encrypt');
  });
  test('announced as encrypted, welcomed as not: a downgrade', () => {
    assert.equal(e2eeEntry(true, false), 'downgrade');
  });
  test('an ordinary meeting, announced or not, joins in clear', () => {
    for (const announced of [false, null, undefined]) assert.equal(e2eeEntry(announced, false), 'clear');
  });
});

describe('liveDowngrade', () => {
  test('settings without e2ee in an encrypting call are a downgrade', () => {
    assert.equal(liveDowngrade(true, { e2ee: false }), true);
    assert.equal(liveDowngrade(true, {}), true);
  });
  test('settings that keep e2ee are not', () => {
    assert.equal(liveDowngrade(true, { e2ee: true }), false);
  });
  test('a clear call is never downgraded, not even by settings turning e2ee on', () => {
    assert.equal(liveDowngrade(false, { e2ee: false }), false);
    assert.equal(liveDowngrade(false, { e2ee: true }), false);
  });
});
