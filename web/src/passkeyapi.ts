// Passkeys' API and the WebAuthn calls (docs/api.md, "Second factors and
// sessions"). The server keeps every challenge; this only converts its
// options for navigator.credentials and the answer back to JSON
// (base64url for binary fields, as go-webauthn reads them).

import { request } from './api';
import type { User } from './api';

export interface Passkey {
  id: string;
  name: string;
  created_at: string;
  last_used_at?: string;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = Record<string, any>;

function fromB64(s: string): ArrayBuffer {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

function toB64(buf: ArrayBuffer | null): string | undefined {
  if (buf === null) return undefined;
  let bin = '';
  for (const b of new Uint8Array(buf)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const ids = (list: Json[] | undefined): Json[] | undefined => list?.map((c) => ({ ...c, id: fromB64(c.id) }));

/** Whether this browser can use passkeys at all. */
export function passkeysSupported(): boolean {
  return typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;
}

async function create(options: Json): Promise<Json> {
  const pk = options.publicKey;
  const publicKey = { ...pk, challenge: fromB64(pk.challenge), user: { ...pk.user, id: fromB64(pk.user.id) }, excludeCredentials: ids(pk.excludeCredentials) };
  const cred = (await navigator.credentials.create({ publicKey })) as PublicKeyCredential | null;
  if (cred === null) throw new Error('No passkey was created.');
  const r = cred.response as AuthenticatorAttestationResponse;
  return {
    id: cred.id,
    rawId: toB64(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment ?? undefined,
    clientExtensionResults: cred.getClientExtensionResults(),
    response: { clientDataJSON: toB64(r.clientDataJSON), attestationObject: toB64(r.attestationObject), transports: r.getTransports?.() },
  };
}

async function get(options: Json): Promise<Json> {
  const pk = options.publicKey;
  const publicKey = { ...pk, challenge: fromB64(pk.challenge), allowCredentials: ids(pk.allowCredentials) };
  const cred = (await navigator.credentials.get({ publicKey })) as PublicKeyCredential | null;
  if (cred === null) throw new Error('No passkey was given.');
  const r = cred.response as AuthenticatorAssertionResponse;
  return {
    id: cred.id,
    rawId: toB64(cred.rawId),
    type: cred.type,
    clientExtensionResults: cred.getClientExtensionResults(),
    response: {
      clientDataJSON: toB64(r.clientDataJSON),
      authenticatorData: toB64(r.authenticatorData),
      signature: toB64(r.signature),
      userHandle: toB64(r.userHandle),
    },
  };
}

/** Whether the server offers passkey sign-in (its public URL names a domain). */
export async function passkeysOffered(): Promise<boolean> {
  try {
    await request<unknown>('GET', '/api/login/passkey');
    return true;
  } catch {
    return false;
  }
}

/** Passwordless sign-in. */
export async function signInWithPasskey(): Promise<User> {
  const options = await request<Json>('POST', '/api/login/passkey/options');
  const credential = await get(options);
  const r = await request<{ user: User }>('POST', '/api/login/passkey', { credential });
  return r.user;
}

/** An assertion by one of the account's passkeys: the second step, or a fresh verification. */
export async function passkeyAssertion(): Promise<Json> {
  return get(await request<Json>('POST', '/api/login/second-factor/passkey'));
}

export async function giveSecondFactorPasskey(): Promise<User> {
  const passkey = await passkeyAssertion();
  const r = await request<{ user: User }>('POST', '/api/login/second-factor', { passkey });
  return r.user;
}

/** Registers a passkey named name; returns recovery codes when it is the first second factor. */
export async function addPasskey(name: string): Promise<string[]> {
  const credential = await create(await request<Json>('POST', '/api/account/passkey-options'));
  const r = await request<{ recovery_codes?: string[] }>('POST', '/api/account/passkeys', { name, credential });
  return r.recovery_codes ?? [];
}

/** Removes a passkey after the password, or (password empty) a passkey assertion. */
export async function removePasskey(id: string, password: string): Promise<void> {
  const body = password !== '' ? { password } : { passkey: await passkeyAssertion() };
  await request<void>('DELETE', '/api/account/passkeys/' + encodeURIComponent(id), body);
}
