// The two peer connections to the server (docs/protocol.md, "Media"):
// Publisher (client offers) and Subscriber (server offers), trickle ICE,
// and ICE restart on network trouble.

import type { ClientMessages, IceCandidateWire, IceServer, PcName, Sdp, Source, TrackOwner } from './protocol';

export type SendFn = <K extends keyof ClientMessages>(type: K, data: ClientMessages[K]) => number;

/** Simulcast layers of the camera: rid "l" at half scale, "h" at full scale. */
export const CAMERA_ENCODINGS: RTCRtpEncodingParameters[] = [
  { rid: 'l', scaleResolutionDownBy: 2, maxBitrate: 250_000 },
  { rid: 'h', scaleResolutionDownBy: 1, maxBitrate: 1_200_000 },
];

const DISCONNECTED_GRACE_MS = 2000;

/**
 * End-to-end encryption's hooks into the peer connections (e2eesession.ts,
 * docs/e2ee.md): the connection configuration it needs, and a transform on
 * every sender and every receiver, put there before media flows.
 */
export interface MediaTransforms {
  config(c: RTCConfiguration): RTCConfiguration;
  sender(sender: RTCRtpSender, kind: 'audio' | 'video'): void;
  /** participant: whose media the receiver carries now ('' when not known yet); mid names it for retarget. */
  receiver(receiver: RTCRtpReceiver, kind: 'audio' | 'video', participant: string, mid: string): void;
  /** The server gave the transceiver mid to participant (a re-offer). */
  retarget(mid: string, participant: string): void;
}

/** Only the servers from `welcome` are used: no STUN/TURN of our own, ever. */
export function rtcConfig(servers: IceServer[]): RTCConfiguration {
  return { iceServers: rtcIceServers(servers), bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require', iceCandidatePoolSize: 0 };
}

function rtcIceServers(servers: IceServer[]): RTCIceServer[] {
  return servers.map((s) => {
    const server: RTCIceServer = { urls: s.urls };
    // '' on the wire means none (a STUN server has no credentials).
    if (s.username !== '') server.username = s.username;
    if (s.credential !== '') server.credential = s.credential;
    return server;
  });
}

export function isConnected(pc: RTCPeerConnection | null): boolean {
  if (!pc) return false;
  const s = pc.iceConnectionState;
  return s === 'connected' || s === 'completed';
}

/** Runs async steps one after another (offer/answer must not interleave). */
class Serial {
  private tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** Remote candidates wait here until a remote description is set. */
class CandidateQueue {
  private pending: RTCIceCandidateInit[] = [];

  constructor(private readonly pc: RTCPeerConnection) {}

  async add(c: IceCandidateWire): Promise<void> {
    const init: RTCIceCandidateInit = { candidate: c.candidate ?? '', sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null };
    if (c.usernameFragment) init.usernameFragment = c.usernameFragment;
    if (init.sdpMid === null && init.sdpMLineIndex === null) init.sdpMLineIndex = 0; // bundled
    if (!this.pc.remoteDescription) {
      this.pending.push(init);
      return;
    }
    await this.apply(init);
  }

  async flush(): Promise<void> {
    const list = this.pending;
    this.pending = [];
    for (const c of list) await this.apply(c);
  }

  private async apply(c: RTCIceCandidateInit): Promise<void> {
    if (this.pc.signalingState === 'closed') return;
    try {
      await this.pc.addIceCandidate(c);
    } catch (e) {
      console.warn('conclave: addIceCandidate failed', e);
    }
  }
}

/**
 * Watches a peer connection's ICE state and calls restart() when it has been
 * `disconnected` for more than 2 s or is `failed`, retrying with back-off
 * while it stays down.
 */
class IceWatch {
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private attempts = 0;
  private stopped = false;
  restarts = 0;

  constructor(
    private readonly pc: RTCPeerConnection,
    private readonly restart: () => void,
    private readonly canRestart: () => boolean,
  ) {
    pc.addEventListener('iceconnectionstatechange', () => this.check());
  }

  private check(): void {
    if (this.stopped) return;
    const s = this.pc.iceConnectionState;
    if (s === 'connected' || s === 'completed') {
      this.clearTimers();
      this.attempts = 0;
    } else if (s === 'failed') {
      this.clearGrace();
      this.fire();
    } else if (s === 'disconnected') {
      if (this.graceTimer === undefined) {
        this.graceTimer = setTimeout(() => {
          this.graceTimer = undefined;
          const now = this.pc.iceConnectionState;
          if (now === 'disconnected' || now === 'failed') this.fire();
        }, DISCONNECTED_GRACE_MS);
      }
    } else if (s === 'closed') {
      this.stop();
    }
  }

  private fire(): void {
    if (this.stopped || this.retryTimer !== undefined) return; // a restart is under way
    if (!this.canRestart()) return;
    this.attempts += 1;
    this.restarts += 1;
    this.restart();
    const delay = Math.min(30_000, 5000 * 2 ** Math.min(this.attempts - 1, 3));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped && !isConnected(this.pc) && this.pc.iceConnectionState !== 'closed') this.fire();
    }, delay);
  }

  private clearGrace(): void {
    if (this.graceTimer !== undefined) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
  }

  private clearTimers(): void {
    this.clearGrace();
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
  }
}

abstract class Connection {
  readonly pc: RTCPeerConnection;
  protected readonly serial = new Serial();
  protected readonly candidates: CandidateQueue;
  protected readonly watch: IceWatch;

  protected constructor(
    readonly name: PcName,
    iceServers: IceServer[],
    protected readonly send: SendFn,
    protected readonly transforms: MediaTransforms | null,
  ) {
    const config = rtcConfig(iceServers);
    this.pc = new RTCPeerConnection(transforms ? transforms.config(config) : config);
    this.candidates = new CandidateQueue(this.pc);
    this.pc.addEventListener('icecandidate', (ev: RTCPeerConnectionIceEvent) => {
      const c = ev.candidate;
      // null (and Firefox's empty candidate) mark the end: nothing to send.
      if (!c || !c.candidate) return;
      this.send('ice', { pc: this.name, candidate: { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex } });
    });
    this.watch = new IceWatch(
      this.pc,
      () => this.restartIce(),
      () => this.pc.signalingState !== 'closed',
    );
  }

  get restarts(): number {
    return this.watch.restarts;
  }

  addRemoteCandidate(c: IceCandidateWire): Promise<void> {
    return this.serial.run(() => this.candidates.add(c));
  }

  protected abstract restartIce(): void;

  /**
   * Replaces the TURN credentials for the next gathering: the server renews
   * them before they expire, so an ICE restart late in a long meeting still
   * gets relay candidates.
   */
  setIceServers(servers: IceServer[]): void {
    try {
      this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers: rtcIceServers(servers) });
    } catch (e) {
      console.warn('conclave: could not update ICE servers', e);
    }
  }

  /** Restarts ICE now, as the watchdog would (also used by the test hook). */
  restartNow(): void {
    this.watch.restarts += 1;
    this.restartIce();
  }

  close(): void {
    this.watch.stop();
    try {
      this.pc.close();
    } catch {
      // already closed
    }
  }
}

export interface PublishTracks {
  audio: MediaStreamTrack | null;
  camera: MediaStreamTrack | null;
  screen: MediaStreamTrack | null;
}

/** The publish connection: exactly three sendonly transceivers. */
export class Publisher extends Connection {
  private readonly tx: Record<Source, RTCRtpTransceiver>;

  constructor(iceServers: IceServer[], send: SendFn, tracks: PublishTracks, transforms: MediaTransforms | null = null) {
    super('publish', iceServers, send, transforms);
    const stream = new MediaStream();
    this.tx = {
      audio: this.pc.addTransceiver(tracks.audio ?? 'audio', { direction: 'sendonly', streams: [stream] }),
      camera: this.pc.addTransceiver(tracks.camera ?? 'video', {
        direction: 'sendonly',
        streams: [stream],
        sendEncodings: CAMERA_ENCODINGS.map((e) => ({ ...e })),
      }),
      screen: this.pc.addTransceiver(tracks.screen ?? 'video', { direction: 'sendonly', streams: [stream] }),
    };
    // Before any offer, so that no frame ever leaves untransformed.
    if (transforms) {
      transforms.sender(this.tx.audio.sender, 'audio');
      transforms.sender(this.tx.camera.sender, 'video');
      transforms.sender(this.tx.screen.sender, 'video');
    }
  }

  /** mid → source, for the `publish` message. */
  trackMap(): Record<string, Source> {
    const map: Record<string, Source> = {};
    for (const source of ['audio', 'camera', 'screen'] as const) {
      const mid = this.tx[source].mid;
      if (mid !== null) map[mid] = source;
    }
    return map;
  }

  /** Creates an offer and sends it as `publish`. */
  negotiate(iceRestart = false): Promise<void> {
    return this.serial.run(async () => {
      if (this.pc.signalingState === 'closed') return;
      const offer = await this.pc.createOffer(iceRestart ? { iceRestart: true } : {});
      await this.pc.setLocalDescription(offer);
      const local = this.pc.localDescription;
      if (!local) throw new Error('publish: no local description');
      this.send('publish', { sdp: { type: 'offer', sdp: local.sdp }, tracks: this.trackMap() });
    });
  }

  applyAnswer(sdp: Sdp): Promise<void> {
    return this.serial.run(async () => {
      if (this.pc.signalingState !== 'have-local-offer') {
        console.warn('conclave: unexpected publish_answer in state', this.pc.signalingState);
        return;
      }
      await this.pc.setRemoteDescription(sdp);
      await this.candidates.flush();
    });
  }

  /** Swaps the track of one source without renegotiation. */
  async setTrack(source: Source, track: MediaStreamTrack | null): Promise<void> {
    await this.tx[source].sender.replaceTrack(track);
  }

  protected restartIce(): void {
    this.negotiate(true).catch((e: unknown) => console.warn('conclave: publish ICE restart failed', e));
  }
}

export interface SubscriberEvents {
  /** A remote track now carries `owner`'s media. */
  bind(owner: TrackOwner, track: MediaStreamTrack): void;
  /** `track` no longer carries `owner`'s media. */
  unbind(owner: TrackOwner, track: MediaStreamTrack): void;
}

interface Binding {
  owner: TrackOwner;
  track: MediaStreamTrack;
}

/** The subscribe connection: the server offers, we answer. */
export class Subscriber extends Connection {
  /** mid → owner, merged over all offers. */
  private readonly owners = new Map<string, TrackOwner>();
  private readonly bound = new Map<string, Binding>();
  /** Receivers that carry a transform (MediaTransforms), by mid. */
  private readonly transformed = new Set<string>();

  constructor(
    iceServers: IceServer[],
    send: SendFn,
    private readonly events: SubscriberEvents,
    transforms: MediaTransforms | null = null,
  ) {
    super('subscribe', iceServers, send, transforms);
    this.pc.addEventListener('track', (ev: RTCTrackEvent) => {
      const mid = ev.transceiver.mid;
      if (mid === null) return;
      if (this.transforms && !this.transformed.has(mid)) {
        this.transformed.add(mid);
        const kind = ev.track.kind === 'audio' ? 'audio' : 'video';
        this.transforms.receiver(ev.receiver, kind, this.owners.get(mid)?.participant_id ?? ev.streams[0]?.id ?? '', mid);
      }
      let owner = this.owners.get(mid);
      if (!owner) {
        // Fallback: the msid stream id is the participant id.
        const pid = ev.streams[0]?.id;
        if (!pid) return;
        owner = { participant_id: pid, source: ev.track.kind === 'audio' ? 'audio' : 'camera' };
      }
      this.setBinding(mid, owner, ev.track);
    });
  }

  applyOffer(sdp: Sdp, tracks: Record<string, TrackOwner>): Promise<void> {
    return this.serial.run(async () => {
      if (this.pc.signalingState === 'closed') return;
      for (const [mid, owner] of Object.entries(tracks)) {
        const before = this.owners.get(mid);
        this.owners.set(mid, owner);
        // Before the description: the new owner's frames may follow at once.
        if (this.transforms && this.transformed.has(mid) && before?.participant_id !== owner.participant_id) {
          this.transforms.retarget(mid, owner.participant_id);
        }
      }
      await this.pc.setRemoteDescription(sdp);
      await this.candidates.flush();
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
      const local = this.pc.localDescription;
      if (!local) throw new Error('subscribe: no local description');
      this.send('subscribe_answer', { sdp: { type: 'answer', sdp: local.sdp } });
      this.reconcile();
    });
  }

  /** Current owner → track bindings (for the test hook). */
  bindings(): { mid: string; owner: TrackOwner; track: MediaStreamTrack }[] {
    return Array.from(this.bound, ([mid, b]) => ({ mid, owner: b.owner, track: b.track }));
  }

  protected restartIce(): void {
    this.send('ice_restart', {});
  }

  /** Re-derives bindings from the transceivers after each negotiation. */
  private reconcile(): void {
    for (const tx of this.pc.getTransceivers()) {
      const mid = tx.mid;
      if (mid === null) continue;
      const owner = this.owners.get(mid);
      const receiving = tx.currentDirection === 'recvonly' || tx.currentDirection === 'sendrecv';
      if (owner && receiving) {
        this.setBinding(mid, owner, tx.receiver.track);
      } else {
        const prev = this.bound.get(mid);
        if (prev) {
          this.bound.delete(mid);
          this.events.unbind(prev.owner, prev.track);
        }
      }
    }
  }

  private setBinding(mid: string, owner: TrackOwner, track: MediaStreamTrack): void {
    const prev = this.bound.get(mid);
    if (prev && prev.track === track && prev.owner.participant_id === owner.participant_id && prev.owner.source === owner.source) {
      return;
    }
    if (prev) this.events.unbind(prev.owner, prev.track);
    this.bound.set(mid, { owner, track });
    this.events.bind(owner, track);
  }
}
