// The signalling protocol as the client uses it: the generated wire types
// and validator (wire.gen.ts, from internal/protocol by cmd/protogen) under
// the names the rest of the client knows, plus the few narrower types that
// are the client's own. Server messages are parsed by parseServerMessage
// alone, which refuses exactly what the Go decoder refuses; nothing here
// touches the DOM.

import type { ICE, ICECandidate, ICEServer, Participant, SDP, SetRole, Settings, TrackOwner, VideoSize, Waiter, Waiting } from './wire.gen';

export { BYE_REASONS, ERROR_CODES, PROTOCOL_VERSION, parseServerMessage } from './wire.gen';
export type {
  ByeReason,
  ChatMessage,
  ClientMessages,
  ErrorCode,
  FileRef,
  GuestProof,
  ServerMessage,
  ServerMessages,
  SettingsChange,
  TrackOwner,
  VideoSize,
} from './wire.gen';

/** Meeting roles (docs/security.md "Access control"). */
export type Role = Participant['role'];
/** Roles `set_role` may give; `attendee` means "no extra role". */
export type AssignableRole = SetRole['role'];
export type Source = TrackOwner['source'];
export type VideoSource = VideoSize['source'];
export type PcName = ICE['pc'];
export type ScreenSharePolicy = Settings['screen_share'];
export type WaitingReason = Waiting['reason'];

export type MeetingSettings = Settings;
export type WaitingInfo = Waiting;
/** One person in the waiting room, as hosts and co-hosts see them. */
export type LobbyEntry = Waiter;
export type ParticipantInfo = Participant;
/** username and credential are '' when the server sent none. */
export type IceServer = ICEServer;
export type Sdp = SDP;
export type IceCandidateWire = ICECandidate;

/**
 * The settings a session assumes until welcome brings the real ones:
 * unrestricted (nothing is shown that depends on them before welcome, and
 * the server enforces its rules either way).
 */
export const OPEN_SETTINGS: MeetingSettings = {
  locked: false,
  chat: true,
  private_chat: true,
  chat_writers: 'everyone',
  screen_share: 'everyone',
  org_locked: [],
  recording: false,
  transcription: false,
  remote_control: false,
  e2ee: false,
};
