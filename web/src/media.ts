// Local capture: microphone, camera and screen. A device that is "off" has
// no track at all (stopped), so the browser's capture indicator goes out.
// With a background effect on (effects.ts), `cam` is the effect's output
// (a canvas track) and the device's own track stays inside.

import { backdropOf, loadEffect, saveEffect } from './effects';
import type { Effect } from './effects';
import { EffectPipeline } from './segmenter';
import { load, save } from './storage';

export type CaptureKind = 'audio' | 'video';

const AUDIO_CONSTRAINTS: MediaTrackConstraints = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
};

const VIDEO_CONSTRAINTS: MediaTrackConstraints = {
  width: { ideal: 1280 },
  height: { ideal: 720 },
  frameRate: { ideal: 30, max: 30 },
};

export function mediaSupported(): boolean {
  return typeof navigator.mediaDevices === 'object' && typeof navigator.mediaDevices.getUserMedia === 'function';
}

export function screenShareSupported(): boolean {
  return typeof navigator.mediaDevices === 'object' && typeof navigator.mediaDevices.getDisplayMedia === 'function';
}

/** The `name` of an error-like value (DOMException, Error, Firefox's OverconstrainedError). */
export function errorName(e: unknown): string {
  if (typeof e === 'object' && e !== null && 'name' in e) {
    const n = (e as { name: unknown }).name;
    if (typeof n === 'string') return n;
  }
  return '';
}

/** A short human explanation for a getUserMedia/getDisplayMedia failure. */
export function describeMediaError(e: unknown): string {
  const name = errorName(e);
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'permission was denied';
    case 'NotFoundError':
      return 'no device was found';
    case 'NotReadableError':
    case 'AbortError':
      return 'the device is in use or unavailable';
    case 'OverconstrainedError':
      return 'the selected device is not available';
    case 'TypeError':
      return 'not supported here';
    default:
      return e instanceof Error && e.message ? e.message : 'unknown error';
  }
}

export interface DeviceLists {
  mics: MediaDeviceInfo[];
  cams: MediaDeviceInfo[];
}

export class LocalMedia {
  mic: MediaStreamTrack | null = null;
  /** What the preview shows and the call sends: the camera, or its effect's output. */
  cam: MediaStreamTrack | null = null;
  screen: MediaStreamTrack | null = null;
  /** The camera device's own track (the same as cam without an effect). */
  rawCam: MediaStreamTrack | null = null;
  /** The background effect chosen (remembered in this browser). */
  effect: Effect = loadEffect();
  /** Why the chosen effect is not applied (it could not start), or null. */
  effectError: string | null = null;
  private pipeline: EffectPipeline | null = null;
  private effectChain: Promise<void> = Promise.resolve();
  micDeviceId: string = load('micDevice') ?? '';
  camDeviceId: string = load('camDevice') ?? '';

  /** Starts both kinds with one permission prompt where possible. */
  async startBoth(): Promise<{ micError: unknown; camError: unknown }> {
    if (!mediaSupported()) {
      const e = new TypeError('media devices unavailable');
      return { micError: e, camError: e };
    }
    if (!this.mic && !this.cam) {
      try {
        const audio: MediaTrackConstraints = { ...AUDIO_CONSTRAINTS };
        const video: MediaTrackConstraints = { ...VIDEO_CONSTRAINTS };
        if (this.micDeviceId) audio.deviceId = { exact: this.micDeviceId };
        if (this.camDeviceId) video.deviceId = { exact: this.camDeviceId };
        const s = await navigator.mediaDevices.getUserMedia({ audio, video });
        this.mic = s.getAudioTracks()[0] ?? null;
        const raw = s.getVideoTracks()[0] ?? null;
        if (raw) await this.useCamera(raw);
        this.rememberDevices();
        return { micError: null, camError: null };
      } catch {
        // One of the two may be missing, refused or gone: try them separately.
      }
    }
    let micError: unknown = null;
    let camError: unknown = null;
    try {
      await this.startMic();
    } catch (e) {
      micError = e;
    }
    try {
      await this.startCamera();
    } catch (e) {
      camError = e;
    }
    return { micError, camError };
  }

  async startMic(): Promise<MediaStreamTrack> {
    if (this.mic && this.mic.readyState === 'live') return this.mic;
    this.mic = await this.acquire('audio', this.micDeviceId);
    this.rememberDevices();
    return this.mic;
  }

  async startCamera(): Promise<MediaStreamTrack> {
    if (this.cam && this.rawCam?.readyState === 'live') return this.cam;
    const cam = await this.useCamera(await this.acquire('video', this.camDeviceId));
    this.rememberDevices();
    return cam;
  }

  /** Takes a new camera track, putting the chosen effect on it. */
  private async useCamera(raw: MediaStreamTrack): Promise<MediaStreamTrack> {
    this.stopCamera();
    this.rawCam = raw;
    this.cam = raw;
    const p = await this.startEffect(raw);
    if (this.rawCam !== raw) {
      p?.stop(); // the camera was turned off or changed meanwhile
      return this.cam ?? raw;
    }
    this.pipeline = p;
    this.cam = p ? p.track : raw;
    return this.cam;
  }

  /** The chosen effect on raw, or null for none or when it cannot start (effectError). */
  private async startEffect(raw: MediaStreamTrack): Promise<EffectPipeline | null> {
    this.effectError = null;
    try {
      const backdrop = await backdropOf(this.effect);
      return backdrop ? await EffectPipeline.start(raw, backdrop) : null;
    } catch (e) {
      console.warn('conclave: background effect unavailable', e);
      this.effectError = e instanceof Error && e.message ? e.message : 'it could not start';
      return null;
    }
  }

  /**
   * Picks a background effect and remembers it. With the camera on, the
   * new output is built first and handed to swap (which puts it on the
   * call's sender) before the old one stops, so the video never gaps.
   * Picks are applied in order.
   */
  setEffect(effect: Effect, swap?: (track: MediaStreamTrack) => Promise<void>): Promise<void> {
    const step = async (): Promise<void> => {
      this.effect = effect;
      saveEffect(effect);
      const raw = this.rawCam;
      if (!raw) {
        this.effectError = null;
        return;
      }
      const old = this.pipeline;
      const next = await this.startEffect(raw);
      if (this.rawCam !== raw) {
        next?.stop();
        return;
      }
      if (!next && effect !== 'none') return; // keep what runs; effectError says why
      this.pipeline = next;
      this.cam = next ? next.track : raw;
      try {
        await swap?.(this.cam);
      } finally {
        if (old !== next) old?.stop();
      }
    };
    this.effectChain = this.effectChain.then(step, step);
    return this.effectChain;
  }

  /** An effect is applied to the camera now. */
  get effectActive(): boolean {
    return this.pipeline !== null;
  }

  stopMic(): void {
    this.mic?.stop();
    this.mic = null;
  }

  stopCamera(): void {
    this.pipeline?.stop(); // frees the model and the canvas
    this.pipeline = null;
    this.rawCam?.stop();
    this.rawCam = null;
    this.cam = null;
  }

  /** Switches the input device; restarts the track when it is running. */
  async selectDevice(kind: CaptureKind, deviceId: string): Promise<MediaStreamTrack | null> {
    if (kind === 'audio') {
      this.micDeviceId = deviceId;
      save('micDevice', deviceId);
      if (!this.mic) return null;
      this.stopMic();
      return this.startMic();
    }
    this.camDeviceId = deviceId;
    save('camDevice', deviceId);
    if (!this.cam) return null;
    this.stopCamera();
    return this.startCamera();
  }

  async startScreen(): Promise<MediaStreamTrack> {
    if (this.screen && this.screen.readyState === 'live') return this.screen;
    if (!screenShareSupported()) throw new TypeError('screen sharing is not supported by this browser');
    const s = await navigator.mediaDevices.getDisplayMedia({
      video: { frameRate: { ideal: 15, max: 30 } },
      audio: false,
    });
    const track = s.getVideoTracks()[0];
    if (!track) throw new Error('no screen track');
    for (const extra of s.getTracks()) if (extra !== track) extra.stop();
    if ('contentHint' in track) track.contentHint = 'detail';
    this.screen = track;
    return track;
  }

  stopScreen(): void {
    this.screen?.stop();
    this.screen = null;
  }

  stopAll(): void {
    this.stopMic();
    this.stopCamera();
    this.stopScreen();
  }

  async listDevices(): Promise<DeviceLists> {
    if (!mediaSupported() || typeof navigator.mediaDevices.enumerateDevices !== 'function') {
      return { mics: [], cams: [] };
    }
    try {
      const all = await navigator.mediaDevices.enumerateDevices();
      return {
        mics: all.filter((d) => d.kind === 'audioinput'),
        cams: all.filter((d) => d.kind === 'videoinput'),
      };
    } catch {
      return { mics: [], cams: [] };
    }
  }

  private async acquire(kind: CaptureKind, deviceId: string): Promise<MediaStreamTrack> {
    if (!mediaSupported()) throw new TypeError('media devices unavailable');
    const get = async (id: string): Promise<MediaStreamTrack> => {
      const c: MediaTrackConstraints = { ...(kind === 'audio' ? AUDIO_CONSTRAINTS : VIDEO_CONSTRAINTS) };
      if (id) c.deviceId = { exact: id };
      const s = await navigator.mediaDevices.getUserMedia(kind === 'audio' ? { audio: c } : { video: c });
      const t = s.getTracks()[0];
      if (!t) throw new DOMException('no track', 'NotFoundError');
      return t;
    };
    try {
      return await get(deviceId);
    } catch (e) {
      const name = errorName(e);
      if (deviceId && (name === 'OverconstrainedError' || name === 'NotFoundError' || name === 'NotReadableError')) {
        // The remembered device is gone: fall back to the default one.
        return await get('');
      }
      throw e;
    }
  }

  private rememberDevices(): void {
    const micId = this.mic?.getSettings().deviceId;
    const camId = this.rawCam?.getSettings().deviceId;
    if (micId) this.micDeviceId = micId;
    if (camId) this.camDeviceId = camId;
  }
}
