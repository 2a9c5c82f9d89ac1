// The API of second factors and sessions (docs/api.md, "Second factors
// and sessions").

import { request } from './api';
import type { User } from './api';
import type { Passkey } from './passkeyapi';

/** What a right password or a completed setup leads to. */
export interface SignIn {
  user?: User;
  /**
   * second_factor: give the code; enrol: set up an authenticator first;
   * password_change: the password is older than the server allows.
   */
  pending?: 'second_factor' | 'enrol' | 'password_change';
  /** What the second step takes: "totp" (and recovery codes), "passkey". */
  methods?: string[];
}

export interface FactorStatus {
  totp: boolean;
  passkeys: number;
  recovery_codes_left: number;
  required: boolean;
}

export interface SessionInfo {
  id: string;
  method: string;
  device: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  current: boolean;
}

export interface Security {
  factors: FactorStatus;
  passkeys: Passkey[];
  passkeys_enabled: boolean;
  sessions: SessionInfo[];
  mfa_reset_at?: string;
}

export interface Enrolment {
  secret: string;
  uri: string;
  /** The QR code as a data: URL, drawn by the server. */
  qr: string;
}

export async function signIn(email: string, password: string): Promise<SignIn> {
  return request<SignIn>('POST', '/api/login', { email, password });
}

export async function completeSetup(token: string, email: string, name: string, password: string): Promise<SignIn> {
  return request<SignIn>('POST', '/api/setup', { token, email, name, password });
}

export async function giveSecondFactor(code: string, recovery: boolean): Promise<User> {
  const r = await request<{ user: User }>('POST', '/api/login/second-factor', recovery ? { recovery_code: code } : { code });
  return r.user;
}

export async function getSecurity(): Promise<Security> {
  return request<Security>('GET', '/api/account/security');
}

export async function beginTOTP(): Promise<Enrolment> {
  return request<Enrolment>('POST', '/api/account/totp');
}

export async function confirmTOTP(code: string): Promise<string[]> {
  const r = await request<{ recovery_codes: string[] }>('POST', '/api/account/totp/confirm', { code });
  return r.recovery_codes;
}

export async function removeTOTP(code: string): Promise<void> {
  await request<void>('DELETE', '/api/account/totp', { code });
}

export async function newRecoveryCodes(code: string): Promise<string[]> {
  const r = await request<{ recovery_codes: string[] }>('POST', '/api/account/recovery-codes', { code });
  return r.recovery_codes;
}

export async function revokeSession(id: string): Promise<void> {
  await request<void>('DELETE', '/api/account/sessions/' + encodeURIComponent(id));
}

export async function revokeOtherSessions(): Promise<void> {
  await request<unknown>('DELETE', '/api/account/sessions');
}

export async function resetUserMFA(id: string): Promise<void> {
  await request<unknown>('POST', '/api/users/' + encodeURIComponent(id) + '/mfa-reset');
}

export async function revokeUserSessions(id: string): Promise<void> {
  await request<unknown>('POST', '/api/users/' + encodeURIComponent(id) + '/sessions/revoke');
}
