// End-to-end encrypted chat for one stay in an encrypted meeting
// (docs/e2ee.md, "Chat"); the format and the cryptography are in
// e2ee/chat.ts. E2EESession owns one and feeds it keys:
//
// - every sender key it opens (and its own, when writing), so that a
//   message to everyone opens with the sender's key of that generation
//   and step (following the ratchet from the earliest step known);
// - the public keys (KeyDirectory), for the pairwise keys of private and
//   group messages.
//
// A live message whose key has not come yet waits for it, at most
// KEY_WAIT_MS; a message from before this stay (chat_history) never will,
// and shows as "encrypted before you joined". Nothing here is logged,
// stored or sent but the ciphertext.

import {
  ChatCryptoError,
  KIND_SENDER,
  MAX_ENTRIES,
  type Sealed,
  type Wrapper,
  newSelfKey,
  openForEveryone,
  openForRecipient,
  pairwiseKey,
  parse,
  sameRecipients,
  sealForEveryone,
  sealForRecipients,
  senderChatKey,
} from './e2ee/chat';
import { type Identity, type SenderKey, equalBytes, fromBase64url, ratchet, toBase64url } from './e2ee/keys';
import type { Bytes } from './e2ee/sframe';
import type { ChatMessage } from './protocol';
import type { SendFn } from './rtc';

/** How a received encrypted message came out: opened, from before this stay, or not openable. */
export type ChatSeal = 'open' | 'before_join' | 'unreadable';

/** What the chat shows instead of a message this browser cannot open. */
export const SEAL_TEXT: Readonly<Record<Exclude<ChatSeal, 'open'>, string>> = {
  before_join: 'Encrypted before you joined: this browser has no key for it.',
  unreadable: 'This end-to-end encrypted message could not be decrypted.',
};

/** How long a live message waits for its sender's key. */
export const KEY_WAIT_MS = 5000;
/** Generations kept per sender (a new one per join and leave). */
const GENERATIONS_KEPT = 32;

export interface E2EEChatHost {
  meetingId: string;
  selfId: string;
  identity: Identity;
  /** A participant's public key for this stay, when known. */
  spkiOf(id: string): Bytes | undefined;
  /** The key messages to everyone are written with: the newest sender key. */
  sendingKey(): SenderKey;
}

/** Why a message could not be sent: the recipients whose public key has not come yet. */
export class ChatSendError extends Error {
  constructor(readonly missing: string[]) {
    super('no public key yet');
    this.name = 'ChatSendError';
  }
}

export class E2EEChat {
  /** sender → generation → the earliest step of it known. */
  private readonly keys = new Map<string, Map<number, SenderKey>>();
  /** Derived chat keys by sender, generation and step. */
  private readonly chatKeys = new Map<string, Promise<CryptoKey>>();
  /** Pairwise keys by direction, with the peer's public key they were made for. */
  private readonly pairs = new Map<string, { spki: Bytes; key: Promise<CryptoKey> }>();
  /** Wraps the keys of this page's own private messages, so it can show them. */
  private readonly selfKey: Promise<CryptoKey> = newSelfKey();
  private waiters: (() => void)[] = [];

  constructor(private readonly host: E2EEChatHost) {}

  /** A sender key of sender's (unwrapped from them, or this page's own). */
  addSenderKey(sender: string, key: SenderKey): void {
    let gens = this.keys.get(sender);
    if (!gens) this.keys.set(sender, (gens = new Map()));
    const had = gens.get(key.generation);
    if (!had || had.step > key.step) gens.set(key.generation, { ...key, baseKey: Uint8Array.from(key.baseKey) });
    while (gens.size > GENERATIONS_KEPT) gens.delete(Math.min(...gens.keys()));
    this.notify();
  }

  /** Public keys changed: messages waiting for one may go on. */
  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Drops a participant's keys (they left, or their public key changed). */
  forget(id: string): void {
    this.keys.delete(id);
    for (const k of [...this.chatKeys.keys()]) if (k.startsWith(`${id}/`)) this.chatKeys.delete(k);
    for (const k of [...this.pairs.keys()]) if (k.startsWith(`${id}>`) || k.endsWith(`>${id}`)) this.pairs.delete(k);
  }

  /**
   * seal encrypts text for to (none: everyone), as the chat message's
   * ciphertext. ChatSendError when a recipient's public key has not come.
   */
  async seal(text: string, to: readonly string[]): Promise<string> {
    const { meetingId: meeting, selfId } = this.host;
    const ctx = { meeting, from: selfId };
    if (to.length === 0) {
      const key = this.host.sendingKey();
      this.addSenderKey(selfId, key);
      const ck = await this.chatKey(selfId, key);
      return toBase64url(await sealForEveryone(key, ck, ctx, text));
    }
    if (to.length + 1 > MAX_ENTRIES) throw new RangeError('too many recipients');
    const missing = to.filter((id) => !this.host.spkiOf(id));
    if (missing.length > 0) throw new ChatSendError(missing);
    const wrappers: Wrapper[] = [{ id: selfId, key: await this.selfKey }];
    for (const id of to) wrappers.push({ id, key: await this.pairKey(selfId, id) });
    return toBase64url(await sealForRecipients(wrappers, ctx, text));
  }

  /** Seals and sends a chat message; resolves with why it was not sent (null: sent). */
  async send(send: SendFn, text: string, to: string[], nameOf: (id: string) => string): Promise<string | null> {
    let ciphertext: string;
    try {
      ciphertext = await this.seal(text, to);
    } catch (e) {
      if (!(e instanceof ChatSendError)) return 'The message could not be encrypted, and was not sent.';
      return `Not sent: waiting for the encryption key of ${e.missing.map(nameOf).join(', ')}. Try again in a moment.`;
    }
    send('chat', to.length === 0 ? { ciphertext } : { ciphertext, to });
    return null;
  }

  /**
   * open decrypts a chat message that carries ciphertext. live: it came
   * now (it may wait for its key); else it is history, from before this
   * stay. The result carries the text, or '' with why it is not readable.
   */
  async open(msg: ChatMessage, live: boolean): Promise<{ msg: ChatMessage; seal: ChatSeal }> {
    const failed = (seal: Exclude<ChatSeal, 'open'>): { msg: ChatMessage; seal: ChatSeal } => ({ msg: { ...msg, text: '' }, seal });
    const sealed = parseOrNull(msg.ciphertext ?? '');
    if (!sealed) return failed('unreadable');
    const ctx = { meeting: this.host.meetingId, from: msg.from };
    const to = msg.to ?? [];
    try {
      if (sealed.kind === KIND_SENDER) {
        if (to.length > 0) return failed('unreadable'); // re-addressed: it was written to everyone
        const wait = live ? KEY_WAIT_MS : 0;
        const { generation, step } = sealed;
        const key = await this.until(() => this.senderKey(msg.from, generation, step), wait);
        if (!key) return failed('before_join');
        const text = await openForEveryone(sealed, await this.chatKey(msg.from, key), ctx);
        return { msg: { ...msg, text }, seal: 'open' };
      }
      if (!sameRecipients(sealed, msg.from, to)) return failed('unreadable');
      let key: CryptoKey;
      if (msg.from === this.host.selfId) {
        key = await this.selfKey;
      } else {
        const spki = await this.until(() => this.host.spkiOf(msg.from), live ? KEY_WAIT_MS : 0);
        if (!spki) return failed(live ? 'unreadable' : 'before_join');
        key = await this.pairKey(msg.from, this.host.selfId);
      }
      const text = await openForRecipient(sealed, this.host.selfId, key, ctx);
      return { msg: { ...msg, text }, seal: 'open' };
    } catch (e) {
      // Which sender and why, never the bytes.
      console.warn(`conclave: an encrypted chat message from ${msg.from} did not open (${e instanceof ChatCryptoError ? e.reason : 'error'})`);
      return failed('unreadable');
    }
  }

  // ---- Keys ----

  /** The sender key of (generation, step), ratcheted from the earliest step known; undefined when not held. */
  private senderKey(sender: string, generation: number, step: number): Promise<SenderKey> | undefined {
    const k = this.keys.get(sender)?.get(generation);
    if (!k || k.step > step) return undefined;
    return (async () => {
      let cur = k;
      while (cur.step < step) cur = await ratchet(cur);
      return cur;
    })();
  }

  private chatKey(sender: string, key: SenderKey): Promise<CryptoKey> {
    const id = `${sender}/${key.generation}/${key.step}`;
    let ck = this.chatKeys.get(id);
    if (!ck) {
      ck = senderChatKey(key, this.host.meetingId, sender);
      this.chatKeys.set(id, ck);
    }
    return ck;
  }

  /** The pairwise key for messages from → to; one of them is this page. */
  private pairKey(from: string, to: string): Promise<CryptoKey> {
    const own = this.host.identity;
    const peer = from === this.host.selfId ? to : from;
    const spki = this.host.spkiOf(peer);
    if (!spki) return Promise.reject(new ChatSendError([peer]));
    const id = `${from}>${to}`;
    const had = this.pairs.get(id);
    if (had && equalBytes(had.spki, spki)) return had.key;
    const mine = from === this.host.selfId;
    const key = pairwiseKey(own, spki, {
      meeting: this.host.meetingId,
      from,
      to,
      fromSpki: mine ? own.spki : spki,
      toSpki: mine ? spki : own.spki,
    });
    this.pairs.set(id, { spki: Uint8Array.from(spki), key });
    return key;
  }

  /** get(), or once it is defined, waiting at most ms for keys to change. */
  private async until<T>(get: () => T | undefined, ms: number): Promise<T | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = get();
      if (v !== undefined) return v;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.push(done);
      });
    }
  }
}

function parseOrNull(ciphertext: string): Sealed | null {
  const bytes = fromBase64url(ciphertext);
  if (!bytes) return null;
  try {
    return parse(bytes);
  } catch {
    return null;
  }
}
