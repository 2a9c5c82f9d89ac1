// The per-frame transform: SFrame-encrypt each encoded frame before it is
// packetised, decrypt each received frame before it is decoded. It runs in
// the E2EE worker (worker.ts) for both RTCRtpScriptTransform and Chromium's
// createEncodedStreams, and in Node for the tests; it touches no DOM.
//
// Frame layout on the wire: clear prefix (vp8.ts) | SFrame header | AEAD
// ciphertext and tag. The clear prefix is the SFrame metadata, so it is in
// the AAD: the SFU can read it, nobody can change it.

import { type Bytes, type CipherSuite, DEFAULT_SUITE, ReplayWindow, type SFrameFailure, type SFrameKey, SFrameError, SFrameSender, decodeHeader, importSFrameKey, makeNonce } from './sframe';
import { MAX_RATCHET_STEP, OLD_KEY_GRACE_MS, type SenderKey, composeKid, ratchet, splitKid } from './keys';
import { type FrameCodec, clearBytes, codecOf } from './vp8';

/** What the transform reports; never key material. */
export type FrameEvent =
  | { type: 'drop'; operation: 'send' | 'receive'; participant: string; reason: SFrameFailure | 'no_key' | 'short' }
  | { type: 'key_used'; participant: string; kid: string };

/** How one transform was set up (RTCRtpScriptTransform options, or the fallback's message). */
export interface TransformOptions {
  operation: 'send' | 'receive';
  kind: 'audio' | 'video';
  /**
   * For 'receive': whose media this is; keys are looked up per participant.
   * Read for every frame, so the worker can retarget a receiver whose
   * transceiver the server gave to someone else (messages.ts 'retarget').
   */
  participant: string;
  /** For 'receive': a page-chosen ID (e.g. the transceiver's mid) to retarget by. */
  id: string;
}

/** parseOptions checks options that crossed a thread boundary. */
export function parseOptions(v: unknown): TransformOptions | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (o.operation !== 'send' && o.operation !== 'receive') return null;
  if (o.kind !== 'audio' && o.kind !== 'video') return null;
  const participant = typeof o.participant === 'string' ? o.participant : '';
  const id = typeof o.id === 'string' ? o.id : '';
  if (o.operation === 'receive' && participant === '') return null;
  return { operation: o.operation, kind: o.kind, participant, id };
}

/** One generation of one sender's key, as a receiver holds it. */
interface Generation {
  base: SenderKey; // the latest step whose frame authenticated
  keys: Map<number, SFrameKey>; // step → imported key
  replay: Map<number, ReplayWindow>; // step → window (each KID counts from 0)
  retireAt: number; // Infinity while current
}

/**
 * FrameCrypto holds this page's sending key and every peer's receiving
 * keys, and encrypts or decrypts frames with them. A key's raw bytes are
 * kept only as the base key needed to ratchet; derived keys live inside
 * WebCrypto.
 */
export class FrameCrypto {
  private sender: SFrameSender | null = null;
  private readonly peers = new Map<string, Map<number, Generation>>();
  /** Frames encrypted and frames decrypted (authenticated) so far: counts only, for the page's statistics. */
  readonly counts = { encrypted: 0, decrypted: 0 };

  constructor(
    private readonly report: (e: FrameEvent) => void = () => {},
    readonly suite: CipherSuite = DEFAULT_SUITE,
    private readonly now: () => number = Date.now,
  ) {}

  /** setSendKey switches sending to key; every frame after this uses it, with a counter from 0 (a new KID). */
  async setSendKey(key: SenderKey): Promise<void> {
    const k = await importSFrameKey(this.suite, composeKid(key.generation, key.step), key.baseKey);
    this.sender = new SFrameSender(k);
  }

  /** clearSendKey stops sending: frames are dropped until a key is set (never sent in clear). */
  clearSendKey(): void {
    this.sender = null;
  }

  /**
   * setReceiveKey installs a peer's key. A newer generation retires the
   * older ones after OLD_KEY_GRACE_MS (frames still in flight); a key for
   * a generation already held moves it forward to key.step if that is ahead.
   */
  async setReceiveKey(participant: string, key: SenderKey): Promise<void> {
    let gens = this.peers.get(participant);
    if (!gens) {
      gens = new Map();
      this.peers.set(participant, gens);
    }
    const had = gens.get(key.generation);
    if (had && had.base.step >= key.step) return;
    const imported = await importSFrameKey(this.suite, composeKid(key.generation, key.step), key.baseKey);
    const gen: Generation = had ?? { base: key, keys: new Map(), replay: new Map(), retireAt: Infinity };
    gen.base = { generation: key.generation, step: key.step, baseKey: Uint8Array.from(key.baseKey) };
    gen.keys.set(key.step, imported);
    gens.set(key.generation, gen);
    const now = this.now();
    for (const [g, other] of gens) {
      if (g < key.generation && other.retireAt === Infinity) other.retireAt = now + OLD_KEY_GRACE_MS;
    }
    this.prune(participant);
  }

  /** removeParticipant forgets a peer's keys (they left). */
  removeParticipant(participant: string): void {
    this.peers.delete(participant);
  }

  private prune(participant: string): void {
    const gens = this.peers.get(participant);
    if (!gens) return;
    const now = this.now();
    for (const [g, gen] of gens) if (gen.retireAt <= now) gens.delete(g);
  }

  /** encryptFrame returns the protected frame, or null (dropped) without a send key: media never leaves in clear. */
  async encryptFrame(codec: FrameCodec, data: Uint8Array): Promise<Bytes | null> {
    const sender = this.sender;
    if (!sender) {
      this.report({ type: 'drop', operation: 'send', participant: '', reason: 'no_key' });
      return null;
    }
    const clear = clearBytes(codec, data);
    if (data.length < clear) {
      this.report({ type: 'drop', operation: 'send', participant: '', reason: 'short' });
      return null;
    }
    const prefix = data.subarray(0, clear);
    const body = await sender.encrypt(prefix, data.subarray(clear));
    const out = new Uint8Array(clear + body.length);
    out.set(prefix, 0);
    out.set(body, clear);
    this.counts.encrypted++;
    return out;
  }

  /**
   * decryptFrame opens a frame from participant, or returns null when it
   * must be dropped (reported): unknown KID, failed authentication,
   * replayed counter, malformed.
   */
  async decryptFrame(participant: string, codec: FrameCodec, data: Uint8Array): Promise<Bytes | null> {
    const drop = (reason: SFrameFailure): null => {
      this.report({ type: 'drop', operation: 'receive', participant, reason });
      return null;
    };
    const clear = clearBytes(codec, data);
    if (data.length < clear) return drop('malformed');
    const metadata = data.subarray(0, clear);
    const sframe = data.subarray(clear);
    const h = decodeHeader(sframe);
    if (!h) return drop('malformed');
    const parts = splitKid(h.kid);
    this.prune(participant);
    const gen = parts ? this.peers.get(participant)?.get(parts.generation) : undefined;
    if (!parts || !gen) return drop('unknown_kid');
    const key = await this.keyFor(gen, parts.step);
    if (!key) return drop('unknown_kid');
    const window = gen.replay.get(parts.step) ?? new ReplayWindow();
    if (!window.check(h.ctr)) return drop('replay');
    const aad = new Uint8Array(h.length + metadata.length);
    aad.set(sframe.subarray(0, h.length), 0);
    aad.set(metadata, h.length);
    let plain: Bytes;
    try {
      plain = await key.key.aead.decrypt(makeNonce(key.key.salt, h.ctr), aad, sframe.subarray(h.length));
    } catch (e) {
      return drop(e instanceof SFrameError ? e.reason : 'auth');
    }
    // Only an authenticated frame may move state: a forged KID or counter
    // must not advance the ratchet or the replay window.
    if (!window.accept(h.ctr)) return drop('replay');
    if (!gen.replay.has(parts.step)) {
      gen.replay.set(parts.step, window);
      this.report({ type: 'key_used', participant, kid: h.kid.toString() });
    }
    if (key.derived) this.commitStep(gen, parts.step, key.key, key.derived);
    const out = new Uint8Array(clear + plain.length);
    out.set(metadata, 0);
    out.set(plain, clear);
    this.counts.decrypted++;
    return out;
  }

  /** keyFor finds the key of a step, ratcheting forward from the newest known step when the sender has ratcheted. */
  private async keyFor(gen: Generation, step: number): Promise<{ key: SFrameKey; derived?: SenderKey } | null> {
    const known = gen.keys.get(step);
    if (known) return { key: known };
    if (step < gen.base.step || step > MAX_RATCHET_STEP) return null; // old steps are gone, by design
    let k = gen.base;
    while (k.step < step) k = await ratchet(k, this.suite);
    return { key: await importSFrameKey(this.suite, composeKid(k.generation, k.step), k.baseKey), derived: k };
  }

  /** commitStep keeps the new step and the one before it (late frames), and forgets older steps. */
  private commitStep(gen: Generation, step: number, key: SFrameKey, base: SenderKey): void {
    gen.base = base;
    gen.keys.set(step, key);
    for (const s of [...gen.keys.keys()]) {
      if (s < step - 1) {
        gen.keys.delete(s);
        gen.replay.delete(s);
      }
    }
  }
}

/** The shape of RTCEncodedVideoFrame / RTCEncodedAudioFrame this code uses. */
export interface EncodedFrame {
  data: ArrayBuffer;
  getMetadata?(): { mimeType?: string };
}

/**
 * frameTransform is the TransformStream one sender or receiver pipes its
 * frames through. TransformStream runs one chunk at a time, so frames stay
 * in order; dropped frames are simply not enqueued (the decoder then asks
 * for a keyframe, as after packet loss).
 */
export function frameTransform(crypto: FrameCrypto, opts: TransformOptions): TransformStream<EncodedFrame, EncodedFrame> {
  return new TransformStream<EncodedFrame, EncodedFrame>({
    async transform(frame, controller) {
      const data = new Uint8Array(frame.data);
      if (data.length === 0) {
        controller.enqueue(frame); // nothing to hide (e.g. Opus DTX)
        return;
      }
      let mime: string | undefined;
      try {
        mime = frame.getMetadata?.().mimeType;
      } catch {
        mime = undefined;
      }
      const codec = codecOf(opts.kind, mime);
      const out =
        opts.operation === 'send' ? await crypto.encryptFrame(codec, data) : await crypto.decryptFrame(opts.participant, codec, data);
      if (!out) return;
      frame.data = out.buffer;
      controller.enqueue(frame);
    },
  });
}
