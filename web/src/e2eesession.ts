// End-to-end encryption in a meeting whose settings say e2ee (docs/e2ee.md,
// "How it is wired"): one per stay, made by session.ts at welcome. It
//
// - makes this stay's identity key pair and publishes its public key
//   (e2ee_pubkey), and remembers everyone else's (KeyDirectory);
// - puts the E2EE worker's transform on every sender and receiver of both
//   peer connections (rtc.ts MediaTransforms);
// - draws this page's sender key, wraps it for each participant whose
//   public key it knows (e2ee_key), and draws a new one when anyone joins
//   or leaves (KeySchedule), switching to it KEY_SWITCH_DELAY_MS later;
// - opens the keys the others wrapped for it and hands them to the worker;
// - keeps the safety code and the key-change flags for the view.
//
// Keys cross only to the worker and, wrapped, to the server; they are
// never logged, stored or shown. Frames never leave in clear: the worker
// drops what it cannot encrypt.

import { E2EEWorker, e2eeConnectionConfig, e2eeSupport } from './e2ee/client';
import {
  type Identity,
  KEY_SWITCH_DELAY_MS,
  KeyDirectory,
  KeySchedule,
  type SenderKey,
  UnwrapError,
  fromBase64url,
  importPublicKey,
  newIdentity,
  newSenderKey,
  ratchet,
  safetyCode,
  toBase64url,
  unwrapSenderKey,
  wrapSenderKey,
} from './e2ee/keys';
import type { FrameEvent } from './e2ee/transform';
import { E2EEChat } from './e2eechat';
import { E2EEView } from './e2eeview';
import { deriveGrantKey } from './remotecontrolseal';
import type { Bytes } from './e2ee/sframe';
import type { MediaTransforms, SendFn } from './rtc';

/** Why a browser without encoded transforms is turned away (session.ts ends the call with it). */
export const E2EE_UNSUPPORTED =
  'This meeting is end-to-end encrypted, and this browser cannot take part: it cannot encrypt media frames itself. ' +
  'Join with a recent Chrome, Edge, Firefox or Safari.';

/**
 * Why a welcome is refused when the pre-join screen said the meeting is
 * end-to-end encrypted and the server now says it is not (docs/e2ee.md,
 * "Before joining"): the server cannot turn encryption off silently.
 */
export const E2EE_DOWNGRADE =
  'Before you joined, this meeting was end-to-end encrypted; the server now says it is not. ' +
  'You did not join: your camera and microphone were not sent. Tell the host.';

/**
 * Why the call ends when the server says, mid-meeting, that an end-to-end
 * encrypted meeting no longer is (docs/e2ee.md, "What the server cannot
 * do"): encryption is fixed for a live meeting, so only a server trying to
 * see the meeting would say it.
 */
export const E2EE_LIVE_DOWNGRADE =
  'The server said this meeting is no longer end-to-end encrypted, which an honest server never does. ' +
  'You left it, so nothing was sent that the server could see or hear. Tell the host.';

/** How often the rotation policy is asked whether to ratchet or re-key. */
const TICK_MS = 10_000;
/** Wrapped keys kept per participant whose public key has not come yet. */
const MAX_PENDING = 8;
/** The receiving transform's owner until the server names one. */
const UNKNOWN_OWNER = '?';

export interface E2EEHost {
  /** The wrap context: the meeting's ID, the same for everyone in it. */
  meetingId: string;
  selfId: string;
  send: SendFn;
  /** The other participants in the meeting now. */
  others(): Iterable<string>;
  nameOf(id: string): string;
  /** Something shown changed (safety code, flags, counts). */
  changed(): void;
}

/** What the test hook and the view read. */
export interface E2EEStatus {
  support: string;
  safetyCode: string;
  /** Participant IDs whose public key changed during the meeting. */
  keyChanged: string[];
  framesEncrypted: number;
  framesDecrypted: number;
  /** Frames that did not authenticate, were replayed or malformed. */
  decryptFailures: number;
  /** Frames dropped because their sender's key had not come yet (after a join or a re-key). */
  waitingForKey: number;
  /** Frames not sent for want of a sending key (never sent in clear). */
  sendDropped: number;
  /** Wrapped keys that did not open. */
  unwrapFailures: number;
  /** The sending key's generation (a new one per join and leave). */
  generation: number;
}

export class E2EESession implements MediaTransforms {
  readonly view = new E2EEView();
  /** The chat's encryption (e2eechat.ts), fed the same keys as the media. */
  readonly chat: E2EEChat;
  private readonly directory = new KeyDirectory();
  private readonly schedule = new KeySchedule(Date.now());
  /** Whose key changed during the meeting, with the name they had then. */
  private readonly changedIds = new Map<string, string>();
  /** Wrapped keys from participants whose public key has not come yet. */
  private readonly pending = new Map<string, string[]>();
  /** The key frames are encrypted with now, and the newest drawn (distributed, switched to soon). */
  private current: SenderKey;
  private latest: SenderKey;
  private generation = 0;
  private switchTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly tickTimer: ReturnType<typeof setInterval>;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private code = '';
  private readonly stats = { framesEncrypted: 0, framesDecrypted: 0, decryptFailures: 0, waitingForKey: 0, sendDropped: 0, unwrapFailures: 0 };

  private constructor(
    private readonly host: E2EEHost,
    private readonly identity: Identity,
    private readonly worker: E2EEWorker,
  ) {
    this.schedule.membership(host.others(), Date.now());
    this.current = this.latest = newSenderKey(this.generation);
    this.chat = new E2EEChat({
      meetingId: host.meetingId,
      selfId: host.selfId,
      identity,
      spkiOf: (id) => this.directory.key(id),
      // The newest key: everyone present when it was drawn has it (or
      // gets it with their public key), and nobody who left does.
      sendingKey: () => this.latest,
    });
    worker.setSendKey(this.current);
    host.send('e2ee_pubkey', { spki: toBase64url(identity.spki) });
    this.tickTimer = setInterval(() => this.enqueue(() => this.tick()), TICK_MS);
  }

  /**
   * start makes the identity and the worker, sets the first sending key and
   * publishes the public key; null when this browser cannot transform
   * encoded media (the caller then leaves, saying E2EE_UNSUPPORTED).
   */
  static async start(host: E2EEHost): Promise<E2EESession | null> {
    if (!e2eeSupport()) return null;
    let session: E2EESession | null = null;
    let worker: E2EEWorker;
    try {
      worker = new E2EEWorker(
        (e, n) => session?.onEvent(e, n),
        (message) => console.warn(`conclave: E2EE worker: ${message}`),
        (encrypted, decrypted) => session?.onStats(encrypted, decrypted),
      );
    } catch (e) {
      console.warn('conclave: could not start the E2EE worker', e);
      return null;
    }
    try {
      session = new E2EESession(host, await newIdentity(), worker);
    } catch (e) {
      worker.terminate();
      console.warn('conclave: could not make the E2EE identity', e);
      return null;
    }
    return session;
  }

  // ---- MediaTransforms (rtc.ts) ----

  config(c: RTCConfiguration): RTCConfiguration {
    return e2eeConnectionConfig(c);
  }

  sender(sender: RTCRtpSender, kind: 'audio' | 'video'): void {
    this.worker.attachSender(sender, kind);
  }

  receiver(receiver: RTCRtpReceiver, kind: 'audio' | 'video', participant: string, mid: string): void {
    this.worker.attachReceiver(receiver, kind, participant || UNKNOWN_OWNER, mid);
  }

  retarget(mid: string, participant: string): void {
    this.worker.retarget(mid, participant || UNKNOWN_OWNER);
  }

  // ---- Signalling ----

  /**
   * The remote control grant key shared with peer (remotecontrolseal.ts,
   * docs/e2ee.md "Remote control"); rejects while their public key has
   * not come.
   */
  remoteControlKey(peer: string, grant: string): Promise<Bytes> {
    const spki = this.directory.key(peer);
    if (!spki) return Promise.reject(new Error('no public key yet'));
    return deriveGrantKey(this.identity, spki, grant);
  }

  /** e2ee_pubkey: someone's public key for this stay. */
  onPublicKey(participant: string, spki: string): void {
    this.enqueue(async () => {
      if (participant === this.host.selfId) return;
      const bytes = fromBase64url(spki);
      if (!bytes) return;
      try {
        await importPublicKey(bytes); // a P-256 point, or nothing
      } catch {
        console.warn('conclave: ignored a malformed E2EE public key');
        return;
      }
      const seen = this.directory.observe(participant, bytes);
      if (seen === 'changed') {
        this.chat.forget(participant);
        this.changedIds.set(participant, this.host.nameOf(participant));
        // The holder of the old key reads nothing more: new keys for all,
        // and the old key's frames no longer open.
        this.worker.removeParticipant(participant);
        if (this.isPresent(participant)) await this.rekey();
      } else if (seen === 'new' && this.isPresent(participant)) {
        // A newcomer gets the newest key only: drawn after they joined.
        await this.sendKeyTo(participant, this.latest);
      }
      // Someone not in the meeting yet gets keys with the re-key their
      // participant_joined brings.
      await this.openPending(participant);
      this.chat.notify();
      await this.refreshCode();
      if (seen === 'changed') this.render();
    });
  }

  /** e2ee_key: a key someone wrapped for us. */
  onWrappedKey(from: string, wrapped: string): void {
    this.enqueue(async () => {
      if (!this.directory.key(from)) {
        const list = this.pending.get(from) ?? [];
        list.push(wrapped);
        if (list.length > MAX_PENDING) list.shift();
        this.pending.set(from, list);
        return;
      }
      await this.open(from, wrapped);
    });
  }

  /** Someone joined or left (participant_joined, participant_left). */
  membershipChanged(left?: string): void {
    this.enqueue(async () => {
      if (left !== undefined) {
        this.worker.removeParticipant(left);
        this.chat.forget(left);
        this.directory.forget(left);
        this.pending.delete(left);
      }
      const action = this.schedule.membership(this.host.others(), Date.now());
      if (action.kind === 'rekey') await this.rekey();
      await this.refreshCode();
    });
  }

  status(): E2EEStatus {
    return {
      support: this.worker.support ?? '',
      safetyCode: this.code,
      keyChanged: [...this.changedIds.keys()],
      ...this.stats,
      generation: this.current.generation,
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.tickTimer);
    if (this.switchTimer !== undefined) clearTimeout(this.switchTimer);
    this.worker.terminate();
    this.view.destroy();
  }

  // ---- Keys ----

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain
      .then(() => (this.closed ? undefined : step()))
      .catch((e: unknown) => console.warn('conclave: E2EE step failed', e instanceof Error ? e.name : ''));
  }

  private isPresent(id: string): boolean {
    for (const o of this.host.others()) if (o === id) return true;
    return false;
  }

  /** A new generation: wrapped for everyone present whose key is known, used KEY_SWITCH_DELAY_MS later. */
  private async rekey(): Promise<void> {
    this.generation++;
    const key = newSenderKey(this.generation);
    this.latest = key;
    for (const id of this.host.others()) {
      if (this.directory.key(id)) await this.sendKeyTo(id, key);
    }
    if (this.switchTimer !== undefined) clearTimeout(this.switchTimer);
    this.switchTimer = setTimeout(() => {
      this.switchTimer = undefined;
      if (this.closed || this.latest !== key) return;
      this.current = key;
      this.worker.setSendKey(key);
      this.host.changed();
    }, KEY_SWITCH_DELAY_MS);
  }

  private async tick(): Promise<void> {
    const action = this.schedule.tick(Date.now());
    if (action.kind === 'rekey') {
      await this.rekey();
    } else if (action.kind === 'ratchet' && this.latest === this.current) {
      // Receivers follow a ratchet by themselves: nothing is sent.
      const next = await ratchet(this.current);
      this.current = this.latest = next;
      this.worker.setSendKey(next);
    }
  }

  private async sendKeyTo(id: string, key: SenderKey): Promise<void> {
    const toSpki = this.directory.key(id);
    if (!toSpki) return;
    const wrapped = await wrapSenderKey(this.identity, key, {
      context: this.host.meetingId,
      from: this.host.selfId,
      to: id,
      fromSpki: this.identity.spki,
      toSpki,
    });
    this.host.send('e2ee_key', { to: id, wrapped: toBase64url(wrapped) });
  }

  private async openPending(from: string): Promise<void> {
    const list = this.pending.get(from);
    if (!list) return;
    this.pending.delete(from);
    for (const w of list) await this.open(from, w);
  }

  private async open(from: string, wrapped: string): Promise<void> {
    const fromSpki = this.directory.key(from);
    const bytes = fromBase64url(wrapped);
    if (!fromSpki || !bytes) {
      this.stats.unwrapFailures++;
      return;
    }
    try {
      const key = await unwrapSenderKey(this.identity, bytes, {
        context: this.host.meetingId,
        from,
        to: this.host.selfId,
        fromSpki,
        toSpki: this.identity.spki,
      });
      this.worker.setReceiveKey(from, key);
      this.chat.addSenderKey(from, key);
    } catch (e) {
      this.stats.unwrapFailures++;
      // Which participant and why, never the bytes.
      console.warn(`conclave: a media key from ${from} did not open (${e instanceof UnwrapError ? e.message : 'error'})`);
      this.host.changed();
    }
  }

  /** The safety code over everyone present, self included; '' while anyone's key is missing. */
  private async refreshCode(): Promise<void> {
    const keys = new Map<string, Uint8Array>([[this.host.selfId, this.identity.spki]]);
    let complete = true;
    for (const id of this.host.others()) {
      const k = this.directory.key(id);
      if (k) keys.set(id, k);
      else complete = false;
    }
    const code = complete ? await safetyCode(keys) : '';
    if (code !== this.code) {
      this.code = code;
      this.render();
    }
  }

  /** Redraws the label and the dialog (also when names change). */
  render(): void {
    if (this.closed) return;
    this.view.update({ code: this.code, changed: [...this.changedIds.values()] });
    this.host.changed();
  }

  // ---- The worker's reports ----

  private onEvent(e: FrameEvent, count: number): void {
    if (e.type !== 'drop') return;
    if (e.operation === 'send') this.stats.sendDropped += count;
    else if (e.reason === 'unknown_kid') this.stats.waitingForKey += count;
    else this.stats.decryptFailures += count;
  }

  private onStats(encrypted: number, decrypted: number): void {
    this.stats.framesEncrypted = encrypted;
    this.stats.framesDecrypted = decrypted;
  }
}
