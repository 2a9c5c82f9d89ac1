// What a meeting role may do, as the client shows it. The server decides
// (internal/authz); these mirror its table only to hide or disable
// controls that would be refused anyway.

import type { MeetingSettings, Role } from './protocol';

export const ROLE_LABEL: Record<Role, string> = {
  host: 'Host',
  cohost: 'Co-host',
  presenter: 'Presenter',
  attendee: 'Attendee',
  guest: 'Guest',
};

/** For "You are now …" announcements. */
export const ROLE_NEWS: Record<Role, string> = {
  host: 'the host',
  cohost: 'a co-host',
  presenter: 'a presenter',
  attendee: 'an attendee',
  guest: 'a guest',
};

/** Hosts and co-hosts run the waiting room and moderate. */
export function canModerate(role: Role | null): boolean {
  return role === 'host' || role === 'cohost';
}

export function canShareScreen(role: Role | null, settings: MeetingSettings): boolean {
  if (role === null) return false;
  return role === 'host' || role === 'cohost' || role === 'presenter' || settings.screen_share === 'everyone';
}

/** What a role may do in the chat, and why not. */
export interface ChatRights {
  /** May send to everyone. */
  write: boolean;
  /** May send privately to one person or to a group. */
  private: boolean;
  /** Why write is false (null when it is true). */
  reason: string | null;
  /** Why private is false while write is true (null otherwise). */
  privateReason: string | null;
}

export const CHAT_OFF_TEXT = 'The host turned chat off. Only the host and co-hosts can write.';
export const CHAT_PRESENTERS_TEXT = 'Only the host, co-hosts and presenters can write in this chat. The host can make you a presenter.';
export const PRIVATE_OFF_TEXT = 'The host turned private messages off: you can write to everyone.';

/**
 * As the server decides (internal/room, chat.send and chat.private):
 * hosts and co-hosts always write, privately too; others only while chat
 * is on and writers are everyone or they are a presenter, and privately
 * only while private messages are on as well.
 */
export function chatRights(role: Role | null, settings: MeetingSettings): ChatRights {
  if (role === null) return { write: false, private: false, reason: 'You are not in the meeting.', privateReason: null };
  if (canModerate(role)) return { write: true, private: true, reason: null, privateReason: null };
  if (!settings.chat) return { write: false, private: false, reason: CHAT_OFF_TEXT, privateReason: null };
  if (settings.chat_writers === 'presenters' && role !== 'presenter') {
    return { write: false, private: false, reason: CHAT_PRESENTERS_TEXT, privateReason: null };
  }
  if (!settings.private_chat) return { write: true, private: false, reason: null, privateReason: PRIVATE_OFF_TEXT };
  return { write: true, private: true, reason: null, privateReason: null };
}

function rank(role: Role): number {
  return role === 'host' ? 2 : role === 'cohost' ? 1 : 0;
}

/** Actions on another participant need the actor to outrank them. */
export function outranks(actor: Role | null, target: Role): boolean {
  return actor !== null && canModerate(actor) && rank(actor) > rank(target);
}

/** A role worth a badge of its own (attendee and guest show verified/guest). */
export function roleBadge(role: Role): string | null {
  return role === 'host' || role === 'cohost' || role === 'presenter' ? ROLE_LABEL[role] : null;
}

export const SHARE_FORBIDDEN_TITLE = 'Only presenters can share their screen';
