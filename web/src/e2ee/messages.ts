// Messages between the page (client.ts) and the E2EE worker (worker.ts).
// Keys cross as ArrayBuffers (transferred, so the page's copy is detached
// after sending); nothing here is ever logged.

import type { Bytes } from './sframe';
import type { SenderKey } from './keys';
import { type FrameEvent, type TransformOptions, parseOptions } from './transform';

export type ToWorker =
  | { type: 'send_key'; generation: number; step: number; key: ArrayBuffer }
  | { type: 'stop_sending' }
  | { type: 'receive_key'; participant: string; generation: number; step: number; key: ArrayBuffer }
  | { type: 'remove'; participant: string }
  /** A receiving transceiver now carries another participant's media. */
  | { type: 'retarget'; id: string; participant: string }
  /** The createEncodedStreams fallback: the page transfers a sender's or receiver's streams. */
  | { type: 'streams'; readable: ReadableStream; writable: WritableStream; options: TransformOptions };

export type FromWorker =
  | { type: 'event'; event: FrameEvent; count: number }
  | { type: 'error'; message: string }
  /** Running totals of frames encrypted and decrypted, at most once a second while they change. */
  | { type: 'stats'; encrypted: number; decrypted: number };

/** keyMessage copies key into a fresh buffer for transfer, so the caller's key stays usable. */
export function keyMessage(participant: string | null, key: SenderKey): ToWorker {
  const buf = Uint8Array.from(key.baseKey).buffer;
  return participant === null
    ? { type: 'send_key', generation: key.generation, step: key.step, key: buf }
    : { type: 'receive_key', participant, generation: key.generation, step: key.step, key: buf };
}

function isCount(v: unknown, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}

/** senderKeyOf turns a key message's fields back into a SenderKey, or null. */
export function senderKeyOf(m: { generation?: unknown; step?: unknown; key?: unknown }): SenderKey | null {
  if (!isCount(m.generation, 0xffffffff) || !isCount(m.step, 255) || !(m.key instanceof ArrayBuffer)) return null;
  return { generation: m.generation, step: m.step, baseKey: new Uint8Array(m.key) as Bytes };
}

/** parseToWorker checks a message the worker received; null for anything else. */
export function parseToWorker(v: unknown): ToWorker | null {
  if (typeof v !== 'object' || v === null) return null;
  const m = v as Record<string, unknown>;
  switch (m.type) {
    case 'send_key':
      return senderKeyOf(m) ? (m as ToWorker) : null;
    case 'stop_sending':
      return { type: 'stop_sending' };
    case 'receive_key':
      return typeof m.participant === 'string' && m.participant !== '' && senderKeyOf(m) ? (m as ToWorker) : null;
    case 'remove':
      return typeof m.participant === 'string' ? { type: 'remove', participant: m.participant } : null;
    case 'retarget':
      return typeof m.id === 'string' && typeof m.participant === 'string' && m.participant !== ''
        ? { type: 'retarget', id: m.id, participant: m.participant }
        : null;
    case 'streams': {
      const options = parseOptions(m.options);
      if (!options || !(m.readable instanceof ReadableStream) || !(m.writable instanceof WritableStream)) return null;
      return { type: 'streams', readable: m.readable, writable: m.writable, options };
    }
    default:
      return null;
  }
}
