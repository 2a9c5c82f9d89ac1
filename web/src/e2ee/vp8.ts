// How many leading bytes of an encoded frame stay in clear.
//
// The SFU never decrypts media, but it must still see a few bytes of VP8:
// whether a frame is a keyframe (layer switches and new subscribers start
// on one) and, for keyframes, the coded height (simulcast layer choice;
// internal/sfu/vp8.go reads exactly these). The receiving browser's VP8
// depacketiser reads the same bytes. So, as Jitsi and the WebRTC Encoded
// Transform samples do, a VP8 keyframe keeps its 10-byte header clear
// (3-byte frame tag, start code 9d 01 2a, width, height) and a delta frame
// its 3-byte frame tag. Those bytes are still authenticated: they are the
// SFrame metadata, part of the AAD (transform.ts). Opus and anything else
// is encrypted whole.

/** Codecs the transform knows; 'generic' encrypts everything. */
export type FrameCodec = 'vp8' | 'opus' | 'generic';

export const VP8_KEYFRAME_CLEAR = 10;
export const VP8_DELTA_CLEAR = 3;

/** isVP8Keyframe reads the frame tag's P bit (RFC 6386 §9.1: 0 means keyframe). */
export function isVP8Keyframe(frame: Uint8Array): boolean {
  return frame.length > 0 && (frame[0]! & 0x01) === 0;
}

/**
 * clearBytes is how many leading bytes of frame are sent unencrypted. The
 * receiver calls it on the received frame and gets the same answer as the
 * sender did, because the answer depends on the first byte only, which is
 * itself in the clear. A frame shorter than that cannot be protected
 * (the receiver would split it differently); callers drop it.
 */
export function clearBytes(codec: FrameCodec, frame: Uint8Array): number {
  switch (codec) {
    case 'vp8':
      if (frame.length === 0) return 0;
      return isVP8Keyframe(frame) ? VP8_KEYFRAME_CLEAR : VP8_DELTA_CLEAR;
    case 'opus':
    case 'generic':
      return 0;
  }
}

/**
 * codecOf picks the codec from a frame's metadata MIME type where the
 * browser reports one, else from the track kind: Conclave's SFU forwards
 * VP8 and Opus only (internal/sfu/engine.go), so video is VP8 unless told
 * otherwise.
 */
export function codecOf(kind: 'audio' | 'video', mimeType?: string): FrameCodec {
  const m = mimeType?.toLowerCase();
  if (m) {
    if (m === 'video/vp8') return 'vp8';
    if (m === 'audio/opus') return 'opus';
    return 'generic';
  }
  return kind === 'video' ? 'vp8' : 'opus';
}
