// window.conclave: a small, stable hook for automated browser tests.

import type { E2EEStatus } from './e2eesession';
import type { DownloadResult, UploadResult } from './files';
import type {
  AssignableRole,
  ChatMessage,
  FileRef,
  LobbyEntry,
  MeetingSettings,
  ParticipantInfo,
  Role,
  SettingsChange,
  Source,
  VideoSource,
  WaitingInfo,
} from './protocol';

export type Route = 'home' | 'login' | 'setup' | 'meeting' | 'audit' | 'privacy_notice' | 'processing' | 'requests' | 'account' | 'users' | 'guest_request' | 'not_found';
export type MeetingStatus = 'prejoin' | 'connecting' | 'waiting' | 'joined' | 'ended' | 'error';

export interface TileState {
  participantId: string;
  source: VideoSource;
  self: boolean;
  /** A live video track is attached and shown (not the avatar). */
  hasVideo: boolean;
  hasTrack: boolean;
  /** Decoded frame size of the <video> element (0 until frames arrive). */
  videoWidth: number;
  videoHeight: number;
  speaking: boolean;
  /** What video_size reports for this tile (device pixels; 0×0 = hidden). */
  reportedWidth: number;
  reportedHeight: number;
}

export interface RemoteTrackState {
  participantId: string;
  source: Source;
  kind: string;
  readyState: MediaStreamTrackState;
  muted: boolean;
}

export interface ConclaveState {
  route: Route;
  status: MeetingStatus | null;
  meetingId: string | null;
  title: string;
  selfId: string | null;
  /** Everyone in the meeting, yourself first. */
  participants: string[];
  /** The others (from welcome / participant_joined / participant_left). */
  others: ParticipantInfo[];
  tiles: TileState[];
  remoteTracks: RemoteTrackState[];
  connected: { websocket: boolean; publish: boolean; subscribe: boolean };
  ice: { publish: RTCIceConnectionState | null; subscribe: RTCIceConnectionState | null };
  iceRestarts: { publish: number; subscribe: number };
  local: { audio: boolean; video: boolean; screen: boolean };
  /** The background effect chosen, whether it runs now, and why not. */
  effect: { chosen: string; active: boolean; error: string | null };
  activeSpeaker: string;
  error: string | null;
  endCode: string | null;
  /** Own meeting role once admitted. */
  role: Role | null;
  /** Why we wait, while the server holds us in the waiting room. */
  waiting: WaitingInfo | null;
  /** The waiting room as a host or co-host sees it (else empty). */
  lobby: LobbyEntry[];
  settings: MeetingSettings | null;
  /** The role and settings let us share the screen. */
  canShare: boolean;
  /**
   * The chat as shown, ordered by time: each message as received (text ''
   * once deleted), with deleted_by (the host's participant ID, or null)
   * and history (it came in chat_history).
   */
  chat: ChatState[];
  /**
   * The server gave this participant a file capability (file sharing is
   * on); the token itself is never exposed.
   */
  fileSharing: boolean;
  /**
   * The guest_proof received, without its token (shown on the ended
   * screen only); null for none.
   */
  guestProof: { participantId: string; expires: string } | null;
  /** Reason of the last bye the server sent. */
  byeReason: string | null;
  /** Recent non-fatal errors (code, ref = the seq they answer). */
  errors: { code: string; message: string; ref: number | null }[];
  /** The signalling socket dropped and is being resumed ("Reconnecting…"). */
  reconnecting: boolean;
  /** Reconnect attempts since the last drop. */
  reconnectAttempts: number;
  /** Resumes that worked in this session. */
  resumes: number;
  /** A resume token is held (the token itself is never exposed). */
  resumable: boolean;
  /** The highest server seq handled. */
  lastSeq: number;
  /**
   * End-to-end encryption (docs/e2ee.md): on in an E2EE meeting once
   * joined; the safety code shown ('' while someone's key is missing),
   * whose key changed, and the worker's frame counts. Never a key.
   */
  e2ee: E2EEState;
}

export type E2EEState = { on: boolean } & E2EEStatus;

export function emptyE2EE(): E2EEState {
  return {
    on: false,
    support: '',
    safetyCode: '',
    keyChanged: [],
    framesEncrypted: 0,
    framesDecrypted: 0,
    decryptFailures: 0,
    waitingForKey: 0,
    sendDropped: 0,
    unwrapFailures: 0,
    generation: 0,
  };
}

/**
 * A chat message as the hook shows it. file: the shared file's reference
 * ({id, name, size, type}) for a message that shares one, else null
 * (also once the message is deleted).
 */
export type ChatState = ChatMessage & {
  deleted_by: string | null;
  history: boolean;
  /** Encrypted meetings: 'open' (text decrypted here), 'before_join' or 'unreadable' (text ''); null for plain chat. */
  seal: 'open' | 'before_join' | 'unreadable' | null;
};

/** What uploadFile reports: the server's answer (status 0: not sent, or the connection broke). */
export interface UploadReport {
  ok: boolean;
  status: number;
  /** The API error code ('' on success; 'blocked' when the composer refused, 'cancelled', 'network'). */
  code: string;
  /** The message the chat panel shows for a refusal. */
  message: string;
  file: FileRef | null;
}

/** What fetchFile reports: the HTTP status and, on success, the content. */
export interface FetchReport {
  status: number;
  code: string;
  size: number;
  /** The content as UTF-8 text (for small test files). */
  text: string;
}

export interface ConclavePcs {
  publish: RTCPeerConnection | null;
  subscribe: RTCPeerConnection | null;
}

export interface ConclaveHook {
  version: 1;
  state(): ConclaveState;
  pcs(): ConclavePcs;
  /** Test aid: restart ICE on one connection the way the watchdog does. */
  restartIce(pc: 'publish' | 'subscribe'): boolean;
  /**
   * Test aids: send a protocol message as the UI would (or, with send,
   * any message at all, to check the server refuses it). Each returns the
   * message's seq (errors answering it carry it as ref), 0 if not sent.
   */
  send(type: string, data: unknown): number;
  admit(id?: string): number;
  deny(id?: string): number;
  lock(locked: boolean): number;
  settings(change: SettingsChange): number;
  remove(id: string, ban?: boolean): number;
  setRole(id: string, role: AssignableRole): number;
  mute(id: string, source: Source): number;
  askUnmute(id: string, source: 'audio' | 'camera'): number;
  /** to: one participant ID (privately), several (a group), or none (everyone). */
  chat(text: string, to?: string | string[]): number;
  deleteChat(id: string): number;
  /**
   * Test aid (encrypted meetings): opens a chat message as this page would
   * on arrival, without adding it to the chat, e.g. one another page
   * received; seal 'none' outside an encrypted call.
   */
  openChat(msg: ChatMessage): Promise<{ text: string; seal: string }>;
  /**
   * Test aid past the file picker: shares a file of content (text as
   * UTF-8, or bytes 0–255) under name through the chat panel's upload (its
   * status line and errors show), to: one participant ID, several, '' or
   * [] for everyone, or left out for those picked under To. Resolves when
   * the server has answered.
   */
  uploadFile(name: string, content: string | number[], to?: string | string[]): Promise<UploadReport>;
  /**
   * Test aid: fetches a shared file by ID with this participant's own
   * capability, as Download does, and reports the answer without saving.
   */
  fetchFile(id: string): Promise<FetchReport>;
  endMeeting(): number;
  /**
   * Test aid: cuts the signalling websocket as a network drop would (no
   * leave; close code 4000); the client then resumes on its own. With
   * hold, it does not try to reconnect until releaseSignaling(). False
   * when there is no connection that could be resumed.
   */
  dropSignaling(hold?: boolean): boolean;
  releaseSignaling(): boolean;
}

declare global {
  interface Window {
    conclave?: ConclaveHook;
  }
}

export function emptyState(route: Route): ConclaveState {
  return {
    route,
    status: null,
    meetingId: null,
    title: '',
    selfId: null,
    participants: [],
    others: [],
    tiles: [],
    remoteTracks: [],
    connected: { websocket: false, publish: false, subscribe: false },
    ice: { publish: null, subscribe: null },
    iceRestarts: { publish: 0, subscribe: 0 },
    local: { audio: false, video: false, screen: false },
    effect: { chosen: 'none', active: false, error: null },
    activeSpeaker: '',
    error: null,
    endCode: null,
    role: null,
    waiting: null,
    lobby: [],
    settings: null,
    canShare: false,
    chat: [],
    fileSharing: false,
    guestProof: null,
    byeReason: null,
    errors: [],
    reconnecting: false,
    reconnectAttempts: 0,
    resumes: 0,
    resumable: false,
    lastSeq: 0,
    e2ee: emptyE2EE(),
  };
}

export interface HookSource {
  state(): ConclaveState;
  pcs(): ConclavePcs;
  restartIce(pc: 'publish' | 'subscribe'): boolean;
  /** Sends one message on the signalling socket; its seq, or 0. */
  command(type: string, data: unknown): number;
  dropSignaling(hold: boolean): boolean;
  releaseSignaling(): boolean;
  /** Uploads through the chat panel (to null: those picked under To); null when not in a call. */
  shareFile(body: Blob, name: string, to: string[] | null): Promise<UploadResult> | null;
  /** Downloads with the participant's capability; null without one. */
  fetchFile(id: string): Promise<DownloadResult> | null;
  /** Opens an encrypted chat message as history (no waiting); null outside an encrypted call. */
  openChat(msg: ChatMessage): Promise<{ text: string; seal: string }> | null;
}

async function uploadReport(p: Promise<UploadResult> | null): Promise<UploadReport> {
  if (p === null) return { ok: false, status: 0, code: 'not_joined', message: 'Not in a call with file sharing.', file: null };
  const r = await p;
  if (r.ok) return { ok: true, status: 201, code: '', message: '', file: { ...r.file } };
  return { ok: false, status: r.status, code: r.code, message: r.message, file: null };
}

async function fetchReport(p: Promise<DownloadResult> | null): Promise<FetchReport> {
  if (p === null) return { status: 0, code: 'not_joined', size: 0, text: '' };
  const r = await p;
  if (!r.ok) return { status: r.status, code: r.code, size: 0, text: '' };
  return { status: 200, code: '', size: r.blob.size, text: await r.blob.text() };
}

export function installHook(route: Route, source: HookSource | null): void {
  const send = (type: string, data: unknown): number => (source ? source.command(type, data) : 0);
  const target = (id?: string): unknown => (id === undefined ? { all: true } : { participant_id: id });
  window.conclave = {
    version: 1,
    state: () => (source ? source.state() : emptyState(route)),
    pcs: () => (source ? source.pcs() : { publish: null, subscribe: null }),
    restartIce: (pc) => (source ? source.restartIce(pc) : false),
    send,
    admit: (id) => send('admit', target(id)),
    deny: (id) => send('deny', target(id)),
    lock: (locked) => send('lock', { locked }),
    settings: (change) => send('settings', change),
    remove: (id, ban = false) => send('remove', { participant_id: id, ban }),
    setRole: (id, role) => send('set_role', { participant_id: id, role }),
    mute: (id, source) => send('mute', { participant_id: id, source }),
    askUnmute: (id, source) => send('ask_unmute', { participant_id: id, source }),
    chat: (text, to) => {
      const list = to === undefined ? [] : typeof to === 'string' ? (to === '' ? [] : [to]) : to;
      return send('chat', list.length === 0 ? { text } : { text, to: list });
    },
    deleteChat: (id) => send('chat_delete', { id }),
    openChat: (msg) => (source ? source.openChat(msg) : null) ?? Promise.resolve({ text: '', seal: 'none' }),
    uploadFile: (name, content, to) => {
      const body = new Blob([typeof content === 'string' ? content : new Uint8Array(content)]);
      const list = to === undefined ? null : typeof to === 'string' ? (to === '' ? [] : [to]) : to;
      return uploadReport(source ? source.shareFile(body, name, list) : null);
    },
    fetchFile: (id) => fetchReport(source ? source.fetchFile(id) : null),
    endMeeting: () => send('end_meeting', {}),
    dropSignaling: (hold = false) => (source ? source.dropSignaling(hold) : false),
    releaseSignaling: () => (source ? source.releaseSignaling() : false),
  };
}
