// The controller's input connection (docs/client.md, "Remote control"):
// while this page controls someone's shared screen, the pointer and the
// keyboard on that screen's <video> are captured and sent over the
// WebSocket /api/control/input, InputHello first (the grant and its token,
// never in the URL), then one Frame per event: the event itself, or in an
// end-to-end encrypted meeting { seq, sealed } (remotecontrolseal.ts).
// Keys are captured only while the video has focus; what the page does
// with them otherwise (shortcuts, scrolling) does not happen meanwhile.

import {
  Coalescer,
  type ControlEvent,
  type Unnumbered,
  contentBox,
  keyEvent,
  pointFraction,
  wheelLines,
} from './remotecontrol';
import { sealEvent } from './remotecontrolseal';
import type { PageOrigin } from './signaling';

export interface InputOptions {
  /** The meeting, named in the socket's URL (inputURL). */
  meetingId: string;
  grant: string;
  token: string;
  video: HTMLVideoElement;
  pointerOnly: boolean;
  /** The grant key in an end-to-end encrypted meeting; null sends events in the clear. */
  sealKey: CryptoKey | null;
  /** The connection closed without close() (the server ended it, or the network). */
  onClosed(): void;
  /** The person pressed Ctrl+Alt+Escape to leave the shared screen with the keyboard. */
  onLeave?(): void;
}

/**
 * The controller's socket for a meeting. It names the meeting so that any
 * node of a cluster can pass it to the meeting's node, where the grant is
 * (a single node ignores the parameter); the grant and token go in the
 * hello, never in the URL.
 */
export function inputURL(meetingId: string, loc: PageOrigin = location): string {
  return (loc.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + loc.host + '/api/control/input?meeting=' + encodeURIComponent(meetingId);
}

export class ControlInput {
  private readonly ws: WebSocket;
  private readonly coalescer: Coalescer;
  private readonly ac = new AbortController();
  /** Sealing is asynchronous: frames are sent in order through this chain. */
  private chain: Promise<void>;
  /** Keys and buttons held down, released on the remote side when control ends. */
  private readonly keysDown = new Set<string>();
  private readonly buttonsDown = new Set<number>();
  private last: { x: number; y: number } | null = null;
  private closed = false;
  /** Events sent (test hook). */
  sent = 0;

  constructor(private readonly opts: InputOptions) {
    this.coalescer = new Coalescer(
      (e) => this.send(e),
      (cb) => requestAnimationFrame(() => cb()),
      opts.pointerOnly,
    );
    this.ws = new WebSocket(inputURL(opts.meetingId));
    // Events wait for the connection and the hello.
    this.chain = new Promise<void>((resolve) => {
      this.ws.addEventListener('open', () => {
        this.ws.send(JSON.stringify({ grant: opts.grant, token: opts.token }));
        resolve();
      });
      this.ws.addEventListener('close', () => resolve());
    });
    this.ws.addEventListener('close', () => {
      if (!this.closed) {
        this.stop(false);
        opts.onClosed();
      }
    });
    this.listen(opts.video);
  }

  private listen(v: HTMLVideoElement): void {
    const o = { signal: this.ac.signal };
    const point = (ev: MouseEvent): { x: number; y: number } | null => {
      const r = v.getBoundingClientRect();
      const box = contentBox(r, v.videoWidth, v.videoHeight, getComputedStyle(v).objectFit || 'contain');
      return pointFraction(ev.clientX, ev.clientY, box, r);
    };
    v.addEventListener(
      'pointermove',
      (ev) => {
        const p = point(ev);
        if (!p) return;
        this.last = p;
        this.push({ kind: 'move', ...p });
      },
      o,
    );
    v.addEventListener(
      'pointerdown',
      (ev) => {
        v.focus({ preventScroll: true });
        const p = point(ev);
        if (!p || ev.button < 0 || ev.button > 2) return;
        ev.preventDefault();
        this.last = p;
        this.buttonsDown.add(ev.button);
        v.setPointerCapture?.(ev.pointerId);
        this.push({ kind: 'down', ...p, button: ev.button });
      },
      o,
    );
    v.addEventListener(
      'pointerup',
      (ev) => {
        if (!this.buttonsDown.has(ev.button)) return;
        ev.preventDefault();
        // A drag may end on the bars: it ends where the pointer last was on the screen.
        const p = point(ev) ?? this.last;
        if (!p) return;
        this.buttonsDown.delete(ev.button);
        this.push({ kind: 'up', ...p, button: ev.button });
      },
      o,
    );
    v.addEventListener('contextmenu', (ev) => ev.preventDefault(), o);
    v.addEventListener(
      'wheel',
      (ev) => {
        const p = point(ev);
        if (!p) return;
        ev.preventDefault();
        const { dx, dy } = wheelLines(ev.deltaX, ev.deltaY, ev.deltaMode);
        this.push({ kind: 'wheel', ...p, dx, dy });
      },
      { signal: this.ac.signal, passive: false },
    );
    const key = (kind: 'keydown' | 'keyup') => (ev: KeyboardEvent) => {
      // Everything typed here is for the shared screen, not this page:
      // no shortcuts, no scrolling, no tabbing away; but Ctrl+Alt+Escape,
      // which is never sent (the sharer's stop keys), leaves the screen
      // (focus moves on: no keyboard trap).
      ev.preventDefault();
      ev.stopPropagation();
      if (kind === 'keydown' && ev.code === 'Escape' && ev.ctrlKey && ev.altKey && !ev.shiftKey && !ev.metaKey) {
        this.opts.onLeave?.();
        return;
      }
      const e = keyEvent(kind, ev);
      if (!e) return;
      if (kind === 'keydown') this.keysDown.add(ev.code);
      else if (!this.keysDown.delete(ev.code)) return; // pressed before control began
      this.push(e);
    };
    v.addEventListener('keydown', key('keydown'), o);
    v.addEventListener('keyup', key('keyup'), o);
    // Focus lost: release what is held, as the local keyboard did.
    v.addEventListener('blur', () => this.releaseAll(), o);
  }

  private push(e: Unnumbered): void {
    if (!this.closed) this.coalescer.push(e);
  }

  private releaseAll(): void {
    for (const code of this.keysDown) this.push({ kind: 'keyup', key: code });
    this.keysDown.clear();
    if (this.last) for (const b of this.buttonsDown) this.push({ kind: 'up', ...this.last, button: b });
    this.buttonsDown.clear();
    this.coalescer.flush();
  }

  private send(e: ControlEvent): void {
    const key = this.opts.sealKey;
    this.chain = this.chain
      .then(async () => {
        const frame = key ? await sealEvent(key, this.opts.grant, e) : e;
        if (this.ws.readyState === WebSocket.OPEN) {
          this.ws.send(JSON.stringify(frame));
          this.sent++;
        }
      })
      .catch((err: unknown) => console.warn('conclave: a remote control event was not sent', err));
  }

  /** Ends capture; release sends the keys and buttons still held first. */
  stop(release = true): void {
    if (this.closed) return;
    if (release) this.releaseAll();
    this.closed = true;
    this.coalescer.close();
    this.ac.abort();
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
    void this.chain.then(() => {
      if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    });
  }
}
