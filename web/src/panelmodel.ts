// What the side panels (participants, waiting room, meeting controls, chat)
// are given: the model they render and the actions they may take; and the
// chat log the session keeps for them.

import type { ChatSeal } from './e2eechat';
import type { FileClient } from './files';
import type { AssignableRole, ChatMessage, LobbyEntry, MeetingSettings, ParticipantInfo, Role, SettingsChange, Source } from './protocol';

export interface PanelModel {
  selfId: string;
  role: Role | null;
  settings: MeetingSettings;
  /** Everyone else; the own entry is built from the fields above. */
  others: ParticipantInfo[];
  self: ParticipantInfo;
  lobby: LobbyEntry[];
  chat: ChatLog;
  /** The file routes with this participant's capability; null when file sharing is off. */
  files: FileClient | null;
}

/** One chat message as this client keeps it. */
export interface ChatEntry {
  /** As received; its text is erased ('') once a host deleted it. */
  msg: ChatMessage;
  /** The participant ID of the host who deleted it; null while it stands. */
  deletedBy: string | null;
  /** Arrival number at this client (1, 2, …); 0 for chat_history. */
  n: number;
  /** msg.time in milliseconds, for ordering. */
  at: number;
  /**
   * For a message of an end-to-end encrypted meeting (e2eechat.ts): open
   * (msg.text is what this browser decrypted), or why it could not be
   * (msg.text is ''); null for a plain message.
   */
  seal: ChatSeal | null;
}

/**
 * The meeting's chat as this client has seen it: live messages, earlier
 * ones from chat_history, and deletions. Ordered by time (then arrival),
 * each message once (by id). It lives as long as the call, in memory.
 */
export interface ChatLog {
  entries: ChatEntry[];
  /** Live messages received so far (the highest n). */
  total: number;
  /** Changes with every arrival, history or deletion (what to re-render). */
  version: number;
  /** Deletions of messages not (yet) here: history may bring them later. */
  deleted: Map<string, string>;
}

/**
 * The most messages kept: twice what chat_history brings a late joiner
 * (500), so that history and a long meeting's live messages fit. Beyond
 * it the oldest drop; the server still keeps them (per the meeting's
 * retention), this only bounds the page's memory and DOM.
 */
export const MAX_CHAT = 1000;
const MAX_PENDING_DELETES = 200;

export function newChatLog(): ChatLog {
  return { entries: [], total: 0, version: 0, deleted: new Map() };
}

function timeOf(msg: ChatMessage): number {
  const t = Date.parse(msg.time);
  return Number.isNaN(t) ? Date.now() : t;
}

/** Puts e in time order (after those of the same time: arrival order). */
function insert(log: ChatLog, e: ChatEntry): void {
  const list = log.entries;
  let i = list.length;
  while (i > 0 && (list[i - 1]?.at ?? 0) > e.at) i--;
  list.splice(i, 0, e);
  while (list.length > MAX_CHAT) list.shift();
}

function has(log: ChatLog, id: string): boolean {
  return log.entries.some((e) => e.msg.id === id);
}

/** The message with its content erased (text, and a shared file's reference if any). */
function erased(msg: ChatMessage): ChatMessage {
  const out: ChatMessage = { ...msg, text: '' };
  if ('file' in out) (out as unknown as Record<string, unknown>)['file'] = null;
  return out;
}

function entry(log: ChatLog, msg: ChatMessage, n: number, seal: ChatSeal | null): ChatEntry {
  const by = log.deleted.get(msg.id);
  if (by === undefined) return { msg, deletedBy: null, n, at: timeOf(msg), seal };
  log.deleted.delete(msg.id);
  return { msg: erased(msg), deletedBy: by, n, at: timeOf(msg), seal };
}

/** A live message; false for one already here (a replay, or history first). seal: see ChatEntry. */
export function addChat(log: ChatLog, msg: ChatMessage, seal: ChatSeal | null = null): boolean {
  if (has(log, msg.id)) return false;
  log.total += 1;
  insert(log, entry(log, msg, log.total, seal));
  log.version += 1;
  return true;
}

/** Earlier messages (chat_history), merged by time; returns how many were new. */
export function addHistory(log: ChatLog, msgs: ChatMessage[], seal: ChatSeal | null = null): number {
  let added = 0;
  for (const msg of msgs) {
    if (has(log, msg.id)) continue;
    insert(log, entry(log, msg, 0, seal));
    added += 1;
  }
  if (added > 0) log.version += 1;
  return added;
}

/**
 * A host deleted a message: its text is erased here too and it shows as
 * deleted. One not here yet is remembered (chat_history may still bring it).
 */
export function deleteChat(log: ChatLog, id: string, by: string): boolean {
  const e = log.entries.find((x) => x.msg.id === id);
  if (!e) {
    log.deleted.set(id, by);
    while (log.deleted.size > MAX_PENDING_DELETES) {
      const first = log.deleted.keys().next();
      if (first.done) break;
      log.deleted.delete(first.value);
    }
    return false;
  }
  if (e.deletedBy !== null) return false;
  e.deletedBy = by;
  e.msg = erased(e.msg);
  log.version += 1;
  return true;
}

/** The live messages that came after the first `seen` (history never counts). */
export function chatSince(log: ChatLog, seen: number): ChatEntry[] {
  if (log.total <= seen) return [];
  return log.entries.filter((e) => e.n > seen).sort((a, b) => a.n - b.n);
}

/** Host and co-host commands, plus chat: each sends one message. */
export interface ModActions {
  /** id null: everyone waiting. */
  admit(id: string | null): void;
  deny(id: string | null): void;
  lock(locked: boolean): void;
  settings(change: SettingsChange): void;
  endMeeting(): void;
  remove(id: string, ban: boolean): void;
  mute(id: string, source: Source): void;
  askUnmute(id: string, source: 'audio' | 'camera'): void;
  setRole(id: string, role: AssignableRole): void;
  /** to []: everyone; one ID: privately; several: to that group. */
  /** Sends a message; in an encrypted meeting resolves with why it could not be sent (null: sent). */
  chat(text: string, to: string[]): void | Promise<string | null>;
  /** Deletes a message for everyone (hosts and co-hosts). */
  deleteChat(id: string): void;
}

/** "Ada" or "Guest" for an empty name. */
export function displayName(name: string): string {
  return name || 'Guest';
}
