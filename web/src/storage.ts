// localStorage wrapper that never throws (storage can be disabled or full).
// Stored: display name, device choices, camera/mic on-off, the background
// effect (and one's own background picture, effects.ts), whether to skip
// the screen-share reminder, and a random
// device token (sent in hello so that a host's ban on a guest holds in this
// browser; docs/protocol.md). Passcodes are never stored.

const PREFIX = 'conclave.';

export function load(key: string): string | null {
  try {
    return window.localStorage.getItem(PREFIX + key);
  } catch {
    return null;
  }
}

export function save(key: string, value: string): void {
  try {
    window.localStorage.setItem(PREFIX + key, value);
  } catch {
    // ignore
  }
}

export function loadBool(key: string, fallback: boolean): boolean {
  const v = load(key);
  return v === null ? fallback : v === '1';
}

export function saveBool(key: string, value: boolean): void {
  save(key, value ? '1' : '0');
}

const DEVICE_KEY = 'device';
const DEVICE_TOKEN = /^[A-Za-z0-9_-]{22,64}$/;
let sessionDevice: string | null = null;

/** 24 random bytes as 32 characters of unpadded base64url. */
function newDeviceToken(): string {
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * This browser's device token, made once and kept. Without storage it
 * lasts as long as the page: a ban on a guest then holds until a reload.
 */
export function deviceToken(): string {
  const stored = load(DEVICE_KEY);
  if (stored !== null && DEVICE_TOKEN.test(stored)) return stored;
  if (sessionDevice === null) sessionDevice = newDeviceToken();
  save(DEVICE_KEY, sessionDevice);
  return sessionDevice;
}
