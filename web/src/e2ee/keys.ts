// Key management for end-to-end encrypted meetings (docs/e2ee.md).
//
// Each participant makes an ephemeral ECDH P-256 identity key pair for the
// stay in the meeting; the private half is non-extractable and never leaves
// the browser. Each sender has its own random SFrame base key ("sender
// key", RFC 9605 §5.1), sent to every other participant wrapped under a key
// only the two of them can compute (ECDH → HKDF → AES-GCM, both participant
// IDs and both public keys bound in). The server relays public keys and
// wrapped keys and can open neither. A safety code over all public keys
// lets people check, out of band, that the server substituted none.

import { type Bytes, type CipherSuite, DEFAULT_SUITE, ratchetBaseKey } from './sframe';

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;
const utf8 = new TextEncoder();

/** Bytes in a sender key's base key: Nh of SHA-256, the RFC's ratchet output size. */
export const BASE_KEY_BYTES = 32;

/**
 * KID layout (RFC 9605 §5.1): KID = (generation << RATCHET_BITS) + step.
 * Four bits keep the first generations' KIDs in one header byte; a sender
 * re-keys (new generation) before its step would wrap.
 */
export const RATCHET_BITS = 4;
export const MAX_RATCHET_STEP = (1 << RATCHET_BITS) - 1;

export function composeKid(generation: number, step: number): bigint {
  if (!Number.isInteger(generation) || generation < 0 || generation > 0xffffffff) throw new RangeError('generation out of range');
  if (!Number.isInteger(step) || step < 0 || step > MAX_RATCHET_STEP) throw new RangeError('ratchet step out of range');
  return (BigInt(generation) << BigInt(RATCHET_BITS)) | BigInt(step);
}

export function splitKid(kid: bigint): { generation: number; step: number } | null {
  const generation = kid >> BigInt(RATCHET_BITS);
  if (generation > 0xffffffffn) return null;
  return { generation: Number(generation), step: Number(kid & BigInt(MAX_RATCHET_STEP)) };
}

/** One sender's key at one ratchet step. baseKey is secret: never log or persist it. */
export interface SenderKey {
  generation: number;
  step: number;
  baseKey: Bytes;
}

export function senderKeyKid(k: SenderKey): bigint {
  return composeKid(k.generation, k.step);
}

/** newSenderKey draws a fresh base key for generation (step 0). */
export function newSenderKey(generation: number): SenderKey {
  composeKid(generation, 0); // range check
  return { generation, step: 0, baseKey: globalThis.crypto.getRandomValues(new Uint8Array(BASE_KEY_BYTES)) };
}

/** ratchet moves a sender key one step forward (RFC 9605 §5.1); the old base key cannot be recomputed from the new one. */
export async function ratchet(k: SenderKey, suite: CipherSuite = DEFAULT_SUITE): Promise<SenderKey> {
  if (k.step >= MAX_RATCHET_STEP) throw new RangeError('ratchet step exhausted; start a new generation');
  return { generation: k.generation, step: k.step + 1, baseKey: await ratchetBaseKey(suite, k.baseKey) };
}

// ---- Identity key pairs (ECDH P-256) ----

export interface Identity {
  /** Non-extractable: ECDH only. */
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public key as SubjectPublicKeyInfo bytes: what is published. */
  spki: Bytes;
}

const ECDH = { name: 'ECDH', namedCurve: 'P-256' } as const;

/** newIdentity makes the ephemeral key pair for one stay in a meeting. */
export async function newIdentity(): Promise<Identity> {
  const pair = (await subtle().generateKey(ECDH, false, ['deriveBits'])) as CryptoKeyPair;
  const spki = new Uint8Array(await subtle().exportKey('spki', pair.publicKey));
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, spki };
}

/** importPublicKey checks that spki is a P-256 point (importKey validates it) and imports it. */
export function importPublicKey(spki: Bytes): Promise<CryptoKey> {
  return subtle().importKey('spki', spki, ECDH, true, []);
}

// ---- Wrapping sender keys ----

/** WRAP_VERSION is the first byte of a wrapped key, so the format can change. */
export const WRAP_VERSION = 1;
const WRAP_LABEL = 'conclave e2ee sender key wrap v1';

/** Length-prefixed concatenation, so that no two field lists encode alike (also chat.ts). */
export function fields(...parts: (string | Uint8Array)[]): Bytes {
  const enc = parts.map((p) => (typeof p === 'string' ? utf8.encode(p) : p));
  const out = new Uint8Array(enc.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const p of enc) {
    view.setUint32(at, p.length);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

export interface WrapParties {
  /** The meeting (or any string both sides agree on), so a wrapped key cannot be replayed into another meeting. */
  context: string;
  from: string;
  to: string;
  fromSpki: Bytes;
  toSpki: Bytes;
}

/**
 * The wrapping key for one direction: ECDH gives both sides the same secret,
 * HKDF binds it to who sends to whom and their exact public keys, so a key
 * wrapped A → B only opens as A → B.
 */
async function wrappingKey(own: Identity, peerSpki: Bytes, p: WrapParties): Promise<CryptoKey> {
  const peer = await importPublicKey(peerSpki);
  const shared = new Uint8Array(await subtle().deriveBits({ name: 'ECDH', public: peer }, own.privateKey, 256));
  const ikm = await subtle().importKey('raw', shared, 'HKDF', false, ['deriveKey']);
  shared.fill(0);
  return subtle().deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32), info: fields(WRAP_LABEL, p.context, p.from, p.to, p.fromSpki, p.toSpki) },
    ikm,
    { name: 'AES-GCM', length: 128 },
    false,
    ['encrypt', 'decrypt'],
  );
}

function wrapAad(p: WrapParties): Bytes {
  return fields(WRAP_LABEL, p.context, p.from, p.to);
}

/**
 * wrapSenderKey encrypts key for the participant p.to (whose public key is
 * p.toSpki); own is the sender's identity, whose public key is p.fromSpki.
 * Output: version (1) | IV (12) | AES-GCM(generation u32 | step u8 | base key).
 */
export async function wrapSenderKey(own: Identity, key: SenderKey, p: WrapParties): Promise<Bytes> {
  const wk = await wrappingKey(own, p.toSpki, p);
  const plain = new Uint8Array(5 + key.baseKey.length);
  new DataView(plain.buffer).setUint32(0, key.generation);
  plain[4] = key.step;
  plain.set(key.baseKey, 5);
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: wrapAad(p) }, wk, plain));
  plain.fill(0);
  const out = new Uint8Array(1 + iv.length + ct.length);
  out[0] = WRAP_VERSION;
  out.set(iv, 1);
  out.set(ct, 1 + iv.length);
  return out;
}

export class UnwrapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnwrapError';
  }
}

/**
 * unwrapSenderKey opens a key that p.from wrapped for p.to (own is p.to's
 * identity). It throws UnwrapError when the bytes were altered, were meant
 * for someone else, or name other parties or public keys.
 */
export async function unwrapSenderKey(own: Identity, wrapped: Uint8Array, p: WrapParties): Promise<SenderKey> {
  if (wrapped.length < 1 + 12 + 16 + 5 || wrapped[0] !== WRAP_VERSION) throw new UnwrapError('malformed wrapped key');
  const wk = await wrappingKey(own, p.fromSpki, p);
  let plain: Bytes;
  try {
    plain = new Uint8Array(
      await subtle().decrypt({ name: 'AES-GCM', iv: wrapped.slice(1, 13), additionalData: wrapAad(p) }, wk, wrapped.slice(13)),
    );
  } catch {
    throw new UnwrapError('wrapped key did not authenticate');
  }
  const generation = new DataView(plain.buffer).getUint32(0);
  const step = plain[4]!;
  if (step > MAX_RATCHET_STEP || plain.length !== 5 + BASE_KEY_BYTES) throw new UnwrapError('malformed sender key');
  return { generation, step, baseKey: plain.slice(5) };
}

// ---- Encoding for the signalling protocol ----

export function toBase64url(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** fromBase64url returns null for anything that is not unpadded base64url. */
export function fromBase64url(s: string): Bytes | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return null;
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

// ---- Safety code ----

export const SAFETY_CODE_GROUPS = 5;

/**
 * safetyCode turns everyone's public keys into a code people compare by
 * reading it aloud: 5 groups of 4 digits (about 66 bits). It hashes the
 * participant IDs in code-unit order (not locale order, which differs
 * between browsers) with their keys, length-prefixed, so the code depends
 * on the set alone. If the server gave anyone a different key for anyone,
 * the sets differ and so do the codes.
 */
export async function safetyCode(publicKeys: ReadonlyMap<string, Uint8Array>): Promise<string> {
  const ids = [...publicKeys.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: (string | Uint8Array)[] = ['conclave e2ee safety code v1'];
  for (const id of ids) parts.push(id, publicKeys.get(id)!);
  const digest = new DataView(await subtle().digest('SHA-256', fields(...parts)));
  const groups: string[] = [];
  for (let i = 0; i < SAFETY_CODE_GROUPS; i++) {
    // 2^32 mod 10^4 leaves a bias below one in 400 000 per group.
    groups.push(String(digest.getUint32(i * 4) % 10000).padStart(4, '0'));
  }
  return groups.join(' ');
}

// ---- Key changes ----

export type KeyObservation = 'new' | 'same' | 'changed';

/**
 * KeyDirectory remembers the first public key seen for each participant in
 * this meeting. A different key later for the same participant ID is
 * either a rejoin on a new page or the server substituting keys; the UI
 * cannot tell which, so it flags the participant to everyone (docs/e2ee.md).
 * The flag stays until the meeting ends.
 */
export class KeyDirectory {
  private readonly keys = new Map<string, Bytes>();
  private readonly changedIds = new Set<string>();

  observe(participant: string, spki: Uint8Array): KeyObservation {
    const had = this.keys.get(participant);
    const copy = Uint8Array.from(spki);
    if (!had) {
      this.keys.set(participant, copy);
      return 'new';
    }
    if (equalBytes(had, spki)) return 'same';
    this.keys.set(participant, copy);
    this.changedIds.add(participant);
    return 'changed';
  }

  /** forget drops a participant who left; their ID keeps its changed flag. */
  forget(participant: string): void {
    this.keys.delete(participant);
  }

  key(participant: string): Bytes | undefined {
    return this.keys.get(participant);
  }

  changed(participant: string): boolean {
    return this.changedIds.has(participant);
  }

  /** The current keys, for safetyCode. */
  snapshot(): Map<string, Bytes> {
    return new Map(this.keys);
  }
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

// ---- Rotation policy ----

/** A fresh sender key (new generation) at least this often, whatever happens. */
export const REKEY_INTERVAL_MS = 60 * 60 * 1000;
/** The key ratchets forward this often (forward secrecy, no messages needed). */
export const RATCHET_INTERVAL_MS = 10 * 60 * 1000;
/**
 * How long a sender keeps encrypting with the previous key after sending a
 * new one, so receivers have it before the first frame needs it.
 */
export const KEY_SWITCH_DELAY_MS = 1500;
/** How long a receiver keeps a superseded key for frames still in flight. */
export const OLD_KEY_GRACE_MS = 10 * 1000;

export type RotationAction = { kind: 'rekey'; reason: 'join' | 'leave' | 'schedule' | 'exhausted' } | { kind: 'ratchet' } | { kind: 'none' };

/**
 * KeySchedule decides when a sender rotates its key: a new generation when
 * anyone joins (they must not read what was said before) or leaves (they
 * must not read what is said after), and on a timer; a ratchet step in
 * between. It only decides; the caller makes, wraps and installs keys.
 */
export class KeySchedule {
  private members = new Set<string>();
  private generationStart: number;
  private lastRatchet: number;
  private step = 0;

  constructor(
    now: number,
    private readonly rekeyMs = REKEY_INTERVAL_MS,
    private readonly ratchetMs = RATCHET_INTERVAL_MS,
  ) {
    this.generationStart = now;
    this.lastRatchet = now;
  }

  /**
   * membership takes the other participants now present and says whether
   * the set changed in a way that needs a new key. Leaves win over joins:
   * both need a new generation, and leaving is the stronger reason to say.
   */
  membership(others: Iterable<string>, now: number): RotationAction {
    const next = new Set(others);
    let joined = false;
    let left = false;
    for (const id of next) if (!this.members.has(id)) joined = true;
    for (const id of this.members) if (!next.has(id)) left = true;
    this.members = next;
    if (left) return this.rekeyed(now, 'leave');
    if (joined) return this.rekeyed(now, 'join');
    return { kind: 'none' };
  }

  /** tick is called periodically (e.g. every 10 s). */
  tick(now: number): RotationAction {
    if (now - this.generationStart >= this.rekeyMs) return this.rekeyed(now, 'schedule');
    if (now - this.lastRatchet >= this.ratchetMs) {
      if (this.step >= MAX_RATCHET_STEP) return this.rekeyed(now, 'exhausted');
      this.step++;
      this.lastRatchet = now;
      return { kind: 'ratchet' };
    }
    return { kind: 'none' };
  }

  private rekeyed(now: number, reason: 'join' | 'leave' | 'schedule' | 'exhausted'): RotationAction {
    this.generationStart = now;
    this.lastRatchet = now;
    this.step = 0;
    return { kind: 'rekey', reason };
  }
}
