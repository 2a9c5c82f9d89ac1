// Helpers shared by the E2EE tests.

import type { Bytes } from '../../src/e2ee/sframe';

export function hex(s: string): Bytes {
  return Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
