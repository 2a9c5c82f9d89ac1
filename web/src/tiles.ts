// Video tiles, the grid fitter and the video_size reporter.

import { h, initials } from './dom';
import { icon } from './icons';
import type { Role, VideoSize, VideoSource } from './protocol';
import { roleBadge } from './roles';

export interface TileInfo {
  name: string;
  verified: boolean;
  role: Role;
  audio: boolean;
  video: boolean;
  /** Their connection dropped; the server holds their place meanwhile. */
  reconnecting: boolean;
}

function hue(id: string): number {
  let x = 0;
  for (let i = 0; i < id.length; i++) x = (x * 31 + id.charCodeAt(i)) >>> 0;
  return x % 8;
}

export function tileKey(participantId: string, source: VideoSource): string {
  return participantId + ':' + source;
}

/** One participant's camera, or one screen share. */
export class Tile {
  readonly el: HTMLElement;
  readonly video: HTMLVideoElement;
  private readonly avatar: HTMLElement;
  private readonly avatarText: HTMLElement;
  private readonly nameEl: HTMLElement;
  private readonly badge: HTMLElement;
  private readonly roleEl: HTMLElement;
  private readonly reconnectingEl: HTMLElement;
  private readonly micOff: HTMLElement;
  private readonly camOff: HTMLElement;
  private track: MediaStreamTrack | null = null;
  private info: TileInfo = { name: '', verified: false, role: 'guest', audio: false, video: false, reconnecting: false };
  private speaking = false;
  private readonly onTrackChange = (): void => this.render();
  /** Called when whether this tile shows video changes. */
  onVisibilityChange: (() => void) | null = null;

  constructor(
    readonly participantId: string,
    readonly source: VideoSource,
    readonly self: boolean,
  ) {
    this.video = h('video', { class: 'tile-video', autoplay: true, playsinline: true });
    this.video.muted = true; // audio is played by separate <audio> elements
    this.video.autoplay = true;
    this.video.playsInline = true;
    if (self && source === 'camera') this.video.classList.add('mirror');
    this.avatarText = h('span', { class: `avatar-circle hue-${hue(participantId)}` });
    this.avatar = h('div', { class: 'tile-avatar', 'aria-hidden': 'true' }, [this.avatarText]);
    this.micOff = h('span', { class: 'tile-indicator', title: 'Microphone off' }, [icon('micOff')]);
    this.camOff = h('span', { class: 'tile-indicator', title: 'Camera off' }, [icon('cameraOff')]);
    this.nameEl = h('span', { class: 'tile-name' });
    this.badge = h('span', { class: 'badge' });
    this.roleEl = h('span', { class: 'badge role' });
    this.reconnectingEl = h('span', { class: 'badge reconnecting tile-reconnecting', text: 'Reconnecting…' });
    this.el = h(
      'div',
      {
        class: source === 'screen' ? 'tile screen-tile' : 'tile',
        role: 'group',
        'data-participant-id': participantId,
        'data-source': source,
        'data-self': self ? 'true' : 'false',
      },
      [this.video, this.avatar, h('div', { class: 'tile-label' }, [this.micOff, this.camOff, this.nameEl, this.roleEl, this.badge, this.reconnectingEl])],
    );
    this.render();
  }

  update(info: TileInfo): void {
    this.info = { ...info };
    this.render();
  }

  setTrack(track: MediaStreamTrack | null): void {
    if (track === this.track) return;
    if (this.track) {
      this.track.removeEventListener('mute', this.onTrackChange);
      this.track.removeEventListener('unmute', this.onTrackChange);
      this.track.removeEventListener('ended', this.onTrackChange);
    }
    this.track = track;
    if (track) {
      track.addEventListener('mute', this.onTrackChange);
      track.addEventListener('unmute', this.onTrackChange);
      track.addEventListener('ended', this.onTrackChange);
      this.video.srcObject = new MediaStream([track]);
      this.video.play().catch(() => {
        // muted video may still be blocked in odd cases; the next track event retries
      });
    } else {
      this.video.srcObject = null;
    }
    this.render();
  }

  setSpeaking(speaking: boolean): void {
    if (speaking === this.speaking) return;
    this.speaking = speaking;
    this.render();
  }

  /** The sender says the video is on (what the server would forward). */
  get wantsVideo(): boolean {
    return this.source === 'screen' || this.info.video;
  }

  /** A live frame source is attached and the sender has it on. */
  get showsVideo(): boolean {
    const t = this.track;
    return this.wantsVideo && t !== null && t.readyState === 'live' && (this.self || !t.muted);
  }

  get hasTrack(): boolean {
    return this.track !== null;
  }

  get isSpeaking(): boolean {
    return this.speaking;
  }

  private render(): void {
    const { name, verified, role, audio, reconnecting } = this.info;
    const roleText = roleBadge(role);
    const shown = this.showsVideo;
    const display = name || 'Guest';
    const isScreen = this.source === 'screen';
    this.nameEl.textContent = isScreen
      ? this.self
        ? 'Your screen'
        : `${display}’s screen`
      : this.self
        ? `${display} (you)`
        : display;
    this.badge.textContent = verified ? 'Verified' : 'Guest';
    this.badge.className = verified ? 'badge verified' : 'badge guest';
    this.badge.title = verified ? 'Signed in with an account on this server' : 'Guest: not signed in';
    this.badge.hidden = isScreen;
    this.roleEl.textContent = roleText ?? '';
    this.roleEl.className = `badge role role-${role}`;
    this.roleEl.hidden = isScreen || roleText === null;
    this.el.dataset['role'] = role;
    this.reconnectingEl.hidden = isScreen || !reconnecting;
    this.el.dataset['reconnecting'] = reconnecting ? 'true' : 'false';
    this.micOff.hidden = isScreen || audio;
    this.camOff.hidden = isScreen || this.info.video;
    this.avatarText.textContent = isScreen ? (this.hasTrack ? '' : '…') : initials(display);
    this.el.classList.toggle('no-video', !shown);
    this.el.classList.toggle('speaking', this.speaking && !isScreen);
    this.el.dataset['video'] = this.wantsVideo ? 'on' : 'off';
    this.el.dataset['audio'] = audio ? 'on' : 'off';
    this.el.dataset['speaking'] = this.speaking ? 'true' : 'false';
    this.el.dataset['hasVideo'] = shown ? 'true' : 'false';
    const parts = [this.nameEl.textContent];
    if (!isScreen) {
      if (roleText) parts.push(roleText);
      parts.push(verified ? 'verified' : 'guest');
      parts.push(audio ? 'microphone on' : 'microphone off');
      parts.push(this.info.video ? 'camera on' : 'camera off');
      if (this.speaking) parts.push('speaking');
      if (reconnecting) parts.push('reconnecting');
    }
    this.el.setAttribute('aria-label', parts.join(', '));
    this.onVisibilityChange?.();
  }

  destroy(): void {
    this.setTrack(null);
    this.onVisibilityChange = null;
    this.el.remove();
  }
}

/**
 * Picks the number of columns that makes n tiles of the given aspect ratio
 * as large as possible inside the container, and publishes it as the CSS
 * variable --tile-w (CSSOM writes are allowed by the CSP).
 */
export function fitTiles(container: HTMLElement, n: number, aspect = 16 / 9): void {
  const gap = 8;
  const cs = getComputedStyle(container);
  const W = container.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  const H = container.clientHeight - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom);
  if (n === 0 || W <= 0 || H <= 0) return;
  let best = 0;
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    const w = Math.min((W - gap * (cols - 1)) / cols, ((H - gap * (rows - 1)) / rows) * aspect);
    if (w > best) best = w;
  }
  const width = Math.max(120, Math.floor(best));
  container.style.setProperty('--tile-w', `${width}px`);
}

/**
 * Reports the on-screen size of remote video tiles as `video_size` (CSS px ×
 * devicePixelRatio; 0×0 when hidden, off-screen, in a background tab or when
 * the sender's video is off), debounced and only when it changed.
 */
export class SizeReporter {
  private readonly tiles = new Map<Element, Tile>();
  private readonly sizes = new Map<Tile, { w: number; h: number }>();
  private readonly visible = new Map<Tile, boolean>();
  private readonly sent = new Map<string, string>();
  private readonly resize: ResizeObserver | null;
  private readonly intersect: IntersectionObserver | null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onVisibility = (): void => this.schedule(0);

  constructor(private readonly send: (size: VideoSize) => void) {
    this.resize =
      typeof ResizeObserver === 'function'
        ? new ResizeObserver((entries) => {
            for (const e of entries) {
              const tile = this.tiles.get(e.target);
              if (tile) this.sizes.set(tile, { w: e.contentRect.width, h: e.contentRect.height });
            }
            this.schedule();
          })
        : null;
    this.intersect =
      typeof IntersectionObserver === 'function'
        ? new IntersectionObserver((entries) => {
            for (const e of entries) {
              const tile = this.tiles.get(e.target);
              if (tile) this.visible.set(tile, e.isIntersecting);
            }
            this.schedule();
          })
        : null;
    document.addEventListener('visibilitychange', this.onVisibility);
  }

  observe(tile: Tile): void {
    if (tile.self || this.tiles.has(tile.el)) return;
    this.tiles.set(tile.el, tile);
    tile.onVisibilityChange = () => this.schedule();
    this.resize?.observe(tile.el);
    this.intersect?.observe(tile.el);
    if (!this.resize) this.sizes.set(tile, { w: tile.el.clientWidth, h: tile.el.clientHeight });
    this.schedule();
  }

  unobserve(tile: Tile): void {
    if (!this.tiles.delete(tile.el)) return;
    this.resize?.unobserve(tile.el);
    this.intersect?.unobserve(tile.el);
    this.sizes.delete(tile);
    this.visible.delete(tile);
    this.sent.delete(tileKey(tile.participantId, tile.source));
  }

  /** Forget what was sent (e.g. after reconnecting) and report again. */
  reset(): void {
    this.sent.clear();
    this.schedule(0);
  }

  schedule(delay = 250): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, delay);
  }

  /** The size reported for a tile right now. */
  measure(tile: Tile): { width: number; height: number } {
    const size = this.sizes.get(tile) ?? { w: 0, h: 0 };
    const onScreen = this.visible.get(tile) ?? this.intersect === null;
    if (document.visibilityState === 'hidden' || !onScreen || !tile.wantsVideo || !tile.el.isConnected) {
      return { width: 0, height: 0 };
    }
    const dpr = window.devicePixelRatio || 1;
    return { width: Math.round(size.w * dpr), height: Math.round(size.h * dpr) };
  }

  private flush(): void {
    for (const tile of this.tiles.values()) {
      const { width, height } = this.measure(tile);
      const key = tileKey(tile.participantId, tile.source);
      const value = `${width}x${height}`;
      if (this.sent.get(key) === value) continue;
      this.sent.set(key, value);
      this.send({ participant_id: tile.participantId, source: tile.source, width, height });
    }
  }

  destroy(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.resize?.disconnect();
    this.intersect?.disconnect();
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.tiles.clear();
  }
}
