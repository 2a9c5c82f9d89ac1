// What the side panels (participants, waiting room, meeting controls, chat)
// are given: the model they render and the actions they may take.

import type { AssignableRole, ChatMessage, LobbyEntry, MeetingSettings, ParticipantInfo, Role, ScreenSharePolicy, Source } from './protocol';

export interface PanelModel {
  selfId: string;
  role: Role | null;
  settings: MeetingSettings;
  /** Everyone else; the own entry is built from the fields above. */
  others: ParticipantInfo[];
  self: ParticipantInfo;
  lobby: LobbyEntry[];
  chat: ChatLog;
}

/** The latest chat messages, and how many came in all (older ones drop). */
export interface ChatLog {
  messages: ChatMessage[];
  total: number;
}

export const MAX_CHAT = 500;

/** The messages that came after the first `seen` of all. */
export function chatSince(log: ChatLog, seen: number): ChatMessage[] {
  const fresh = Math.min(log.messages.length, log.total - seen);
  return fresh <= 0 ? [] : log.messages.slice(log.messages.length - fresh);
}

/** Host and co-host commands, plus chat: each sends one message. */
export interface ModActions {
  /** id null: everyone waiting. */
  admit(id: string | null): void;
  deny(id: string | null): void;
  lock(locked: boolean): void;
  settings(change: { chat?: boolean; screen_share?: ScreenSharePolicy }): void;
  endMeeting(): void;
  remove(id: string, ban: boolean): void;
  mute(id: string, source: Source): void;
  askUnmute(id: string, source: 'audio' | 'camera'): void;
  setRole(id: string, role: AssignableRole): void;
  /** to '': everyone. */
  chat(text: string, to: string): void;
}

/** "Ada" or "Guest" for an empty name. */
export function displayName(name: string): string {
  return name || 'Guest';
}
