// Wire types of the signalling protocol (docs/protocol.md, version 1) and a
// defensive parser for server messages. Nothing here touches the DOM.

export const PROTOCOL_VERSION = 1;

export type Source = 'audio' | 'camera' | 'screen';
export type VideoSource = 'camera' | 'screen';
export type PcName = 'publish' | 'subscribe';

export interface ParticipantInfo {
  id: string;
  name: string;
  verified: boolean;
  audio: boolean;
  video: boolean;
  screen: boolean;
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

/** Messages the client sends, by type. */
export interface ClientMessages {
  hello: { version: number; meeting_id: string; passcode: string; name: string };
  publish: { sdp: Sdp; tracks: Record<string, Source> };
  subscribe_answer: { sdp: Sdp };
  ice: { pc: PcName; candidate: IceCandidateWire };
  ice_restart: Record<string, never>;
  media_state: MediaState;
  video_size: VideoSize;
  ping: Record<string, never>;
  leave: Record<string, never>;
}

export type ByeReason =
  | 'left'
  | 'server_shutdown'
  | 'meeting_ended'
  | 'rate_limited'
  | 'protocol_error'
  | 'replaced';

/** Messages the server sends, by type. */
export interface ServerMessages {
  welcome: {
    version: number;
    participant_id: string;
    meeting: { id: string; title: string };
    participants: ParticipantInfo[];
    ice_servers: IceServer[];
  };
  publish_answer: { sdp: Sdp };
  subscribe_offer: { sdp: Sdp; tracks: Record<string, TrackOwner> };
  ice: { pc: PcName; candidate: IceCandidateWire | null };
  participant_joined: { participant: ParticipantInfo };
  participant_updated: { participant: ParticipantInfo };
  participant_left: { participant_id: string };
  active_speaker: { participant_id: string };
  bye: { reason: string };
  error: { code: string; message: string; ref: number | null };
  pong: Record<string, never>;
}

export type ServerMessage = {
  [K in keyof ServerMessages]: { type: K; data: ServerMessages[K] };
}[keyof ServerMessages];

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

function parseParticipant(v: unknown): ParticipantInfo | null {
  if (!isObj(v) || typeof v['id'] !== 'string' || v['id'] === '') return null;
  return {
    id: v['id'],
    name: str(v['name']),
    verified: bool(v['verified']),
    audio: bool(v['audio']),
    video: bool(v['video']),
    screen: bool(v['screen']),
  };
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

/**
 * Parses one text frame from the server. Returns null for anything that is
 * not a well-formed message of a known type (it is then ignored).
 */
export function parseServerMessage(text: string): ServerMessage | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObj(raw) || typeof raw['type'] !== 'string') return null;
  const d: Obj = isObj(raw['data']) ? raw['data'] : {};
  switch (raw['type']) {
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
          meeting: { id: str(meeting['id']), title: str(meeting['title']) },
          participants,
          ice_servers: parseIceServers(d['ice_servers']),
        },
      };
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
      return raw['type'] === 'participant_joined'
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
        },
      };
    case 'pong':
      return { type: 'pong', data: {} };
    default:
      return null;
  }
}
