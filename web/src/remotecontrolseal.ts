// Remote control in end-to-end encrypted meetings (docs/e2ee.md, "Remote
// control"; internal/remotecontrol/wire.go): the grant key both pages
// derive without the server, the pairing code that hands it to the
// sharer's agent, and the seal of each input event.
//
//	grant key = HKDF-SHA256(ECDH(own identity, peer's identity), salt = empty,
//	                        info = "conclave remote control v1 " ‖ grant) → 32 bytes
//	sealed    = base64url(AES-256-GCM(grant key, nonce = 0x00000000 ‖ seq (u64 BE),
//	                                   AAD = "conclave remote control v1 " ‖ grant, Event JSON))
//
// The ECDH secret is the one under the E2EE chat's pairwise keys (each
// stay's P-256 identity, e2ee/keys.ts); the chat's own pairwise keys are
// non-extractable AES keys bound to a direction, so the grant key is drawn
// from the shared secret under its own label instead.

import { importPublicKey, toBase64url, type Identity } from './e2ee/keys';
import type { Bytes } from './e2ee/sframe';
import { eventJSON, type ControlEvent } from './remotecontrol';

export const SEAL_LABEL = 'conclave remote control v1 ';
export const GRANT_KEY_BYTES = 32;

const utf8 = new TextEncoder();

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error('WebCrypto is not available');
  return s;
}

/** hkdfGrantKey: the grant key from the shared secret (tested against the Go vector). */
export async function hkdfGrantKey(shared: Bytes, grant: string): Promise<Bytes> {
  const base = await subtle().importKey('raw', shared, 'HKDF', false, ['deriveBits']);
  const bits = await subtle().deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8.encode(SEAL_LABEL + grant) },
    base,
    GRANT_KEY_BYTES * 8,
  );
  return new Uint8Array(bits);
}

/**
 * deriveGrantKey: the grant key between this page (own) and the other
 * party of the grant (peerSpki, their published public key); the sharer
 * and the controller get the same bytes, the server cannot.
 */
export async function deriveGrantKey(own: Identity, peerSpki: Bytes, grant: string): Promise<Bytes> {
  const peer = await importPublicKey(peerSpki);
  const shared = new Uint8Array(await subtle().deriveBits({ name: 'ECDH', public: peer }, own.privateKey, 256));
  try {
    return await hkdfGrantKey(shared, grant);
  } finally {
    shared.fill(0);
  }
}

/** importGrantKey makes the controller's sealing key (not extractable). */
export function importGrantKey(raw: Bytes): Promise<CryptoKey> {
  return subtle().importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

function nonce(seq: number): Bytes {
  const n = new Uint8Array(12);
  new DataView(n.buffer).setBigUint64(4, BigInt(seq));
  return n;
}

/** sealEvent: the frame { seq, sealed } of e under the grant key. */
export async function sealEvent(key: CryptoKey, grant: string, e: ControlEvent): Promise<{ seq: number; sealed: string }> {
  const ct = await subtle().encrypt(
    { name: 'AES-GCM', iv: nonce(e.seq), additionalData: utf8.encode(SEAL_LABEL + grant) },
    key,
    utf8.encode(eventJSON(e)),
  );
  return { seq: e.seq, sealed: toBase64url(new Uint8Array(ct)) };
}

/** openEvent is the agent's side (wire.go Open), for the tests: the event JSON inside a sealed frame. */
export async function openEvent(key: CryptoKey, grant: string, seq: number, sealed: Bytes): Promise<string> {
  const plain = await subtle().decrypt({ name: 'AES-GCM', iv: nonce(seq), additionalData: utf8.encode(SEAL_LABEL + grant) }, key, sealed);
  return new TextDecoder().decode(plain);
}

/** pairingCode: what the sharer gives `conclave agent --code`: the server's part, and in E2EE meetings "." and the grant key. */
export function pairingCode(server: string, key: Bytes | null): string {
  return key ? `${server}.${toBase64url(key)}` : server;
}

/**
 * agentCommand: the command line the sharer's page shows. It names the
 * meeting so that behind one name a cluster passes the agent to the node
 * running the meeting, where the grant is (docs/operations.md, "Remote
 * control").
 */
export function agentCommand(origin: string, meetingId: string, code: string): string {
  return `conclave agent --server ${shellWord(origin)} --meeting ${shellWord(meetingId)} --code ${shellWord(code)}`;
}

/** shellWord quotes s for a POSIX shell unless it is plainly one word (origins, IDs and codes are). */
function shellWord(s: string): string {
  return /^[A-Za-z0-9._:/@%+=,-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}
