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

/** Hosts and co-hosts run the waiting room and moderate. */
export function canModerate(role: Role | null): boolean {
  return role === 'host' || role === 'cohost';
}

export function canShareScreen(role: Role | null, settings: MeetingSettings): boolean {
  if (role === null) return false;
  return role === 'host' || role === 'cohost' || role === 'presenter' || settings.screen_share === 'everyone';
}

export function canChat(role: Role | null, settings: MeetingSettings): boolean {
  if (role === null) return false;
  return settings.chat || canModerate(role);
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
