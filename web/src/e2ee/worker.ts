// Entry point of the E2EE worker, bundled by cmd/buildweb into
// internal/web/static/e2ee-worker.js and started by client.ts. It holds the
// keys (FrameCrypto) and runs every encoded-frame transform of the page:
// RTCRtpScriptTransform delivers them as `rtctransform` events, Chromium's
// createEncodedStreams fallback as a 'streams' message. One worker per page
// means one sending counter per key, whatever the number of senders
// (audio, camera, screen, simulcast layers): no nonce is ever reused.
//
// Keys never leave the worker except as they came (never posted back) and
// are never logged; events carry participant IDs, KIDs and reasons only.

import { type FromWorker, parseToWorker, senderKeyOf } from './messages';
import { type EncodedFrame, FrameCrypto, type FrameEvent, type TransformOptions, frameTransform, parseOptions } from './transform';

// The worker global, declared here because the project's lib is "dom".
interface Transformer {
  readable: ReadableStream<EncodedFrame>;
  writable: WritableStream<EncodedFrame>;
  options: unknown;
}
interface WorkerScope {
  postMessage(m: FromWorker): void;
  addEventListener(type: 'message', fn: (e: MessageEvent) => void): void;
  onrtctransform: ((e: { transformer: Transformer }) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

// Events are counted and posted at most once a second per kind, so a
// stream of undecryptable frames does not flood the page.
const pending = new Map<string, { event: FrameEvent; count: number }>();
let flushTimer: ReturnType<typeof setTimeout> | null = null;

function report(event: FrameEvent): void {
  const key = JSON.stringify(event);
  const p = pending.get(key);
  if (p) p.count++;
  else pending.set(key, { event, count: 1 });
  flushTimer ??= setTimeout(() => {
    flushTimer = null;
    for (const { event, count } of pending.values()) scope.postMessage({ type: 'event', event, count });
    pending.clear();
  }, 1000);
}

const crypto = new FrameCrypto(report);

// The counts of frames that went through, for the page's statistics (and
// the browser test): posted once a second while they change.
let posted = { encrypted: 0, decrypted: 0 };
setInterval(() => {
  const { encrypted, decrypted } = crypto.counts;
  if (encrypted === posted.encrypted && decrypted === posted.decrypted) return;
  posted = { encrypted, decrypted };
  scope.postMessage({ type: 'stats', encrypted, decrypted });
}, 1000);
/** Receiving transforms by their page-chosen ID, so 'retarget' can change whose keys they use. */
const receivers = new Map<string, TransformOptions>();
// Key changes are applied one at a time, in the order they were sent.
let keyQueue: Promise<void> = Promise.resolve();

function fail(message: string): void {
  scope.postMessage({ type: 'error', message });
}

function pipe(readable: ReadableStream<EncodedFrame>, writable: WritableStream<EncodedFrame>, options: unknown): void {
  const opts = parseOptions(options);
  if (!opts) {
    fail('transform without valid options');
    return;
  }
  if (opts.operation === 'receive' && opts.id !== '') receivers.set(opts.id, opts);
  readable
    .pipeThrough(frameTransform(crypto, opts))
    .pipeTo(writable)
    .catch(() => {}) // ends when the sender or receiver goes away
    .finally(() => {
      if (receivers.get(opts.id) === opts) receivers.delete(opts.id);
    });
}

scope.onrtctransform = (e) => pipe(e.transformer.readable, e.transformer.writable, e.transformer.options);

scope.addEventListener('message', (e: MessageEvent) => {
  const m = parseToWorker(e.data);
  if (!m) {
    fail('unknown message');
    return;
  }
  const done = (op: () => Promise<void>) => {
    keyQueue = keyQueue.then(op).catch(() => fail(`${m.type} failed`));
  };
  switch (m.type) {
    case 'send_key':
      done(() => crypto.setSendKey(senderKeyOf(m)!));
      break;
    case 'stop_sending':
      done(async () => crypto.clearSendKey());
      break;
    case 'receive_key':
      done(() => crypto.setReceiveKey(m.participant, senderKeyOf(m)!));
      break;
    case 'remove':
      done(async () => crypto.removeParticipant(m.participant));
      break;
    case 'retarget': {
      const r = receivers.get(m.id);
      if (r) r.participant = m.participant;
      break;
    }
    case 'streams':
      pipe(m.readable, m.writable, m.options);
      break;
  }
});
