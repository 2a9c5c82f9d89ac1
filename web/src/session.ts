// One attempt at being in a meeting: websocket, the two peer connections,
// the participant list and the call view. Ends exactly once (onEnd).

import type { User } from './api';
import { CallView, bindTrack, unbindTrack } from './callview';
import type { CallModel, RemoteMedia } from './callview';
import { announce } from './dom';
import { modCommands } from './commands';
import { BYE_MESSAGES, FATAL_ERRORS, FULL_ON_ADMIT, tooManyAttempts } from './endings';
import { FileClient } from './files';
import type { Effect } from './effects';
import { E2EESession, E2EE_DOWNGRADE, E2EE_LIVE_DOWNGRADE, E2EE_UNSUPPORTED } from './e2eesession';
import { e2eeEntry, liveDowngrade } from './e2ee/entry';
import { plainEncryptionLabel } from './e2eeview';
import { screenShareSupported } from './media';
import type { LocalMedia } from './media';
import { OPEN_SETTINGS, PROTOCOL_VERSION } from './protocol';
import type {
  ChatMessage,
  GuestProof,
  LobbyEntry,
  MeetingSettings,
  ParticipantInfo,
  Role,
  ServerMessage,
  ServerMessages,
  WaitingInfo,
} from './protocol';
import { ROLE_NEWS, canModerate, canShareScreen } from './roles';
import { Publisher, Subscriber } from './rtc';
import type { SendFn } from './rtc';
import { addChat, addHistory, deleteChat, newChatLog } from './panelmodel';
import type { ChatLog } from './panelmodel';
import { LocalControls } from './localcontrols';
import { Resumer } from './reconnect';
import { Joiner } from './join';
import { DROP_CODE, Signaling, signalingUrl } from './signaling';
import { deviceToken } from './storage';

export interface SessionEnd {
  status: 'ended' | 'error';
  message: string;
  /** bye reason, error code, or a local reason (connection_lost, ...). */
  code: string;
  /**
   * Set when the page should join again on its own with hello (bye moved,
   * resume_failed: the session is gone from the server, the meeting is
   * not): local media stays on, and the call view, if any, stays up saying
   * "Reconnecting…" until the next session takes its place.
   */
  rejoin?: { view: CallView | null };
}

export interface SessionOptions {
  meetingId: string;
  passcode: string;
  name: string;
  /** The privacy notice version the person accepted (0: none needed). */
  noticeVersion?: number;
  /** What the pre-join screen said about end-to-end encryption (prejoine2ee.ts). */
  announcedE2EE?: boolean | null;
  me: User | null;
  media: LocalMedia;
  container: HTMLElement;
  /** The server holds us in the waiting room (again, when info changed). */
  onWaiting(info: WaitingInfo): void;
  onJoined(title: string): void;
  /** The signalling connection dropped (true) or was resumed (false). */
  onReconnecting?(reconnecting: boolean): void;
  onChange(): void;
  onEnd(end: SessionEnd): void;
  /** Leave was pressed on the view an ended session handed over (SessionEnd.rejoin). */
  onLeaveAfterEnd?(): void;
}

const JOIN_TIMEOUT_MS = 20_000;
/** The call ends with this when the connection cannot be resumed. */
export const LOST_MESSAGE = 'The connection was lost and could not be restored.';
const LEAVE_WAIT_MS = 1500;
/** WebSocket close code of a deliberate, orderly close. */
const NORMAL_CLOSURE = 1000;
const MAX_ERRORS = 20;

export interface ErrorRecord {
  code: string;
  message: string;
  /** The seq of the message refused; null when it answers none (0 on the wire). */
  ref: number | null;
}

export class MeetingSession {
  status: 'connecting' | 'waiting' | 'joined' | 'ended' | 'error' = 'connecting';
  selfId = '';
  title = '';
  selfName: string;
  selfVerified: boolean;
  readonly participants = new Map<string, ParticipantInfo>();
  readonly remote = new Map<string, RemoteMedia>();
  activeSpeaker = '';
  role: Role | null = null;
  settings: MeetingSettings = { ...OPEN_SETTINGS };
  waiting: WaitingInfo | null = null;
  /** The waiting room, as hosts and co-hosts see it. */
  lobby: LobbyEntry[] = [];
  readonly chat: ChatLog = newChatLog();
  /**
   * The meeting's file routes with this participant's capability
   * (welcome.file_token; null when the server shares no files). The token
   * lives inside it, in memory only, like the resume token; it stays
   * valid across a resume and is dropped when the call ends.
   */
  files: FileClient | null = null;
  /**
   * A guest's one-time proof that this participant ID was theirs
   * (guest_proof), shown on the ended screen. In memory only, like the
   * resume token: stored in the browser it could be read by anyone with
   * the profile and used to ask for the guest's data.
   */
  guestProof: GuestProof | null = null;
  byeReason: string | null = null;
  /** Recent non-fatal errors, newest last (the test hook reads them). */
  readonly errors: ErrorRecord[] = [];
  publisher: Publisher | null = null;
  subscriber: Subscriber | null = null;
  /** End-to-end encryption, in a meeting whose settings say e2ee (e2eesession.ts). */
  e2ee: E2EESession | null = null;
  view: CallView | null = null;
  readonly sig: Signaling;
  /** Pings, the resume token and reconnecting after a drop (reconnect.ts). */
  private readonly resume: Resumer;
  /** The socket generation whose close has been dealt with. */
  private closeHandled = 0;

  private chain: Promise<void> = Promise.resolve();
  /** hello, the same on every socket of the join, and the redirects (join.ts). */
  private readonly joiner: Joiner;
  private joinTimer: ReturnType<typeof setTimeout> | undefined;
  private leaveTimer: ReturnType<typeof setTimeout> | undefined;
  private leaving = false;
  private endingMeeting = false;
  private done = false;
  /** The participant's own microphone, camera and screen (localcontrols.ts). */
  private readonly controls: LocalControls;

  readonly send: SendFn = (type, data) => this.sig.send(type, data);

  constructor(private readonly opts: SessionOptions) {
    this.selfName = opts.name || opts.me?.name || 'You';
    this.selfVerified = opts.me !== null;
    this.sig = new Signaling({
      open: () => this.onOpen(),
      message: (msg) => {
        // Noted at once: a busy handling chain must not look like a dead socket.
        if (msg.type === 'pong') this.resume.pong();
        this.enqueue(() => this.handle(msg));
      },
      close: (ev, opened) => {
        const gen = this.sig.generation;
        // Let already-received messages (error, bye) be handled first.
        this.enqueue(async () => this.onClose(gen, opened, ev.code));
        setTimeout(() => this.onClose(gen, opened, ev.code), 2000);
      },
    }, signalingUrl(opts.meetingId));
    this.joiner = new Joiner(this.sig, {
      version: PROTOCOL_VERSION,
      meeting_id: opts.meetingId,
      passcode: opts.passcode,
      name: opts.name,
      device: deviceToken(),
      notice_version: opts.noticeVersion ?? 0,
    });
    this.resume = new Resumer({
      sig: this.sig,
      ended: () => this.done,
      socketDead: (gen) => this.onClose(gen, true, DROP_CODE),
      socketAbandoned: (gen) => {
        this.closeHandled = gen;
      },
      reconnectingChanged: (on) => this.reconnectingChanged(on),
      lost: () => this.end('error', LOST_MESSAGE, 'connection_lost'),
      changed: () => this.changed(),
    });
    this.controls = new LocalControls({
      media: opts.media,
      publisher: () => this.publisher,
      view: () => this.view,
      joined: () => this.status === 'joined',
      ended: () => this.done,
      canShare: () => this.canShare,
      sendMediaState: () => this.sendMediaState(),
      changed: () => this.changed(),
    });
    this.joinTimer = setTimeout(() => {
      if (this.status === 'connecting') this.end('error', 'The server did not answer. Try again in a moment.', 'timeout');
    }, JOIN_TIMEOUT_MS);
  }

  get ended(): boolean {
    return this.done;
  }

  /** A dropped socket can be resumed: in the meeting or the waiting room, with a token, no bye. */
  private get mayResume(): boolean {
    return this.resume.hasToken && (this.status === 'joined' || this.status === 'waiting') && this.byeReason === null;
  }

  /** A resume token is held (the token itself never leaves the session). */
  get canResume(): boolean {
    return this.resume.hasToken;
  }

  /** The signalling socket dropped and the session is being resumed. */
  get reconnecting(): boolean {
    return this.resume.reconnecting;
  }

  /** Resumes that worked (the test hook reads it). */
  get resumes(): number {
    return this.resume.resumes;
  }

  /** Attempts to reconnect since the last drop. */
  get reconnectAttempts(): number {
    return this.resume.attempts;
  }

  private onOpen(): void {
    if (this.done || this.resume.resumeOnOpen()) return;
    this.joiner.send();
  }

  /** hello was answered with redirect: the same hello goes to the node named. */
  private onRedirect(url: string): void {
    if (this.status !== 'connecting') return; // only ever an answer to hello
    const refused = this.joiner.redirect(url);
    if (refused) this.end('error', refused.message, refused.code);
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
      case 'waiting':
        this.onWaiting(msg.data);
        break;
      case 'redirect':
        this.onRedirect(msg.data.url);
        break;
      case 'lobby':
        this.lobby = msg.data.waiting;
        this.changed();
        break;
      case 'meeting_updated':
        if (liveDowngrade(this.e2ee !== null, msg.data.settings)) {
          this.end('error', E2EE_LIVE_DOWNGRADE, 'e2ee_downgrade');
          break;
        }
        // The full settings after the change, not a patch.
        this.settings = msg.data.settings;
        await this.rightsChanged();
        break;
      case 'muted':
        await this.controls.muted(msg.data.source);
        break;
      case 'unmute_request':
        this.view?.prompts.askUnmute(msg.data.source);
        break;
      case 'recording':
        this.view?.recording.update(msg.data);
        break;
      case 'transcription':
        this.view?.transcription.update(msg.data);
        break;
      case 'caption':
        this.view?.transcription.caption(msg.data);
        break;
      case 'control_requested':
        this.view?.remoteControl.requested(msg.data);
        break;
      case 'control_refused':
        this.view?.remoteControl.refused(msg.data);
        break;
      case 'control':
        this.view?.remoteControl.state(msg.data);
        break;
      case 'chat':
        if (msg.data.ciphertext) this.openChat([msg.data], true);
        else if (addChat(this.chat, msg.data)) this.changed();
        break;
      case 'chat_history': {
        // May come after the first live messages: merged by time, once each.
        const plain = msg.data.messages.filter((m) => !m.ciphertext);
        if (addHistory(this.chat, plain) > 0) this.changed();
        this.openChat(msg.data.messages.filter((m) => m.ciphertext), false);
        break;
      }
      case 'chat_deleted':
        if (deleteChat(this.chat, msg.data.id, msg.data.by)) this.changed();
        break;
      case 'e2ee_pubkey':
        this.e2ee?.onPublicKey(msg.data.participant, msg.data.spki);
        break;
      case 'e2ee_key':
        this.e2ee?.onWrappedKey(msg.data.from, msg.data.wrapped);
        break;
      case 'guest_proof':
        this.guestProof = msg.data;
        this.opts.onChange();
        break;
      case 'ice_servers':
        this.publisher?.setIceServers(msg.data.ice_servers);
        this.subscriber?.setIceServers(msg.data.ice_servers);
        break;
      case 'publish_answer':
        await this.publisher?.applyAnswer(msg.data.sdp);
        break;
      case 'subscribe_offer':
        await this.subscriber?.applyOffer(msg.data.sdp, msg.data.tracks);
        this.changed();
        break;
      case 'ice': {
        // Defined, but the server puts its candidates in its SDP and does
        // not send this today; a candidate that comes is added all the same.
        const c = msg.data.candidate;
        if (!c || !c.candidate) break; // end of candidates
        const target = msg.data.pc === 'publish' ? this.publisher : this.subscriber;
        await target?.addRemoteCandidate(c);
        break;
      }
      case 'participant_joined':
        await this.onParticipant(msg.data.participant, true);
        break;
      case 'participant_updated':
        await this.onParticipant(msg.data.participant, false);
        break;
      case 'participant_left':
        this.onLeft(msg.data.participant_id);
        break;
      case 'active_speaker':
        this.activeSpeaker = msg.data.participant_id;
        this.changed();
        break;
      case 'bye': {
        this.byeReason = msg.data.reason;
        if (msg.data.reason === 'meeting_ended' && this.endingMeeting) {
          this.end('ended', 'You ended the meeting for everyone.', 'meeting_ended');
          break;
        }
        const known = BYE_MESSAGES[msg.data.reason];
        // moved: the meeting runs on another node now; the page joins it again.
        if (known) this.end(known.status, known.message, msg.data.reason, msg.data.reason === 'moved');
        else this.end('ended', `Disconnected by the server (${msg.data.reason || 'no reason given'}).`, msg.data.reason);
        break;
      }
      case 'error':
        this.onError(msg.data);
        break;
      case 'pong':
        break; // noted on arrival
      case 'resume_token':
        this.resume.setToken(msg.data.token, msg.data.grace_seconds);
        break;
      case 'resumed':
        if (this.resume.resumed(msg.data.last_seq)) this.changed();
        break;
    }
  }

  private onWaiting(d: WaitingInfo): void {
    if (this.status !== 'connecting' && this.status !== 'waiting') return;
    // Waiting may take long: the join timeout no longer applies, and
    // pings keep the connection alive meanwhile.
    if (this.joinTimer !== undefined) clearTimeout(this.joinTimer);
    this.resume.startPings();
    this.joiner.entered();
    this.status = 'waiting';
    this.waiting = d;
    this.opts.onWaiting(d);
    this.opts.onChange();
  }

  private async onWelcome(d: ServerMessages['welcome']): Promise<void> {
    if (this.status !== 'connecting' && this.status !== 'waiting') return;
    if (this.joinTimer !== undefined) clearTimeout(this.joinTimer);
    this.joiner.entered();
    this.status = 'joined';
    this.waiting = null;
    this.selfId = d.participant_id;
    this.title = d.meeting.title;
    this.role = d.role;
    this.settings = d.meeting.settings;
    this.files = d.file_token ? new FileClient(d.meeting.id || this.opts.meetingId, d.file_token) : null;
    for (const p of d.participants) if (p.id !== this.selfId) this.participants.set(p.id, p);
    if (!(await this.startE2EE(d.meeting.id || this.opts.meetingId))) return;

    this.view = new CallView(
      {
        toggleMic: () => void this.toggleMic(),
        toggleCamera: () => void this.toggleCamera(),
        toggleScreen: () => void this.toggleScreen(),
        setEffect: (e) => void this.setEffect(e),
        leave: () => this.leave(),
        turnOn: (source) => void this.turnOn(source),
        send: this.send,
        meetingId: d.meeting.id || this.opts.meetingId,
        remoteControlKey: (peer, grant) => (this.e2ee ? this.e2ee.remoteControlKey(peer, grant) : Promise.resolve(null)),
        mod: {
          ...modCommands(this.send),
          chat: (text, to) => this.sendChat(text, to),
          endMeeting: () => {
            this.endingMeeting = true; // the bye that follows is our doing
            this.send('end_meeting', {});
          },
        },
      },
      (size) => this.send('video_size', size),
      screenShareSupported(),
    );
    this.opts.container.appendChild(this.view.el);
    this.view.el.prepend(this.e2ee ? this.e2ee.view.el : plainEncryptionLabel());

    const media = this.opts.media;
    this.publisher = new Publisher(d.ice_servers, this.send, { audio: media.mic, camera: media.cam, screen: null }, this.e2ee);
    this.subscriber = new Subscriber(
      d.ice_servers,
      this.send,
      {
        bind: (owner, track) => {
          bindTrack(this.remote, owner, track);
          this.changed();
        },
        unbind: (owner, track) => {
          if (unbindTrack(this.remote, owner, track)) this.changed();
        },
      },
      this.e2ee,
    );
    for (const pc of [this.publisher.pc, this.subscriber.pc]) {
      pc.addEventListener('iceconnectionstatechange', () => this.onIceState());
    }
    this.resume.startPings();

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

  /**
   * An end-to-end encrypted meeting: keys first, so that the peer
   * connections carry transforms from the start. A browser that cannot
   * encrypt frames leaves at once: it may not send clear media here.
   */
  private async startE2EE(meetingId: string): Promise<boolean> {
    const entry = e2eeEntry(this.opts.announcedE2EE, this.settings.e2ee);
    if (entry === 'clear') return true;
    this.e2ee = entry === 'downgrade' ? null : await E2EESession.start({
      meetingId,
      selfId: this.selfId,
      send: this.send,
      others: () => this.participants.keys(),
      nameOf: (id) => this.participants.get(id)?.name || 'A guest',
      changed: () => this.changed(),
    });
    if (this.e2ee) return true;
    this.sig.send('leave', {});
    const down = entry === 'downgrade';
    this.end('error', down ? E2EE_DOWNGRADE : E2EE_UNSUPPORTED, down ? 'e2ee_downgrade' : 'e2ee_unsupported');
    return false;
  }

  /** Reconnecting began (on) or a resume ended it: the view says so. */
  private reconnectingChanged(on: boolean): void {
    this.view?.setReconnecting(on);
    this.opts.onReconnecting?.(on);
    announce(on ? 'Connection to the server lost. Reconnecting…' : 'Reconnected.');
    if (!on) this.restartBrokenIce();
    this.changed();
  }

  /**
   * A media connection that broke meanwhile restarts ICE now that the
   * server can be told (the watchdog's restart may have waited in the
   * buffer; an offer still pending is left to its answer).
   */
  private restartBrokenIce(): void {
    for (const conn of [this.publisher, this.subscriber]) {
      if (!conn) continue;
      const s = conn.pc.iceConnectionState;
      if (s !== 'failed' && s !== 'disconnected') continue;
      if (conn === this.publisher && conn.pc.signalingState === 'have-local-offer') continue;
      conn.restartNow();
    }
  }

  /** Test aid: cuts the socket as a network drop would (no leave). */
  dropSignaling(hold: boolean): boolean {
    return this.resume.drop(hold);
  }

  /** Test aid: lets reconnect attempts held by dropSignaling(true) go on. */
  releaseReconnect(): boolean {
    return this.resume.release();
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

  private async onParticipant(p: ParticipantInfo, joined: boolean): Promise<void> {
    if (p.id === this.selfId) {
      if (p.name) this.selfName = p.name;
      this.selfVerified = p.verified;
      if (p.role !== this.role) {
        this.role = p.role;
        if (!canModerate(p.role)) this.lobby = []; // no longer sent to us
        announce(`You are now ${ROLE_NEWS[p.role]}.`);
      }
      await this.rightsChanged();
      return;
    }
    const prev = this.participants.get(p.id);
    this.participants.set(p.id, p);
    const name = p.name || 'A guest';
    if (!prev) this.e2ee?.membershipChanged();
    if (joined && !prev) announce(`${name} joined.`);
    else if (prev && !prev.reconnecting && p.reconnecting) announce(`${name} lost their connection. Reconnecting.`);
    else if (prev && prev.reconnecting && !p.reconnecting) announce(`${name} is back.`);
    else if (prev && !prev.screen && p.screen) announce(`${name} is sharing their screen.`);
    else if (prev && prev.screen && !p.screen) announce(`${name} stopped sharing.`);
    this.changed();
  }

  private onLeft(id: string): void {
    const p = this.participants.get(id);
    if (!p) return;
    this.participants.delete(id);
    this.e2ee?.membershipChanged(id);
    this.remote.delete(id);
    if (this.activeSpeaker === id) this.activeSpeaker = '';
    announce(`${p.name || 'A guest'} left.`);
    this.changed();
  }

  private onError(d: ServerMessages['error']): void {
    // ref and retry_after are 0 when absent (the server omits them then).
    const ref = d.ref > 0 ? d.ref : null;
    if (this.reconnecting) {
      // The answer to resume: refused for good, or (anything else) the
      // socket closes or times out and the next attempt follows.
      if (d.code === 'resume_failed') {
        // The session is gone (its node may have died), the meeting may
        // not be: the page joins again as a first join does.
        this.end('error', LOST_MESSAGE, 'resume_failed', true);
        return;
      }
      const fatal = d.code === 'unsupported_version' ? FATAL_ERRORS[d.code] : undefined;
      if (fatal && ref !== null && ref === this.resume.resumeSeq) {
        this.end('error', fatal, d.code);
        return;
      }
      console.warn(`conclave: server error ${d.code} while resuming: ${d.message} (ref ${String(ref)})`);
      return;
    }
    // The join refusals end the call only while joining: the same codes
    // answer moderation later (meeting_full refuses a host's admit past the
    // participant limit), and the host must stay in their own meeting.
    const joining = !this.admitted || (ref !== null && ref === this.joiner.seq);
    const fatal = !joining ? undefined : d.code === 'too_many_attempts' ? tooManyAttempts(d.retry_after) : FATAL_ERRORS[d.code];
    if (fatal) {
      this.end('error', fatal, d.code);
      return;
    }
    if (this.status === 'connecting' || (ref !== null && ref === this.joiner.seq)) {
      this.end('error', `Could not join: ${d.message || d.code}`, d.code);
      return;
    }
    // Not fatal: the connection stays open.
    console.warn(`conclave: server error ${d.code}: ${d.message} (ref ${String(ref)})`);
    this.errors.push({ code: d.code, message: d.message, ref });
    if (this.errors.length > MAX_ERRORS) this.errors.shift();
    if (d.code === 'internal') announce('The server reported an error.');
    else if (d.code === 'forbidden') announce('The server refused that: your role does not allow it.');
    else if (d.code === 'not_found') announce('That person is no longer in the meeting.');
    else if (d.code === 'meeting_full') this.view?.prompts.show(FULL_ON_ADMIT);
    // Controls that changed optimistically (switches) fall back to the truth.
    this.changed();
  }

  /**
   * The current socket closed (code: its close code). A normal closure
   * (1000) comes from a server that ended the session on purpose, after a
   * fatal error; any other close is a drop, which a session with a resume
   * token survives.
   */
  private onClose(gen: number, opened: boolean, code: number): void {
    // Once per socket, and only for the current one.
    if (this.done || gen !== this.sig.generation || gen <= this.closeHandled) return;
    this.closeHandled = gen;
    if (this.leaving) this.end('ended', BYE_MESSAGES['left']?.message ?? 'You left the meeting.', 'left');
    else if (this.reconnecting) this.resume.attemptFailed();
    else if (this.mayResume && code !== NORMAL_CLOSURE) this.resume.start();
    else if (!opened) this.end('error', 'Could not connect to the server. Check your connection and try again.', 'connect_failed');
    else if (!this.admitted) this.end('error', 'The server closed the connection before you joined.', 'closed');
    else this.end('error', 'The connection to the server was lost.', 'connection_lost');
  }

  model(): CallModel {
    const media = this.opts.media;
    return {
      selfId: this.selfId,
      selfName: this.selfName,
      selfVerified: this.selfVerified,
      mic: media.mic,
      cam: media.cam,
      effect: media.effect,
      effectActive: media.effectActive,
      effectError: media.effectError,
      screen: media.screen,
      others: Array.from(this.participants.values()),
      remote: this.remote,
      activeSpeaker: this.activeSpeaker,
      role: this.role,
      settings: this.settings,
      canShare: this.canShare,
      lobby: this.lobby,
      chat: this.chat,
      files: this.files,
      reconnecting: this.reconnecting,
    };
  }

  /** welcome has come (the call may have ended since). */
  private get admitted(): boolean {
    return this.selfId !== '';
  }

  get canShare(): boolean {
    return canShareScreen(this.role, this.settings);
  }

  /** Role or settings changed: a share the rules no longer allow stops. */
  private async rightsChanged(): Promise<void> {
    this.changed();
    if (this.status !== 'joined' || this.canShare || !this.opts.media.screen) return;
    await this.controls.stopScreen();
    this.view?.prompts.show('You can no longer share your screen: only presenters can.');
  }

  /** The person accepted a host's request to turn a source on. */
  turnOn(source: 'audio' | 'camera'): Promise<void> {
    return this.controls.turnOn(source);
  }

  /**
   * A chat message from the panel: in an encrypted meeting sealed first
   * (e2eechat.ts), never sent as text; resolves with why it was not sent.
   */
  private sendChat(text: string, to: string[]): Promise<string | null> | void {
    if (this.e2ee) return this.e2ee.chat.send(this.send, text, to, (id) => this.participants.get(id)?.name || 'A guest');
    this.send('chat', to.length === 0 ? { text } : { text, to });
  }

  /** Encrypted chat messages, opened (or marked unreadable) before they join the log; live ones may wait for a key. */
  private openChat(msgs: ChatMessage[], live: boolean): void {
    for (const m of msgs) {
      const opened = this.e2ee ? this.e2ee.chat.open(m, live) : Promise.resolve({ msg: { ...m, text: '' }, seal: 'unreadable' as const });
      void opened.then(({ msg, seal }) => {
        if (this.done) return;
        if (live ? addChat(this.chat, msg, seal) : addHistory(this.chat, [msg], seal) > 0) this.changed();
      });
    }
  }

  /** Sends any message (test hook); returns its seq, 0 when not sent. */
  command(type: string, data: unknown): number {
    return this.sig.sendRaw(type, data);
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

  toggleMic(): Promise<void> {
    return this.controls.toggleMic();
  }

  toggleCamera(): Promise<void> {
    return this.controls.toggleCamera();
  }

  toggleScreen(): Promise<void> {
    return this.controls.toggleScreen();
  }

  /** A background effect was picked in the call: the sent camera changes with the preview. */
  setEffect(effect: Effect): Promise<void> {
    return this.controls.setEffect(effect);
  }

  /** Leave politely: the server answers with bye (left). */
  leave(): void {
    if (this.done) this.opts.onLeaveAfterEnd?.();
    if (this.done || this.leaving) return;
    this.leaving = true;
    if (this.reconnecting) {
      // Nobody to tell now: the server ends the seat when its grace is over.
      this.end('ended', 'You left the meeting.', 'left');
      return;
    }
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

  /**
   * Ends the session once. rejoin (moved, resume_failed): a session that
   * had entered hands its view and local media to the page, which joins
   * again; the peer connections go, as the next welcome sets up new ones.
   */
  private end(status: SessionEnd['status'], message: string, code: string, rejoin = false): void {
    if (this.done) return;
    const handover = rejoin && (this.status === 'joined' || this.status === 'waiting');
    this.done = true;
    this.status = status;
    for (const t of [this.joinTimer, this.leaveTimer]) {
      if (t !== undefined) clearTimeout(t);
    }
    this.resume.stop();
    this.files = null;
    this.publisher?.close();
    this.subscriber?.close();
    this.e2ee?.close();
    this.sig.close();
    const view = this.view;
    this.view = null;
    this.remote.clear();
    this.activeSpeaker = '';
    if (handover) {
      // Camera and microphone carry over; a screen share does not, as a reload would end it.
      this.opts.media.stopScreen();
      view?.setReconnecting(true);
      this.opts.onEnd({ status, message, code, rejoin: { view } });
      return;
    }
    this.opts.media.stopAll(); // camera and microphone lights go off
    view?.destroy();
    this.opts.onEnd({ status, message, code });
  }
}
