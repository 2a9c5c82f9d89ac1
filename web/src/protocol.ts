// Wire types of the signalling protocol (docs/protocol.md, version 1) and a
// defensive parser for server messages. Nothing here touches the DOM.

export const PROTOCOL_VERSION = 1;

export type Source = 'audio' | 'camera' | 'screen';
export type VideoSource = 'camera' | 'screen';
export type PcName = 'publish' | 'subscribe';

/** Meeting roles (docs/security.md "Access control"). */
export type Role = 'host' | 'cohost' | 'presenter' | 'attendee' | 'guest';
/** Roles `set_role` may give; `attendee` means "no extra role". */
export type AssignableRole = 'cohost' | 'presenter' | 'attendee';
export type ScreenSharePolicy = 'presenters' | 'everyone';
export type WaitingReason = 'waiting_room' | 'host_absent';

export interface MeetingSettings {
  locked: boolean;
  /** false: only hosts and co-hosts may send chat. */
  chat: boolean;
  screen_share: ScreenSharePolicy;
}

export interface WaitingInfo {
  reason: WaitingReason;
  locked: boolean;
}

/** One person in the waiting room, as hosts and co-hosts see them. */
export interface LobbyEntry {
  id: string;
  name: string;
  verified: boolean;
  /** RFC 3339 time they started waiting ('' when the server sent none). */
  since: string;
}

export interface ChatMessage {
  from: string;
  /** '' for a message to everyone. */
  to: string;
  text: string;
  time: string;
}

export interface ParticipantInfo {
  id: string;
  name: string;
  verified: boolean;
  role: Role;
  audio: boolean;
  video: boolean;
  screen: boolean;
  /** Their connection dropped and the server holds their place (resume). */
  reconnecting: boolean;
}

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

export interface Sdp {
  type: 'offer' | 'answer';
  sdp: string;
}

export interface IceCandidateWire {
  candidate: string;
  sdpMid: string | null;
  sdpMLineIndex: number | null;
}

export interface TrackOwner {
  participant_id: string;
  source: Source;
}

export interface MediaState {
  audio: boolean;
  video: boolean;
  screen: boolean;
}

export interface VideoSize {
  participant_id: string;
  source: VideoSource;
  width: number;
  height: number;
}

type Target = { participant_id: string } | { all: true };

/** Messages the client sends, by type. */
export interface ClientMessages {
  hello: { version: number; meeting_id: string; passcode: string; name: string; device: string; notice_version: number };
  /** First message on a new socket after a drop: take the session back. */
  resume: { version: number; token: string; last_seq: number };
  publish: { sdp: Sdp; tracks: Record<string, Source> };
  subscribe_answer: { sdp: Sdp };
  ice: { pc: PcName; candidate: IceCandidateWire };
  ice_restart: Record<string, never>;
  media_state: MediaState;
  video_size: VideoSize;
  ping: Record<string, never>;
  leave: Record<string, never>;
  admit: Target;
  deny: Target;
  lock: { locked: boolean };
  settings: { chat?: boolean; screen_share?: ScreenSharePolicy };
  end_meeting: Record<string, never>;
  remove: { participant_id: string; ban: boolean };
  mute: { participant_id: string; source: Source };
  ask_unmute: { participant_id: string; source: 'audio' | 'camera' };
  set_role: { participant_id: string; role: AssignableRole };
  chat: { text: string; to?: string };
}

export type ByeReason =
  | 'left'
  | 'server_shutdown'
  | 'meeting_ended'
  | 'rate_limited'
  | 'protocol_error'
  | 'replaced'
  | 'denied'
  | 'removed'
  | 'banned'
  | 'account_disabled'
  | 'timed_out';

/** Messages the server sends, by type. */
export interface ServerMessages {
  welcome: {
    version: number;
    participant_id: string;
    role: Role;
    meeting: { id: string; title: string; settings: MeetingSettings };
    participants: ParticipantInfo[];
    ice_servers: IceServer[];
  };
  /** Fresh TURN credentials, for the next ICE gathering (restart). */
  ice_servers: { ice_servers: IceServer[] };
  waiting: WaitingInfo;
  lobby: { waiting: LobbyEntry[] };
  /** Only the settings the server sent; the rest are unchanged. */
  meeting_updated: { settings: Partial<MeetingSettings> };
  muted: { source: Source; by: string };
  unmute_request: { source: 'audio' | 'camera'; by: string };
  chat: ChatMessage;
  publish_answer: { sdp: Sdp };
  subscribe_offer: { sdp: Sdp; tracks: Record<string, TrackOwner> };
  ice: { pc: PcName; candidate: IceCandidateWire | null };
  participant_joined: { participant: ParticipantInfo };
  participant_updated: { participant: ParticipantInfo };
  participant_left: { participant_id: string };
  active_speaker: { participant_id: string };
  bye: { reason: string };
  /** retry_after: seconds, with too_many_attempts. */
  error: { code: string; message: string; ref: number | null; retry_after: number | null };
  pong: Record<string, never>;
  /** The secret that lets a new socket take this session back (resume). */
  resume_token: { token: string; grace_seconds: number };
  /** The resume worked; last_seq: the highest client seq the server processed. */
  resumed: { last_seq: number };
}

export type ServerMessage = {
  [K in keyof ServerMessages]: { type: K; data: ServerMessages[K] };
}[keyof ServerMessages];

/**
 * A parsed frame: the message and its envelope seq (the server's event
 * number; 0 for unnumbered replies such as pong, error, resume_token).
 */
export type ServerFrame = ServerMessage & { seq: number };

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : fallback;
}

function bool(v: unknown): boolean {
  return v === true;
}

function isSource(v: unknown): v is Source {
  return v === 'audio' || v === 'camera' || v === 'screen';
}

function isPc(v: unknown): v is PcName {
  return v === 'publish' || v === 'subscribe';
}

const ROLES: readonly string[] = ['host', 'cohost', 'presenter', 'attendee', 'guest'];

function isRole(v: unknown): v is Role {
  return typeof v === 'string' && ROLES.includes(v);
}

/** A missing role (a server from before roles) reads as the plain one. */
function roleOr(v: unknown, verified: boolean): Role {
  return isRole(v) ? v : verified ? 'attendee' : 'guest';
}

function parseParticipant(v: unknown): ParticipantInfo | null {
  if (!isObj(v) || typeof v['id'] !== 'string' || v['id'] === '') return null;
  return {
    id: v['id'],
    name: str(v['name']),
    verified: bool(v['verified']),
    role: roleOr(v['role'], bool(v['verified'])),
    audio: bool(v['audio']),
    video: bool(v['video']),
    screen: bool(v['screen']),
    reconnecting: bool(v['reconnecting']),
  };
}

function parseSettingsPatch(v: unknown): Partial<MeetingSettings> {
  const out: Partial<MeetingSettings> = {};
  if (!isObj(v)) return out;
  if (typeof v['locked'] === 'boolean') out.locked = v['locked'];
  if (typeof v['chat'] === 'boolean') out.chat = v['chat'];
  if (v['screen_share'] === 'presenters' || v['screen_share'] === 'everyone') out.screen_share = v['screen_share'];
  return out;
}

/**
 * Settings in welcome. What is missing (a server from before settings)
 * reads as unrestricted: the server enforces its rules either way.
 */
export const OPEN_SETTINGS: MeetingSettings = { locked: false, chat: true, screen_share: 'everyone' };

function parseSettings(v: unknown): MeetingSettings {
  return { ...OPEN_SETTINGS, ...parseSettingsPatch(v) };
}

function parseWaiting(d: Obj): WaitingInfo {
  return { reason: d['reason'] === 'host_absent' ? 'host_absent' : 'waiting_room', locked: bool(d['locked']) };
}

function parseLobby(v: unknown): LobbyEntry[] {
  if (!Array.isArray(v)) return [];
  const out: LobbyEntry[] = [];
  for (const e of v) {
    if (!isObj(e) || typeof e['id'] !== 'string' || e['id'] === '') continue;
    out.push({ id: e['id'], name: str(e['name']), verified: bool(e['verified']), since: str(e['since']) });
  }
  return out;
}

function parseSdp(v: unknown, want: Sdp['type']): Sdp | null {
  if (!isObj(v) || v['type'] !== want || typeof v['sdp'] !== 'string') return null;
  return { type: want, sdp: v['sdp'] };
}

function parseIceServers(v: unknown): IceServer[] {
  if (!Array.isArray(v)) return [];
  const out: IceServer[] = [];
  for (const s of v) {
    if (!isObj(s)) continue;
    const raw = s['urls'];
    const urls = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.filter((u): u is string => typeof u === 'string') : [];
    if (urls.length === 0) continue;
    const server: IceServer = { urls };
    if (typeof s['username'] === 'string') server.username = s['username'];
    if (typeof s['credential'] === 'string') server.credential = s['credential'];
    out.push(server);
  }
  return out;
}

function parseCandidate(v: unknown): IceCandidateWire | null {
  if (!isObj(v) || typeof v['candidate'] !== 'string' || v['candidate'] === '') return null;
  const mid = v['sdpMid'];
  const idx = v['sdpMLineIndex'];
  return {
    candidate: v['candidate'],
    sdpMid: typeof mid === 'string' ? mid : null,
    sdpMLineIndex: typeof idx === 'number' && Number.isInteger(idx) && idx >= 0 ? idx : null,
  };
}

function count(v: unknown): number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : 0;
}

/**
 * Parses one text frame from the server, with its envelope seq (0 when
 * absent). Returns null for anything that is not a well-formed message of a
 * known type (it is then ignored).
 */
export function parseServerMessage(text: string): ServerFrame | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObj(raw) || typeof raw['type'] !== 'string') return null;
  const msg = parseMessage(raw['type'], isObj(raw['data']) ? raw['data'] : {});
  return msg ? { ...msg, seq: count(raw['seq']) } : null;
}

function parseMessage(type: string, d: Obj): ServerMessage | null {
  switch (type) {
    case 'welcome': {
      const meeting = isObj(d['meeting']) ? d['meeting'] : {};
      const pid = str(d['participant_id']);
      if (pid === '') return null;
      const participants: ParticipantInfo[] = [];
      if (Array.isArray(d['participants'])) {
        for (const p of d['participants']) {
          const parsed = parseParticipant(p);
          if (parsed) participants.push(parsed);
        }
      }
      return {
        type: 'welcome',
        data: {
          version: typeof d['version'] === 'number' ? d['version'] : PROTOCOL_VERSION,
          participant_id: pid,
          role: roleOr(d['role'], false),
          meeting: { id: str(meeting['id']), title: str(meeting['title']), settings: parseSettings(meeting['settings']) },
          participants,
          ice_servers: parseIceServers(d['ice_servers']),
        },
      };
    }
    case 'ice_servers': {
      const servers = parseIceServers(d['ice_servers']);
      return servers.length > 0 ? { type: 'ice_servers', data: { ice_servers: servers } } : null;
    }
    case 'publish_answer': {
      const sdp = parseSdp(d['sdp'], 'answer');
      return sdp ? { type: 'publish_answer', data: { sdp } } : null;
    }
    case 'subscribe_offer': {
      const sdp = parseSdp(d['sdp'], 'offer');
      if (!sdp) return null;
      const tracks: Record<string, TrackOwner> = {};
      if (isObj(d['tracks'])) {
        for (const [mid, owner] of Object.entries(d['tracks'])) {
          if (isObj(owner) && typeof owner['participant_id'] === 'string' && isSource(owner['source'])) {
            tracks[mid] = { participant_id: owner['participant_id'], source: owner['source'] };
          }
        }
      }
      return { type: 'subscribe_offer', data: { sdp, tracks } };
    }
    case 'ice': {
      if (!isPc(d['pc'])) return null;
      return { type: 'ice', data: { pc: d['pc'], candidate: parseCandidate(d['candidate']) } };
    }
    case 'participant_joined':
    case 'participant_updated': {
      const participant = parseParticipant(d['participant']);
      if (!participant) return null;
      return type === 'participant_joined'
        ? { type: 'participant_joined', data: { participant } }
        : { type: 'participant_updated', data: { participant } };
    }
    case 'participant_left': {
      const id = str(d['participant_id']);
      return id ? { type: 'participant_left', data: { participant_id: id } } : null;
    }
    case 'active_speaker':
      return { type: 'active_speaker', data: { participant_id: str(d['participant_id']) } };
    case 'bye':
      return { type: 'bye', data: { reason: str(d['reason']) } };
    case 'error':
      return {
        type: 'error',
        data: {
          code: str(d['code'], 'unknown'),
          message: str(d['message']),
          ref: typeof d['ref'] === 'number' ? d['ref'] : null,
          retry_after: typeof d['retry_after'] === 'number' && d['retry_after'] >= 0 ? d['retry_after'] : null,
        },
      };
    // docs/security.md calls the lock notice to waiting people
    // `lobby_status`; protocol.md sends it as `waiting`. Both read alike.
    case 'waiting':
    case 'lobby_status':
      return { type: 'waiting', data: parseWaiting(d) };
    case 'lobby':
      return { type: 'lobby', data: { waiting: parseLobby(d['waiting']) } };
    case 'meeting_updated':
      return { type: 'meeting_updated', data: { settings: parseSettingsPatch(d['settings']) } };
    case 'muted':
      return isSource(d['source']) ? { type: 'muted', data: { source: d['source'], by: str(d['by']) } } : null;
    case 'unmute_request': {
      const source = d['source'];
      if (source !== 'audio' && source !== 'camera') return null;
      return { type: 'unmute_request', data: { source, by: str(d['by']) } };
    }
    case 'chat': {
      const text = str(d['text']);
      if (text === '') return null;
      return { type: 'chat', data: { from: str(d['from']), to: str(d['to']), text, time: str(d['time']) } };
    }
    case 'pong':
      return { type: 'pong', data: {} };
    case 'resume_token': {
      const token = str(d['token']);
      const grace = d['grace_seconds'];
      if (token === '' || typeof grace !== 'number' || !(grace > 0)) return null;
      return { type: 'resume_token', data: { token, grace_seconds: grace } };
    }
    case 'resumed':
      return { type: 'resumed', data: { last_seq: count(d['last_seq']) } };
    default:
      return null;
  }
}
