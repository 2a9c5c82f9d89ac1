// window.conclave: a small, stable hook for automated browser tests.

import type { ParticipantInfo, Source, VideoSource } from './protocol';

export type Route = 'home' | 'login' | 'setup' | 'meeting' | 'not_found';
export type MeetingStatus = 'prejoin' | 'connecting' | 'joined' | 'ended' | 'error';

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
  activeSpeaker: string;
  error: string | null;
  endCode: string | null;
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
    activeSpeaker: '',
    error: null,
    endCode: null,
  };
}

export interface HookSource {
  state(): ConclaveState;
  pcs(): ConclavePcs;
  restartIce(pc: 'publish' | 'subscribe'): boolean;
}

export function installHook(route: Route, source: HookSource | null): void {
  window.conclave = {
    version: 1,
    state: () => (source ? source.state() : emptyState(route)),
    pcs: () => (source ? source.pcs() : { publish: null, subscribe: null }),
    restartIce: (pc) => (source ? source.restartIce(pc) : false),
  };
}
