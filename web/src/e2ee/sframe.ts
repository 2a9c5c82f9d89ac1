// SFrame (RFC 9605): the end-to-end encryption of one media frame.
//
// A protected frame is an SFrame header (KID and CTR, §4.3) followed by the
// AEAD output; the header and any application metadata are the AAD. Key and
// salt come from a base key through HKDF (§4.4.2), the nonce is the salt
// XOR the counter (§4.4.3). Only WebCrypto (crypto.subtle) does cryptography
// here: no third-party code, so the bundle stays ours (cmd/buildweb refuses
// other imports) and the primitives are the browser's own, constant time.
//
// Every cipher suite of RFC 9605 §4.5 is implemented because WebCrypto has
// all their parts (AES-GCM, AES-CTR, HMAC, SHA-256/512); Conclave uses
// AES_128_GCM_SHA256_128 (DEFAULT_SUITE). Checked against the RFC's
// Appendix C vectors by web/test/e2ee/sframe.test.ts.

/** Bytes backed by a plain ArrayBuffer, which is what WebCrypto accepts. */
export type Bytes = Uint8Array<ArrayBuffer>;

/** RFC 9605 §8.1 cipher suite identifiers. */
export const AES_128_CTR_HMAC_SHA256_80 = 0x0001;
export const AES_128_CTR_HMAC_SHA256_64 = 0x0002;
export const AES_128_CTR_HMAC_SHA256_32 = 0x0003;
export const AES_128_GCM_SHA256_128 = 0x0004;
export const AES_256_GCM_SHA512_128 = 0x0005;

export type CipherSuite =
  | typeof AES_128_CTR_HMAC_SHA256_80
  | typeof AES_128_CTR_HMAC_SHA256_64
  | typeof AES_128_CTR_HMAC_SHA256_32
  | typeof AES_128_GCM_SHA256_128
  | typeof AES_256_GCM_SHA512_128;

/** The suite Conclave sends with: full 128-bit tags, one AES-GCM call per frame. */
export const DEFAULT_SUITE: CipherSuite = AES_128_GCM_SHA256_128;

/** The constants of RFC 9605 Table 1. nka is set for the AES-CTR + HMAC suites only. */
export interface SuiteParams {
  hash: 'SHA-256' | 'SHA-512';
  nh: number; // hash output size
  nk: number; // AEAD key size (for CTR suites: nka + nh)
  nka: number; // AES key size inside the CTR suites; 0 for GCM
  nn: number; // nonce size
  nt: number; // tag size
}

const SUITES: Record<CipherSuite, SuiteParams> = {
  [AES_128_CTR_HMAC_SHA256_80]: { hash: 'SHA-256', nh: 32, nk: 48, nka: 16, nn: 12, nt: 10 },
  [AES_128_CTR_HMAC_SHA256_64]: { hash: 'SHA-256', nh: 32, nk: 48, nka: 16, nn: 12, nt: 8 },
  [AES_128_CTR_HMAC_SHA256_32]: { hash: 'SHA-256', nh: 32, nk: 48, nka: 16, nn: 12, nt: 4 },
  [AES_128_GCM_SHA256_128]: { hash: 'SHA-256', nh: 32, nk: 16, nka: 0, nn: 12, nt: 16 },
  [AES_256_GCM_SHA512_128]: { hash: 'SHA-512', nh: 64, nk: 32, nka: 0, nn: 12, nt: 16 },
};

export function suiteParams(suite: CipherSuite): SuiteParams {
  const p = SUITES[suite];
  if (!p) throw new RangeError(`unknown SFrame cipher suite ${suite}`);
  return p;
}

/** Why a frame could not be opened; the reason is safe to report (no key material). */
export type SFrameFailure = 'malformed' | 'unknown_kid' | 'auth' | 'replay';

export class SFrameError extends Error {
  constructor(
    readonly reason: SFrameFailure,
    readonly kid?: bigint,
  ) {
    super(`sframe: ${reason}`);
    this.name = 'SFrameError';
  }
}

const MAX_U64 = (1n << 64n) - 1n;

function subtle(): SubtleCrypto {
  // Workers and pages both have it in secure contexts; Node 19+ too (tests).
  return globalThis.crypto.subtle;
}

// ---- Header (RFC 9605 §4.3) ----

/** Big-endian bytes of v, minimal length (1 for 0). */
function minimalBytes(v: bigint): number[] {
  const out: number[] = [];
  do {
    out.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  return out;
}

/**
 * encodeHeader writes the SFrame header for kid and ctr: a config byte
 * X|KKK|Y|CCC, then the KID and CTR that do not fit in three bits, each in
 * the fewest big-endian bytes, KID first.
 */
export function encodeHeader(kid: bigint, ctr: bigint): Bytes {
  if (kid < 0n || kid > MAX_U64 || ctr < 0n || ctr > MAX_U64) throw new RangeError('sframe: KID and CTR are 64-bit unsigned');
  let config = 0;
  const tail: number[] = [];
  if (kid < 8n) {
    config |= Number(kid) << 4;
  } else {
    const b = minimalBytes(kid);
    config |= 0x80 | ((b.length - 1) << 4);
    tail.push(...b);
  }
  if (ctr < 8n) {
    config |= Number(ctr);
  } else {
    const b = minimalBytes(ctr);
    config |= 0x08 | (b.length - 1);
    tail.push(...b);
  }
  return Uint8Array.from([config, ...tail]);
}

export interface Header {
  kid: bigint;
  ctr: bigint;
  /** Encoded length: the ciphertext starts here. */
  length: number;
}

function readBig(buf: Uint8Array, at: number, len: number): bigint | null {
  if (at + len > buf.length) return null;
  // The RFC demands the minimal encoding; refusing others keeps one frame
  // from having two valid spellings.
  if (len > 1 && buf[at] === 0) return null;
  let v = 0n;
  for (let i = 0; i < len; i++) v = (v << 8n) | BigInt(buf[at + i]!);
  return v;
}

/** decodeHeader parses the header at the start of buf, or returns null when it is truncated or not minimal. */
export function decodeHeader(buf: Uint8Array): Header | null {
  if (buf.length < 1) return null;
  const config = buf[0]!;
  let at = 1;
  let kid: bigint;
  if (config & 0x80) {
    const len = ((config >> 4) & 0x07) + 1;
    const v = readBig(buf, at, len);
    if (v === null || v < 8n) return null;
    kid = v;
    at += len;
  } else {
    kid = BigInt((config >> 4) & 0x07);
  }
  let ctr: bigint;
  if (config & 0x08) {
    const len = (config & 0x07) + 1;
    const v = readBig(buf, at, len);
    if (v === null || v < 8n) return null;
    ctr = v;
    at += len;
  } else {
    ctr = BigInt(config & 0x07);
  }
  return { kid, ctr, length: at };
}

// ---- Key derivation (RFC 9605 §4.4.2), HKDF (RFC 5869) on HMAC ----

function concat(...parts: Uint8Array[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u64(v: bigint): Bytes {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v);
  return out;
}

function u16(v: number): Bytes {
  return Uint8Array.of(v >> 8, v & 0xff);
}

const utf8 = new TextEncoder();

async function hmac(hash: SuiteParams['hash'], key: Bytes, data: Bytes): Promise<Bytes> {
  const k = await subtle().importKey('raw', key, { name: 'HMAC', hash }, false, ['sign']);
  return new Uint8Array(await subtle().sign('HMAC', k, data));
}

/**
 * HKDF-Extract with an empty salt. RFC 5869 makes an absent salt HashLen
 * zero bytes, which HMAC pads to the same block as an empty key; the zeros
 * are used because some WebCrypto engines refuse zero-length HMAC keys.
 */
export function hkdfExtract(hash: SuiteParams['hash'], ikm: Bytes): Promise<Bytes> {
  return hmac(hash, new Uint8Array(hash === 'SHA-256' ? 32 : 64), ikm);
}

/** HKDF-Expand (RFC 5869 §2.3). */
export async function hkdfExpand(hash: SuiteParams['hash'], prk: Bytes, info: Bytes, length: number): Promise<Bytes> {
  const out = new Uint8Array(length);
  let t: Bytes = new Uint8Array(0);
  for (let i = 1, at = 0; at < length; i++) {
    t = await hmac(hash, prk, concat(t, info, Uint8Array.of(i)));
    out.set(t.subarray(0, Math.min(t.length, length - at)), at);
    at += t.length;
  }
  return out;
}

export interface KeyMaterial {
  secret: Bytes; // sframe_secret
  key: Bytes; // sframe_key
  salt: Bytes; // sframe_salt
}

/** The labels of RFC 9605 §4.4.2: "SFrame 1.0 Secret key " / "salt " + KID (8 bytes) + suite (2 bytes). */
export function keyLabel(kid: bigint, suite: CipherSuite): Bytes {
  return concat(utf8.encode('SFrame 1.0 Secret key '), u64(kid), u16(suite));
}

export function saltLabel(kid: bigint, suite: CipherSuite): Bytes {
  return concat(utf8.encode('SFrame 1.0 Secret salt '), u64(kid), u16(suite));
}

/**
 * deriveKeyMaterial is derive_key_salt of RFC 9605 §4.4.2. The bytes it
 * returns are secret: callers import them (importKey) and drop them; only
 * tests look at them.
 */
export async function deriveKeyMaterial(suite: CipherSuite, kid: bigint, baseKey: Bytes): Promise<KeyMaterial> {
  const p = suiteParams(suite);
  const secret = await hkdfExtract(p.hash, baseKey);
  const key = await hkdfExpand(p.hash, secret, keyLabel(kid, suite), p.nk);
  const salt = await hkdfExpand(p.hash, secret, saltLabel(kid, suite), p.nn);
  return { secret, key, salt };
}

/** The sender-key ratchet of RFC 9605 §5.1: HKDF-Expand(HKDF-Extract("", base_key), "SFrame 1.0 Ratchet", Nh). */
export async function ratchetBaseKey(suite: CipherSuite, baseKey: Bytes): Promise<Bytes> {
  const p = suiteParams(suite);
  return hkdfExpand(p.hash, await hkdfExtract(p.hash, baseKey), utf8.encode('SFrame 1.0 Ratchet'), p.nh);
}

// ---- AEAD (RFC 9605 §4.5) ----

/** An AEAD whose key lives only inside WebCrypto (non-extractable). */
export interface Aead {
  readonly suite: CipherSuite;
  encrypt(nonce: Bytes, aad: Bytes, plaintext: Uint8Array): Promise<Bytes>;
  /** Rejects (SFrameError 'auth') when the tag does not verify. */
  decrypt(nonce: Bytes, aad: Bytes, ciphertext: Uint8Array): Promise<Bytes>;
}

/** importAead makes the AEAD of suite from raw key bytes (AEAD.Nk of them). */
export async function importAead(suite: CipherSuite, key: Bytes): Promise<Aead> {
  const p = suiteParams(suite);
  if (key.length !== p.nk) throw new RangeError(`sframe: suite ${suite} needs a ${p.nk}-byte key`);
  if (p.nka === 0) {
    const k = await subtle().importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']);
    return {
      suite,
      async encrypt(nonce, aad, plaintext) {
        return new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 }, k, plaintext as Bytes));
      },
      async decrypt(nonce, aad, ciphertext) {
        if (ciphertext.length < p.nt) throw new SFrameError('malformed');
        try {
          return new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 }, k, ciphertext as Bytes));
        } catch {
          throw new SFrameError('auth');
        }
      },
    };
  }
  return importCtrHmac(suite, p, key);
}

async function importCtrHmac(suite: CipherSuite, p: SuiteParams, key: Bytes): Promise<Aead> {
  // derive_subkeys: the first Nka bytes encrypt, the remaining Nh authenticate.
  const encKey = await subtle().importKey('raw', key.slice(0, p.nka), 'AES-CTR', false, ['encrypt']);
  const authKey = await subtle().importKey('raw', key.slice(p.nka), { name: 'HMAC', hash: p.hash }, false, ['sign', 'verify']);
  // The initial counter block is the nonce and four zero bytes; AES-CTR
  // increments those last 32 bits.
  const ctr = (nonce: Bytes, data: Uint8Array) =>
    subtle().encrypt({ name: 'AES-CTR', counter: concat(nonce, new Uint8Array(4)), length: 32 }, encKey, data as Bytes);
  const authData = (nonce: Bytes, aad: Bytes, ct: Uint8Array) =>
    concat(u64(BigInt(aad.length)), u64(BigInt(ct.length)), u64(BigInt(p.nt)), nonce, aad, ct);
  return {
    suite,
    async encrypt(nonce, aad, plaintext) {
      const ct = new Uint8Array(await ctr(nonce, plaintext));
      const tag = new Uint8Array(await subtle().sign('HMAC', authKey, authData(nonce, aad, ct)));
      return concat(ct, tag.subarray(0, p.nt));
    },
    async decrypt(nonce, aad, ciphertext) {
      if (ciphertext.length < p.nt) throw new SFrameError('malformed');
      const inner = ciphertext.subarray(0, ciphertext.length - p.nt);
      const tag = ciphertext.subarray(ciphertext.length - p.nt);
      // WebCrypto can only verify a full-length HMAC, so the truncated tag
      // is compared here, without an early exit on the first difference.
      const want = new Uint8Array(await subtle().sign('HMAC', authKey, authData(nonce, aad, inner)));
      let diff = 0;
      for (let i = 0; i < p.nt; i++) diff |= want[i]! ^ tag[i]!;
      if (diff !== 0) throw new SFrameError('auth');
      return new Uint8Array(await ctr(nonce, inner));
    },
  };
}

// ---- Keys and frames (RFC 9605 §4.4.3, §4.4.4) ----

/** The imported key and salt for one KID. Holds no raw key bytes. */
export interface SFrameKey {
  readonly kid: bigint;
  readonly suite: CipherSuite;
  readonly salt: Bytes;
  readonly aead: Aead;
}

/** importSFrameKey derives sframe_key and sframe_salt for kid from baseKey and imports them. */
export async function importSFrameKey(suite: CipherSuite, kid: bigint, baseKey: Bytes): Promise<SFrameKey> {
  const m = await deriveKeyMaterial(suite, kid, baseKey);
  const aead = await importAead(suite, m.key);
  m.key.fill(0);
  m.secret.fill(0);
  return { kid, suite, salt: m.salt, aead };
}

/** nonce = salt XOR CTR, the counter big-endian in the nonce's last bytes. */
export function makeNonce(salt: Bytes, ctr: bigint): Bytes {
  const nonce = salt.slice();
  let v = ctr;
  for (let i = nonce.length - 1; i >= 0 && v > 0n; i--) {
    nonce[i]! ^= Number(v & 0xffn);
    v >>= 8n;
  }
  return nonce;
}

/**
 * encrypt is RFC 9605's encrypt(CTR, KID, metadata, plaintext): it returns
 * header + AEAD ciphertext, with header + metadata as the AAD. The caller
 * must never use a (KID, CTR) pair twice (SFrameSender does that).
 */
export async function encrypt(key: SFrameKey, ctr: bigint, metadata: Uint8Array, plaintext: Uint8Array): Promise<Bytes> {
  const header = encodeHeader(key.kid, ctr);
  const ct = await key.aead.encrypt(makeNonce(key.salt, ctr), concat(header, metadata), plaintext);
  return concat(header, ct);
}

export interface Opened {
  kid: bigint;
  ctr: bigint;
  plaintext: Bytes;
}

/**
 * decrypt is RFC 9605's decrypt(metadata, sframe_ciphertext). lookup maps a
 * KID to its key (undefined: unknown); it may be async so that a receiver
 * can ratchet forward on demand. Failures throw SFrameError.
 */
export async function decrypt(
  lookup: (kid: bigint) => SFrameKey | undefined | Promise<SFrameKey | undefined>,
  metadata: Uint8Array,
  sframe: Uint8Array,
): Promise<Opened> {
  const h = decodeHeader(sframe);
  if (!h) throw new SFrameError('malformed');
  const key = await lookup(h.kid);
  if (!key) throw new SFrameError('unknown_kid', h.kid);
  const header = sframe.subarray(0, h.length);
  const plaintext = await key.aead.decrypt(makeNonce(key.salt, h.ctr), concat(header, metadata), sframe.subarray(h.length));
  return { kid: h.kid, ctr: h.ctr, plaintext };
}

/**
 * SFrameSender owns the counter of one sending key. The counter is taken
 * synchronously before any await, so concurrent frames (audio, camera,
 * screen, every simulcast layer) sharing the key never share a nonce.
 */
export class SFrameSender {
  private ctr = 0n;
  constructor(readonly key: SFrameKey) {}

  /** The next counter value that will be used (for tests and reports). */
  get nextCounter(): bigint {
    return this.ctr;
  }

  encrypt(metadata: Uint8Array, plaintext: Uint8Array): Promise<Bytes> {
    if (this.ctr > MAX_U64) return Promise.reject(new RangeError('sframe: counter exhausted; re-key'));
    const ctr = this.ctr++;
    return encrypt(this.key, ctr, metadata, plaintext);
  }
}

/**
 * ReplayWindow refuses a counter seen before, or older than the window,
 * for one KID (RFC 9605 §9.3 leaves replay protection to the application).
 * The window is wide because one key's counters are shared by audio, video
 * and screen frames that reach the receiver with different delays.
 */
export class ReplayWindow {
  private top = -1n; // highest counter accepted
  private readonly bits: Uint32Array;

  constructor(readonly size = 4096) {
    if (size % 32 !== 0 || size <= 0) throw new RangeError('replay window size must be a positive multiple of 32');
    this.bits = new Uint32Array(size / 32);
  }

  private index(ctr: bigint): [number, number] {
    const i = Number(ctr % BigInt(this.size));
    return [i >> 5, 1 << (i & 31)];
  }

  /** check reports whether ctr would be accepted, without recording it (call before decrypting). */
  check(ctr: bigint): boolean {
    if (ctr > this.top) return true;
    if (this.top - ctr >= BigInt(this.size)) return false;
    const [w, m] = this.index(ctr);
    return (this.bits[w]! & m) === 0;
  }

  /** accept records ctr once its frame authenticated; false if it was a replay. */
  accept(ctr: bigint): boolean {
    if (!this.check(ctr)) return false;
    if (ctr > this.top) {
      // Clear the slots the window slides past.
      const steps = this.top < 0n ? BigInt(this.size) : ctr - this.top;
      if (steps >= BigInt(this.size)) this.bits.fill(0);
      else for (let c = this.top + 1n; c <= ctr; c++) {
        const [w, m] = this.index(c);
        this.bits[w]! &= ~m;
      }
      this.top = ctr;
    }
    const [w, m] = this.index(ctr);
    this.bits[w]! |= m;
    return true;
  }
}
