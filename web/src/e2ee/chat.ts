// End-to-end encrypted chat (docs/e2ee.md, "Chat"): the sealed message
// format, and sealing and opening it. Keys come from e2eechat.ts.
//
// Two kinds of message, both AES-256-GCM over the text padded to a
// multiple of PAD_BLOCK bytes (so that the server learns the length only
// roughly):
//
// * To everyone (KIND_SENDER): under a chat key derived with HKDF from
//   the sender's media sender key (generation and step in the header), so
//   that exactly the people who may decrypt the sender's media now may
//   read it: a newcomer cannot read what was written before they joined,
//   a leaver cannot read what is written after.
// * To chosen people (KIND_RECIPIENTS): under a fresh random message key,
//   wrapped for each recipient under a key only the sender and that
//   recipient can compute (ECDH of their identity keys, HKDF over the
//   meeting, both IDs and both public keys), and for the sender under a
//   key only the sender's page holds. The others, who hold the sender's
//   media key, cannot open it.
//
// The meeting, the sender (as the server stamps it) and the whole header
// (recipient list included) are authenticated: a message moved to another
// meeting or sender, or whose recipient list was changed, does not open.

import { type Identity, type SenderKey, fields, importPublicKey } from './keys';
import type { Bytes } from './sframe';

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;
const utf8 = new TextEncoder();

export const CHAT_VERSION = 1;
/** To everyone: the sender's media key, derived for chat. */
export const KIND_SENDER = 1;
/** To chosen people: a message key wrapped for each of them and the sender. */
export const KIND_RECIPIENTS = 2;
/** The padded text is a multiple of this many bytes. */
export const PAD_BLOCK = 64;
/** The server's limit on a decoded ciphertext (protocol.MaxChatCiphertext). */
export const MAX_CHAT_CIPHERTEXT = 16 << 10;
/** The longest text, in UTF-8 bytes (2000 characters of at most 4 bytes). */
export const MAX_TEXT_BYTES = 8000;
/** Wrapped message keys at most: 50 recipients and the sender. */
export const MAX_ENTRIES = 51;

const LABEL = 'conclave e2ee chat v1';
const SENDER_KEY_LABEL = 'conclave e2ee chat sender key v1';
const PAIR_LABEL = 'conclave e2ee chat pairwise v1';
const WRAP_LABEL = 'conclave e2ee chat key wrap v1';
const NONCE = 12;
const TAG = 16;
const MSG_KEY = 32;
const WRAPPED = MSG_KEY + TAG;
const SENDER_HEADER = 2 + 4 + 1 + NONCE;

export type ChatFailure = 'malformed' | 'not_for_me' | 'auth' | 'recipients';

export class ChatCryptoError extends Error {
  constructor(readonly reason: ChatFailure, message: string) {
    super(message);
    this.name = 'ChatCryptoError';
  }
}

/** Who a message is from, in which meeting: bound into every message. */
export interface ChatContext {
  meeting: string;
  /** The sender's participant ID, as the server stamps it. */
  from: string;
}

// ---- Padding ----

/** pad: UTF-8, then 0x80, then zeros up to a multiple of PAD_BLOCK (ISO/IEC 7816-4). */
export function pad(text: string): Bytes {
  const b = utf8.encode(text);
  if (b.length > MAX_TEXT_BYTES) throw new RangeError('chat text too long');
  const out = new Uint8Array(Math.ceil((b.length + 1) / PAD_BLOCK) * PAD_BLOCK);
  out.set(b);
  out[b.length] = 0x80;
  return out;
}

export function unpad(b: Uint8Array): string {
  let i = b.length - 1;
  while (i >= 0 && b[i] === 0) i--;
  if (i < 0 || b[i] !== 0x80) throw new ChatCryptoError('malformed', 'bad padding');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(0, i));
  } catch {
    throw new ChatCryptoError('malformed', 'text is not UTF-8');
  }
}

// ---- Keys ----

function aesKey(raw: Bytes, usages: KeyUsage[]): Promise<CryptoKey> {
  return subtle().importKey('raw', raw, { name: 'AES-GCM' }, false, usages);
}

async function hkdfAes(ikm: Bytes, info: Bytes): Promise<CryptoKey> {
  const base = await subtle().importKey('raw', ikm, 'HKDF', false, ['deriveKey']);
  return subtle().deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32), info }, base, { name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
}

/**
 * senderChatKey is the chat key of one sender key (generation, step): the
 * media base key through HKDF with its own label, so chat and media keys
 * never coincide, and bound to the meeting and the sender.
 */
export function senderChatKey(key: SenderKey, meeting: string, sender: string): Promise<CryptoKey> {
  return hkdfAes(key.baseKey, fields(SENDER_KEY_LABEL, meeting, sender, String(key.generation), String(key.step)));
}

/** The parties of a pairwise key, in the direction of the message. */
export interface PairParties {
  meeting: string;
  from: string;
  to: string;
  fromSpki: Bytes;
  toSpki: Bytes;
}

/**
 * pairwiseKey is the key that wraps message keys from p.from to p.to: both
 * compute it (ECDH), nobody else can. own is this page's identity, peerSpki
 * the other party's public key.
 */
export async function pairwiseKey(own: Identity, peerSpki: Bytes, p: PairParties): Promise<CryptoKey> {
  const peer = await importPublicKey(peerSpki);
  const shared = new Uint8Array(await subtle().deriveBits({ name: 'ECDH', public: peer }, own.privateKey, 256));
  try {
    return await hkdfAes(shared, fields(PAIR_LABEL, p.meeting, p.from, p.to, p.fromSpki, p.toSpki));
  } finally {
    shared.fill(0);
  }
}

/** newSelfKey is the key a page wraps its own private messages' keys with, so that it can show them. */
export function newSelfKey(): Promise<CryptoKey> {
  return subtle().generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']) as Promise<CryptoKey>;
}

// ---- Format ----

export type Sealed =
  | { kind: typeof KIND_SENDER; generation: number; step: number; nonce: Bytes; header: Bytes; body: Bytes }
  | { kind: typeof KIND_RECIPIENTS; entries: Entry[]; nonce: Bytes; header: Bytes; body: Bytes };

/** One wrapped message key: for whom, with which nonce. */
export interface Entry {
  id: string;
  nonce: Bytes;
  wrapped: Bytes;
}

/** parse reads a sealed message's header; ChatCryptoError('malformed') for anything else. */
export function parse(b: Uint8Array): Sealed {
  const bad = (why: string): never => {
    throw new ChatCryptoError('malformed', why);
  };
  if (b.length < 2 || b[0] !== CHAT_VERSION) bad('unknown version');
  if (b[1] === KIND_SENDER) {
    if (b.length < SENDER_HEADER + TAG) bad('too short');
    const generation = new DataView(b.buffer, b.byteOffset + 2, 4).getUint32(0);
    const step = b[6]!;
    return {
      kind: KIND_SENDER,
      generation,
      step,
      nonce: b.slice(7, SENDER_HEADER),
      header: b.slice(0, SENDER_HEADER),
      body: b.slice(SENDER_HEADER),
    };
  }
  if (b[1] !== KIND_RECIPIENTS || b.length < 3) bad('unknown kind');
  const n = b[2]!;
  if (n < 2 || n > MAX_ENTRIES) bad('bad recipient count');
  const entries: Entry[] = [];
  let at = 3;
  const dec = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < n; i++) {
    const len = b[at] ?? bad('truncated');
    const end = at + 1 + len + NONCE + WRAPPED;
    if (len === 0 || end > b.length) bad('truncated');
    let id = '';
    try {
      id = dec.decode(b.subarray(at + 1, at + 1 + len));
    } catch {
      bad('recipient is not UTF-8');
    }
    if (entries.some((e) => e.id === id)) bad('recipient repeated');
    entries.push({ id, nonce: b.slice(at + 1 + len, at + 1 + len + NONCE), wrapped: b.slice(at + 1 + len + NONCE, end) });
    at = end;
  }
  if (b.length < at + NONCE + TAG) bad('too short');
  return { kind: KIND_RECIPIENTS, entries, nonce: b.slice(at, at + NONCE), header: b.slice(0, at + NONCE), body: b.slice(at + NONCE) };
}

function bodyAad(ctx: ChatContext, header: Bytes): Bytes {
  return fields(LABEL, ctx.meeting, ctx.from, header);
}

function wrapAad(ctx: ChatContext, to: string, nonce: Bytes): Bytes {
  return fields(WRAP_LABEL, ctx.meeting, ctx.from, to, nonce);
}

function concat(...parts: Uint8Array[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function aesDecrypt(key: CryptoKey, nonce: Bytes, aad: Bytes, ct: Bytes): Promise<Bytes> {
  try {
    return new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad }, key, ct));
  } catch {
    throw new ChatCryptoError('auth', 'did not authenticate');
  }
}

// ---- To everyone ----

/** sealForEveryone encrypts text under chatKey, the chat key of the sender key key. */
export async function sealForEveryone(key: SenderKey, chatKey: CryptoKey, ctx: ChatContext, text: string): Promise<Bytes> {
  const header = new Uint8Array(SENDER_HEADER);
  header[0] = CHAT_VERSION;
  header[1] = KIND_SENDER;
  new DataView(header.buffer).setUint32(2, key.generation);
  header[6] = key.step;
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(NONCE));
  header.set(nonce, 7);
  const body = await subtle().encrypt({ name: 'AES-GCM', iv: nonce, additionalData: bodyAad(ctx, header) }, chatKey, pad(text));
  return concat(header, new Uint8Array(body));
}

/** openForEveryone decrypts a KIND_SENDER message with the chat key of its (generation, step). */
export async function openForEveryone(m: Sealed & { kind: typeof KIND_SENDER }, chatKey: CryptoKey, ctx: ChatContext): Promise<string> {
  return unpad(await aesDecrypt(chatKey, m.nonce, bodyAad(ctx, m.header), m.body));
}

// ---- To chosen people ----

/** A recipient and the key that wraps the message key for them (pairwise, or the sender's self key). */
export interface Wrapper {
  id: string;
  key: CryptoKey;
}

/**
 * sealForRecipients encrypts text under a fresh message key and wraps that
 * for each of wrappers (the recipients and the sender itself).
 */
export async function sealForRecipients(wrappers: Wrapper[], ctx: ChatContext, text: string): Promise<Bytes> {
  if (wrappers.length < 2 || wrappers.length > MAX_ENTRIES) throw new RangeError('bad recipient count');
  const raw = globalThis.crypto.getRandomValues(new Uint8Array(MSG_KEY));
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(NONCE));
  try {
    const parts: Uint8Array[] = [Uint8Array.of(CHAT_VERSION, KIND_RECIPIENTS, wrappers.length)];
    for (const w of wrappers) {
      const id = utf8.encode(w.id);
      if (id.length === 0 || id.length > 255) throw new RangeError('bad recipient ID');
      const wn = globalThis.crypto.getRandomValues(new Uint8Array(NONCE));
      const wrapped = await subtle().encrypt({ name: 'AES-GCM', iv: wn, additionalData: wrapAad(ctx, w.id, nonce) }, w.key, raw);
      parts.push(Uint8Array.of(id.length), id, wn, new Uint8Array(wrapped));
    }
    parts.push(nonce);
    const header = concat(...parts);
    const key = await aesKey(raw, ['encrypt']);
    const body = await subtle().encrypt({ name: 'AES-GCM', iv: nonce, additionalData: bodyAad(ctx, header) }, key, pad(text));
    return concat(header, new Uint8Array(body));
  } finally {
    raw.fill(0);
  }
}

/**
 * openForRecipient decrypts a KIND_RECIPIENTS message as me, whose entry
 * key unwraps (the pairwise key from the sender, or the self key for the
 * sender). 'not_for_me' when there is no entry for me.
 */
export async function openForRecipient(
  m: Sealed & { kind: typeof KIND_RECIPIENTS },
  me: string,
  key: CryptoKey,
  ctx: ChatContext,
): Promise<string> {
  const e = m.entries.find((x) => x.id === me);
  if (!e) throw new ChatCryptoError('not_for_me', 'no key for this participant');
  const raw = await aesDecrypt(key, e.nonce, wrapAad(ctx, me, m.nonce), e.wrapped);
  try {
    if (raw.length !== MSG_KEY) throw new ChatCryptoError('malformed', 'bad message key');
    const mk = await aesKey(raw, ['decrypt']);
    return unpad(await aesDecrypt(mk, m.nonce, bodyAad(ctx, m.header), m.body));
  } finally {
    raw.fill(0);
  }
}

/**
 * sameRecipients checks a KIND_RECIPIENTS message's authenticated list
 * against the recipients the server says it went to: the sender plus
 * exactly those. Anything else means the message was re-addressed.
 */
export function sameRecipients(m: Sealed & { kind: typeof KIND_RECIPIENTS }, from: string, to: readonly string[]): boolean {
  const ids = m.entries.map((e) => e.id);
  if (!ids.includes(from) || ids.length !== to.length + 1) return false;
  return to.every((id) => id !== from && ids.includes(id));
}
