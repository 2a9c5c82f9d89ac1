// Checks web/src/e2ee/sframe.ts against the test vectors of RFC 9605
// Appendix C (web/test/testdata/rfc9605-vectors.json, transcribed from the
// RFC; see its "source"), plus the properties the vectors do not cover.
// Run by cmd/buildweb's TestWebUnitTests (esbuild bundle, then `node --test`).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import vectors from '../testdata/rfc9605-vectors.json';
import { hex, toHex } from './util';
import {
  type CipherSuite,
  ReplayWindow,
  SFrameError,
  SFrameSender,
  decodeHeader,
  decrypt,
  deriveKeyMaterial,
  encodeHeader,
  encrypt,
  hkdfExpand,
  hkdfExtract,
  importAead,
  importSFrameKey,
  keyLabel,
  makeNonce,
  ratchetBaseKey,
  saltLabel,
} from '../../src/e2ee/sframe';

interface HeaderVector {
  kid: string;
  ctr: string;
  header: string;
}
interface AeadVector {
  cipher_suite: string;
  key: string;
  enc_key: string;
  auth_key: string;
  nonce: string;
  aad: string;
  pt: string;
  ct: string;
}
interface SFrameVector {
  cipher_suite: string;
  kid: string;
  ctr: string;
  base_key: string;
  sframe_key_label: string;
  sframe_salt_label: string;
  sframe_secret: string;
  sframe_key: string;
  sframe_salt: string;
  metadata: string;
  nonce: string;
  aad: string;
  pt: string;
  ct: string;
}

const V = vectors as { header: HeaderVector[]; aead: AeadVector[]; sframe: SFrameVector[] };
const big = (h: string) => BigInt('0x' + h);
const suiteOf = (h: string) => parseInt(h, 16) as CipherSuite;

describe('RFC 9605 C.1 header encoding', () => {
  test('all 289 vectors encode and decode', () => {
    assert.equal(V.header.length, 289);
    for (const v of V.header) {
      assert.equal(toHex(encodeHeader(big(v.kid), big(v.ctr))), v.header, `encode kid=${v.kid} ctr=${v.ctr}`);
      const h = decodeHeader(hex(v.header));
      assert.ok(h, `decode ${v.header}`);
      assert.equal(h?.kid, big(v.kid));
      assert.equal(h?.ctr, big(v.ctr));
      assert.equal(h?.length, v.header.length / 2);
    }
  });

  test('decoding ignores what follows the header', () => {
    const h = decodeHeader(hex('9901234567' + 'ffff'));
    assert.equal(h?.kid, 0x123n);
    assert.equal(h?.ctr, 0x4567n);
    assert.equal(h?.length, 5);
  });

  test('truncated and non-minimal headers are refused', () => {
    for (const bad of ['', '08', '9901', '990123', '8800ff', '0800', '0807', '9000ff', '0900ff']) {
      assert.equal(decodeHeader(hex(bad)), null, bad);
    }
  });

  test('out-of-range values are refused', () => {
    assert.throws(() => encodeHeader(-1n, 0n));
    assert.throws(() => encodeHeader(0n, 1n << 64n));
  });
});

describe('RFC 9605 C.2 AES-CTR + HMAC AEAD', () => {
  for (const v of V.aead) {
    test(`suite ${v.cipher_suite}`, async () => {
      const aead = await importAead(suiteOf(v.cipher_suite), hex(v.key));
      assert.equal(v.key, v.enc_key + v.auth_key); // derive_subkeys splits at Nka
      assert.equal(toHex(await aead.encrypt(hex(v.nonce), hex(v.aad), hex(v.pt))), v.ct);
      assert.equal(toHex(await aead.decrypt(hex(v.nonce), hex(v.aad), hex(v.ct))), v.pt);
      const bad = hex(v.ct);
      bad[bad.length - 1]! ^= 1;
      await assert.rejects(aead.decrypt(hex(v.nonce), hex(v.aad), bad));
      await assert.rejects(aead.decrypt(hex(v.nonce), hex(v.aad + '00'), hex(v.ct)));
    });
  }
});

describe('RFC 9605 C.3 SFrame encryption', () => {
  for (const v of V.sframe) {
    test(`suite ${v.cipher_suite}`, async () => {
      const suite = suiteOf(v.cipher_suite);
      const kid = big(v.kid);
      const ctr = big(v.ctr);
      assert.equal(toHex(keyLabel(kid, suite)), v.sframe_key_label);
      assert.equal(toHex(saltLabel(kid, suite)), v.sframe_salt_label);
      const m = await deriveKeyMaterial(suite, kid, hex(v.base_key));
      assert.equal(toHex(m.secret), v.sframe_secret);
      assert.equal(toHex(m.key), v.sframe_key);
      assert.equal(toHex(m.salt), v.sframe_salt);
      assert.equal(toHex(makeNonce(m.salt, ctr)), v.nonce);
      assert.equal(toHex(encodeHeader(kid, ctr)) + v.metadata, v.aad);

      const key = await importSFrameKey(suite, kid, hex(v.base_key));
      assert.equal(toHex(await encrypt(key, ctr, hex(v.metadata), hex(v.pt))), v.ct);
      const opened = await decrypt((k) => (k === kid ? key : undefined), hex(v.metadata), hex(v.ct));
      assert.equal(toHex(opened.plaintext), v.pt);
      assert.equal(opened.kid, kid);
      assert.equal(opened.ctr, ctr);
    });
  }
});

describe('SFrame properties', () => {
  const v4 = V.sframe.find((v) => v.cipher_suite === '0004')!;
  const kid = big(v4.kid);

  test('HKDF matches WebCrypto HKDF', async () => {
    const ikm = hex(v4.base_key);
    const info = keyLabel(kid, 4);
    const ours = await hkdfExpand('SHA-256', await hkdfExtract('SHA-256', ikm), info, 48);
    const base = await crypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
    const theirs = new Uint8Array(await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info }, base, 48 * 8));
    assert.equal(toHex(ours), toHex(theirs));
  });

  test('any flipped bit fails authentication', async () => {
    const key = await importSFrameKey(4, kid, hex(v4.base_key));
    const ct = hex(v4.ct);
    for (let i = 5; i < ct.length; i++) {
      const bad = ct.slice();
      bad[i]! ^= 0x10;
      await assert.rejects(decrypt(() => key, hex(v4.metadata), bad), `byte ${i}`);
    }
    const meta = hex(v4.metadata);
    meta[0]! ^= 1;
    await assert.rejects(decrypt(() => key, meta, ct), 'metadata is authenticated');
  });

  test('a changed counter in the header fails', async () => {
    const key = await importSFrameKey(4, kid, hex(v4.base_key));
    const ct = hex(v4.ct);
    ct[4]! ^= 1; // the CTR's last byte
    await assert.rejects(decrypt(() => key, hex(v4.metadata), ct));
  });

  test('unknown KID is reported as such', async () => {
    try {
      await decrypt(() => undefined, hex(v4.metadata), hex(v4.ct));
      assert.fail('decrypted without a key');
    } catch (e) {
      assert.ok(e instanceof SFrameError);
      assert.equal((e as SFrameError).reason, 'unknown_kid');
      assert.equal((e as SFrameError).kid, kid);
    }
  });

  test('a sender never repeats a counter', async () => {
    const key = await importSFrameKey(4, 7n, hex(v4.base_key));
    const s = new SFrameSender(key);
    const frames = await Promise.all([1, 2, 3].map(() => s.encrypt(new Uint8Array(0), hex('00'))));
    assert.deepEqual(frames.map((f) => decodeHeader(f)?.ctr), [0n, 1n, 2n]);
    assert.equal(s.nextCounter, 3n);
  });

  test('ratchet is HKDF with the RFC label and Nh bytes', async () => {
    const next = await ratchetBaseKey(4, hex(v4.base_key));
    assert.equal(next.length, 32);
    const prk = await hkdfExtract('SHA-256', hex(v4.base_key));
    assert.equal(toHex(next), toHex(await hkdfExpand('SHA-256', prk, new TextEncoder().encode('SFrame 1.0 Ratchet'), 32)));
    assert.notEqual(toHex(next), toHex(await ratchetBaseKey(4, next)));
  });
});

describe('ReplayWindow', () => {
  test('refuses repeats and counters older than the window', () => {
    const w = new ReplayWindow(64);
    assert.ok(w.accept(0n));
    assert.ok(!w.accept(0n));
    assert.ok(w.accept(5n));
    assert.ok(w.accept(3n), 'late but inside the window');
    assert.ok(!w.accept(3n));
    assert.ok(w.accept(100n));
    assert.ok(!w.check(36n), 'exactly one window behind');
    assert.ok(w.check(37n));
    assert.ok(!w.accept(100n));
    assert.ok(w.accept(99n));
    assert.ok(w.accept(1000n), 'a jump clears the window');
    assert.ok(w.accept(999n));
    assert.ok(!w.accept(999n));
  });
});
