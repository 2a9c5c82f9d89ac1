// The page's side of the E2EE worker: starts it, hands it keys, and puts
// its transform on each RTCRtpSender and RTCRtpReceiver. Session code
// (session.ts, rtc.ts) calls this; it holds no key bytes of its own.
//
// Two browser APIs exist: the standard RTCRtpScriptTransform (Firefox,
// Safari, recent Chromium) and Chromium's older createEncodedStreams, which
// needs every RTCPeerConnection made with { encodedInsertableStreams: true }
// (see e2eeConnectionConfig) and the streams transferred to the worker.

import type { SenderKey } from './keys';
import { type FromWorker, type ToWorker, keyMessage } from './messages';
import type { FrameEvent, TransformOptions } from './transform';

/** Served by internal/web from the embedded static files; same origin, so the CSP's script-src 'self' allows it. */
export const E2EE_WORKER_URL = '/static/e2ee-worker.js';

export type E2EESupport = 'script-transform' | 'encoded-streams' | null;

// createEncodedStreams is Chromium-only and absent from lib.dom.
interface EncodedStreams {
  readable: ReadableStream;
  writable: WritableStream;
}
interface WithEncodedStreams {
  createEncodedStreams?: () => EncodedStreams;
}

/** e2eeSupport says which transform API this browser has, or null (no E2EE possible). */
export function e2eeSupport(): E2EESupport {
  if (typeof Worker === 'undefined') return null;
  if (typeof RTCRtpScriptTransform !== 'undefined') return 'script-transform';
  const proto = (globalThis as { RTCRtpSender?: { prototype: WithEncodedStreams } }).RTCRtpSender?.prototype;
  if (proto && typeof proto.createEncodedStreams === 'function') return 'encoded-streams';
  return null;
}

/** e2eeConnectionConfig adds what the createEncodedStreams fallback needs to a peer connection's configuration. */
export function e2eeConnectionConfig(config: RTCConfiguration): RTCConfiguration {
  if (e2eeSupport() !== 'encoded-streams') return config;
  return { ...config, encodedInsertableStreams: true } as RTCConfiguration;
}

export class E2EEWorker {
  private readonly worker: Worker;
  readonly support: E2EESupport;

  /**
   * onEvent hears dropped frames (counted) and first uses of keys;
   * onError hears the worker's complaints; onStats the running totals of
   * frames encrypted and decrypted. None ever carries a key.
   */
  constructor(
    onEvent: (e: FrameEvent, count: number) => void,
    onError: (message: string) => void = () => {},
    onStats: (encrypted: number, decrypted: number) => void = () => {},
  ) {
    this.support = e2eeSupport();
    if (!this.support) throw new Error('this browser cannot transform encoded media');
    this.worker = new Worker(E2EE_WORKER_URL, { name: 'conclave-e2ee' });
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if (m.type === 'event') onEvent(m.event, m.count);
      else if (m.type === 'stats') onStats(m.encrypted, m.decrypted);
      else onError(m.message);
    };
    this.worker.onerror = () => onError('the E2EE worker failed');
  }

  private post(m: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  /** setSendKey switches this page's sending key (call KEY_SWITCH_DELAY_MS after distributing it). */
  setSendKey(key: SenderKey): void {
    const m = keyMessage(null, key);
    this.post(m, m.type === 'send_key' ? [m.key] : []);
  }

  stopSending(): void {
    this.post({ type: 'stop_sending' });
  }

  setReceiveKey(participant: string, key: SenderKey): void {
    const m = keyMessage(participant, key);
    this.post(m, m.type === 'receive_key' ? [m.key] : []);
  }

  removeParticipant(participant: string): void {
    this.post({ type: 'remove', participant });
  }

  /** attachSender encrypts everything sender sends (all its simulcast encodings). */
  attachSender(sender: RTCRtpSender, kind: 'audio' | 'video'): void {
    this.attach(sender, { operation: 'send', kind, participant: '', id: '' });
  }

  /**
   * attachReceiver decrypts what receiver gets with participant's keys; id
   * (e.g. the transceiver's mid) lets retarget move it to someone else.
   * Call it before media flows (in ontrack).
   */
  attachReceiver(receiver: RTCRtpReceiver, kind: 'audio' | 'video', participant: string, id: string): void {
    this.attach(receiver, { operation: 'receive', kind, participant, id });
  }

  retarget(id: string, participant: string): void {
    this.post({ type: 'retarget', id, participant });
  }

  private attach(target: RTCRtpSender | RTCRtpReceiver, options: TransformOptions): void {
    if (this.support === 'script-transform') {
      target.transform = new RTCRtpScriptTransform(this.worker, options);
      return;
    }
    const streams = (target as unknown as WithEncodedStreams).createEncodedStreams?.();
    if (!streams) throw new Error('createEncodedStreams is missing');
    this.post({ type: 'streams', readable: streams.readable, writable: streams.writable, options }, [
      streams.readable as unknown as Transferable,
      streams.writable as unknown as Transferable,
    ]);
  }

  terminate(): void {
    this.worker.terminate();
  }
}
