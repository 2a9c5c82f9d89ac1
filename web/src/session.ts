// One attempt at being in a meeting: websocket, the two peer connections,
// the participant list and the call view. Ends exactly once (onEnd).

import type { User } from './api';
import { CallView } from './callview';
import type { CallModel, RemoteMedia } from './callview';
import { announce } from './dom';
import { describeMediaError, errorName, screenShareSupported } from './media';
import type { LocalMedia } from './media';
import { PROTOCOL_VERSION } from './protocol';
import type { ParticipantInfo, ServerMessage, ServerMessages, Source, TrackOwner } from './protocol';
import { Publisher, Subscriber } from './rtc';
import type { SendFn } from './rtc';
import { Signaling } from './signaling';

export interface SessionEnd {
  status: 'ended' | 'error';
  message: string;
  /** bye reason, error code, or a local reason (connection_lost, ...). */
  code: string;
}

export interface SessionOptions {
  meetingId: string;
  passcode: string;
  name: string;
  me: User | null;
  media: LocalMedia;
  container: HTMLElement;
  onJoined(title: string): void;
  onChange(): void;
  onEnd(end: SessionEnd): void;
}

const PING_INTERVAL_MS = 15_000;
const JOIN_TIMEOUT_MS = 20_000;
const LEAVE_WAIT_MS = 1500;

const BYE_MESSAGES: Record<string, { status: SessionEnd['status']; message: string }> = {
  left: { status: 'ended', message: 'You left the meeting.' },
  meeting_ended: { status: 'ended', message: 'The meeting has ended.' },
  server_shutdown: { status: 'ended', message: 'The server is shutting down. Try rejoining in a moment.' },
  replaced: { status: 'ended', message: 'You joined this meeting from another tab or device.' },
  rate_limited: { status: 'error', message: 'Disconnected: this browser sent too many messages.' },
  protocol_error: { status: 'error', message: 'Disconnected after a protocol error. Reload the page and try again.' },
};

const FATAL_ERRORS: Record<string, string> = {
  join_refused: 'Meeting not found or wrong passcode',
  meeting_full: 'This meeting is full',
  unsupported_version: 'This page is out of date. Reload it to get the current version.',
};

export class MeetingSession {
  status: 'connecting' | 'joined' | 'ended' | 'error' = 'connecting';
  selfId = '';
  title = '';
  selfName: string;
  selfVerified: boolean;
  readonly participants = new Map<string, ParticipantInfo>();
  readonly remote = new Map<string, RemoteMedia>();
  activeSpeaker = '';
  publisher: Publisher | null = null;
  subscriber: Subscriber | null = null;
  view: CallView | null = null;
  readonly sig: Signaling;
  lastPong = 0;

  private chain: Promise<void> = Promise.resolve();
  private helloSeq = 0;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private joinTimer: ReturnType<typeof setTimeout> | undefined;
  private leaveTimer: ReturnType<typeof setTimeout> | undefined;
  private leaving = false;
  private done = false;
  private readonly busy = { mic: false, camera: false, screen: false };

  readonly send: SendFn = (type, data) => this.sig.send(type, data);

  constructor(private readonly opts: SessionOptions) {
    this.selfName = opts.name || opts.me?.name || 'You';
    this.selfVerified = opts.me !== null;
    this.sig = new Signaling({
      open: () => {
        this.helloSeq = this.send('hello', {
          version: PROTOCOL_VERSION,
          meeting_id: opts.meetingId,
          passcode: opts.passcode,
          name: opts.name,
        });
      },
      message: (msg) => this.enqueue(() => this.handle(msg)),
      close: (_ev, opened) => {
        // Let already-received messages (error, bye) be handled first.
        this.enqueue(async () => this.onClose(opened));
        setTimeout(() => this.onClose(opened), 2000);
      },
    });
    this.joinTimer = setTimeout(() => {
      if (this.status === 'connecting') this.end('error', 'The server did not answer. Try again in a moment.', 'timeout');
    }, JOIN_TIMEOUT_MS);
  }

  get ended(): boolean {
    return this.done;
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((e: unknown) => {
      console.error('conclave: error handling a signalling step', e);
    });
  }

  private async handle(msg: ServerMessage): Promise<void> {
    if (this.done) return;
    switch (msg.type) {
      case 'welcome':
        await this.onWelcome(msg.data);
        break;
      case 'publish_answer':
        await this.publisher?.applyAnswer(msg.data.sdp);
        break;
      case 'subscribe_offer':
        await this.subscriber?.applyOffer(msg.data.sdp, msg.data.tracks);
        this.changed();
        break;
      case 'ice': {
        const c = msg.data.candidate;
        if (!c) break; // end of candidates
        const target = msg.data.pc === 'publish' ? this.publisher : this.subscriber;
        await target?.addRemoteCandidate(c);
        break;
      }
      case 'participant_joined':
        this.onParticipant(msg.data.participant, true);
        break;
      case 'participant_updated':
        this.onParticipant(msg.data.participant, false);
        break;
      case 'participant_left':
        this.onLeft(msg.data.participant_id);
        break;
      case 'active_speaker':
        this.activeSpeaker = msg.data.participant_id;
        this.changed();
        break;
      case 'bye': {
        const known = BYE_MESSAGES[msg.data.reason];
        if (known) this.end(known.status, known.message, msg.data.reason);
        else this.end('ended', `Disconnected by the server (${msg.data.reason || 'no reason given'}).`, msg.data.reason);
        break;
      }
      case 'error':
        this.onError(msg.data);
        break;
      case 'pong':
        this.lastPong = Date.now();
        break;
    }
  }

  private async onWelcome(d: ServerMessages['welcome']): Promise<void> {
    if (this.status !== 'connecting') return;
    if (this.joinTimer !== undefined) clearTimeout(this.joinTimer);
    this.status = 'joined';
    this.selfId = d.participant_id;
    this.title = d.meeting.title;
    for (const p of d.participants) if (p.id !== this.selfId) this.participants.set(p.id, p);

    this.view = new CallView(
      {
        toggleMic: () => void this.toggleMic(),
        toggleCamera: () => void this.toggleCamera(),
        toggleScreen: () => void this.toggleScreen(),
        leave: () => this.leave(),
      },
      (size) => this.send('video_size', size),
      screenShareSupported(),
    );
    this.opts.container.appendChild(this.view.el);

    const media = this.opts.media;
    this.publisher = new Publisher(d.ice_servers, this.send, { audio: media.mic, camera: media.cam, screen: null });
    this.subscriber = new Subscriber(d.ice_servers, this.send, {
      bind: (owner, track) => this.bind(owner, track),
      unbind: (owner, track) => this.unbind(owner, track),
    });
    for (const pc of [this.publisher.pc, this.subscriber.pc]) {
      pc.addEventListener('iceconnectionstatechange', () => this.onIceState());
    }
    this.pingTimer = setInterval(() => this.send('ping', {}), PING_INTERVAL_MS);

    this.opts.onJoined(this.title);
    const n = this.participants.size;
    announce(
      `You joined ${this.title || 'the meeting'}. ` +
        (n === 0 ? 'Nobody else is here yet.' : n === 1 ? 'One other person is here.' : `${n} other people are here.`),
    );
    this.changed();
    this.view.focus();
    try {
      await this.publisher.negotiate();
    } catch (e) {
      console.error('conclave: publish offer failed', e);
      this.end('error', 'This browser could not set up the media connection.', 'publish_failed');
      return;
    }
    this.sendMediaState();
  }

  private mediaProblem = false;

  private onIceState(): void {
    if (this.done) return;
    const bad = [this.publisher?.pc, this.subscriber?.pc].some(
      (pc) => pc !== undefined && (pc.iceConnectionState === 'disconnected' || pc.iceConnectionState === 'failed'),
    );
    if (bad !== this.mediaProblem) {
      this.mediaProblem = bad;
      this.view?.setMediaProblem(bad);
      announce(bad ? 'Media connection interrupted. Reconnecting.' : 'Media connection restored.');
    }
    this.opts.onChange();
  }

  private onParticipant(p: ParticipantInfo, joined: boolean): void {
    if (p.id === this.selfId) {
      if (p.name) this.selfName = p.name;
      this.selfVerified = p.verified;
      this.changed();
      return;
    }
    const prev = this.participants.get(p.id);
    this.participants.set(p.id, p);
    const name = p.name || 'A guest';
    if (joined && !prev) announce(`${name} joined.`);
    else if (prev && !prev.screen && p.screen) announce(`${name} is sharing their screen.`);
    else if (prev && prev.screen && !p.screen) announce(`${name} stopped sharing.`);
    this.changed();
  }

  private onLeft(id: string): void {
    const p = this.participants.get(id);
    if (!p) return;
    this.participants.delete(id);
    this.remote.delete(id);
    if (this.activeSpeaker === id) this.activeSpeaker = '';
    announce(`${p.name || 'A guest'} left.`);
    this.changed();
  }

  private onError(d: ServerMessages['error']): void {
    const fatal = FATAL_ERRORS[d.code];
    if (fatal) {
      this.end('error', fatal, d.code);
      return;
    }
    if (this.status === 'connecting' || (d.ref !== null && d.ref === this.helloSeq)) {
      this.end('error', `Could not join: ${d.message || d.code}`, d.code);
      return;
    }
    // Not fatal: the connection stays open.
    console.warn(`conclave: server error ${d.code}: ${d.message} (ref ${String(d.ref)})`);
    if (d.code === 'internal') announce('The server reported an error.');
  }

  private onClose(opened: boolean): void {
    if (this.done) return;
    if (this.leaving) this.end('ended', BYE_MESSAGES['left']?.message ?? 'You left the meeting.', 'left');
    else if (!opened) this.end('error', 'Could not connect to the server. Check your connection and try again.', 'connect_failed');
    else if (this.status === 'connecting') this.end('error', 'The server closed the connection before you joined.', 'closed');
    else this.end('error', 'The connection to the server was lost.', 'connection_lost');
  }

  private bind(owner: TrackOwner, track: MediaStreamTrack): void {
    const r = this.remoteOf(owner.participant_id);
    r[owner.source] = track;
    this.changed();
  }

  private unbind(owner: TrackOwner, track: MediaStreamTrack): void {
    const r = this.remote.get(owner.participant_id);
    if (r && r[owner.source] === track) {
      r[owner.source] = null;
      this.changed();
    }
  }

  private remoteOf(pid: string): RemoteMedia {
    let r = this.remote.get(pid);
    if (!r) {
      r = { audio: null, camera: null, screen: null };
      this.remote.set(pid, r);
    }
    return r;
  }

  model(): CallModel {
    const media = this.opts.media;
    return {
      selfId: this.selfId,
      selfName: this.selfName,
      selfVerified: this.selfVerified,
      mic: media.mic,
      cam: media.cam,
      screen: media.screen,
      others: Array.from(this.participants.values()),
      remote: this.remote,
      activeSpeaker: this.activeSpeaker,
    };
  }

  private changed(): void {
    if (this.done) return;
    this.view?.sync(this.model());
    this.opts.onChange();
  }

  sendMediaState(): void {
    const m = this.opts.media;
    this.send('media_state', { audio: m.mic !== null, video: m.cam !== null, screen: m.screen !== null });
  }

  async toggleMic(): Promise<void> {
    await this.toggle('mic', async () => {
      const media = this.opts.media;
      if (media.mic) {
        await this.publisher?.setTrack('audio', null);
        media.stopMic();
        announce('Microphone off.');
      } else {
        const track = await this.startOr('microphone', () => media.startMic());
        if (!track) return;
        await this.attach('audio', track, () => media.stopMic());
        announce('Microphone on.');
      }
    });
  }

  async toggleCamera(): Promise<void> {
    await this.toggle('camera', async () => {
      const media = this.opts.media;
      if (media.cam) {
        await this.publisher?.setTrack('camera', null);
        media.stopCamera(); // the camera light goes off
        announce('Camera off.');
      } else {
        const track = await this.startOr('camera', () => media.startCamera());
        if (!track) return;
        await this.attach('camera', track, () => media.stopCamera());
        announce('Camera on.');
      }
    });
  }

  async toggleScreen(): Promise<void> {
    if (this.opts.media.screen) {
      await this.stopScreen();
      return;
    }
    await this.toggle('screen', async () => {
      const media = this.opts.media;
      let track: MediaStreamTrack;
      try {
        track = await media.startScreen();
      } catch (e) {
        // Cancelling the browser's picker is not an error worth shouting about.
        if (errorName(e) !== 'NotAllowedError') {
          announce(`Could not share the screen: ${describeMediaError(e)}.`);
        }
        return;
      }
      // Stopping from the browser's own "Stop sharing" UI ends the track.
      track.addEventListener('ended', () => {
        if (this.opts.media.screen === track) void this.stopScreen();
      });
      await this.attach('screen', track, () => media.stopScreen());
      announce('You are sharing your screen.');
    });
  }

  private async stopScreen(): Promise<void> {
    await this.toggle('screen', async () => {
      if (!this.opts.media.screen) return;
      await this.publisher?.setTrack('screen', null);
      this.opts.media.stopScreen();
      announce('You stopped sharing your screen.');
    });
  }

  private async toggle(which: 'mic' | 'camera' | 'screen', work: () => Promise<void>): Promise<void> {
    if (this.status !== 'joined' || this.busy[which]) return;
    this.busy[which] = true;
    this.view?.setBusy(which, true);
    try {
      await work();
    } catch (e) {
      console.warn('conclave: toggle failed', e);
      announce(`Something went wrong: ${describeMediaError(e)}.`);
    } finally {
      this.busy[which] = false;
      this.view?.setBusy(which, false);
      if (!this.done) {
        this.sendMediaState();
        this.changed();
      }
    }
  }

  private async startOr(what: string, start: () => Promise<MediaStreamTrack>): Promise<MediaStreamTrack | null> {
    try {
      return await start();
    } catch (e) {
      announce(`Could not turn on the ${what}: ${describeMediaError(e)}.`);
      return null;
    }
  }

  private async attach(source: Source, track: MediaStreamTrack, undo: () => void): Promise<void> {
    if (this.done) {
      undo();
      return;
    }
    try {
      await this.publisher?.setTrack(source, track);
    } catch (e) {
      undo();
      throw e;
    }
  }

  /** Leave politely: the server answers with bye (left). */
  leave(): void {
    if (this.done || this.leaving) return;
    this.leaving = true;
    if (this.sig.send('leave', {}) === 0) {
      this.end('ended', 'You left the meeting.', 'left');
      return;
    }
    this.leaveTimer = setTimeout(() => this.end('ended', 'You left the meeting.', 'left'), LEAVE_WAIT_MS);
  }

  /** Page is going away: tell the server without waiting. */
  leaveNow(): void {
    if (this.done) return;
    this.leaving = true;
    this.sig.send('leave', {});
    this.end('ended', 'You left the meeting.', 'left');
  }

  private end(status: SessionEnd['status'], message: string, code: string): void {
    if (this.done) return;
    this.done = true;
    this.status = status;
    for (const t of [this.pingTimer, this.joinTimer, this.leaveTimer]) {
      if (t !== undefined) clearTimeout(t);
    }
    if (this.pingTimer !== undefined) clearInterval(this.pingTimer);
    this.publisher?.close();
    this.subscriber?.close();
    this.opts.media.stopAll(); // camera and microphone lights go off
    this.sig.close();
    this.view?.destroy();
    this.view = null;
    this.remote.clear();
    this.activeSpeaker = '';
    this.opts.onEnd({ status, message, code });
  }
}
