// The signalling websocket: JSON text frames {type, seq, data}.
//
// One Signaling lives as long as a meeting session and may use several
// sockets in turn: when one drops, the session opens another and resumes
// (docs/protocol.md, "Resume"). Across sockets it keeps
// - its own message seq, which never restarts (the server answers a resume
//   with the highest seq it processed);
// - the messages it sent (all but hello, resume and ping; the newest 256),
//   so that those the server never got can be sent again;
// - the highest server seq it has handled, so that frames a resume replays
//   twice are dropped here.
// Only the newest socket is listened to: a late frame or close of an
// abandoned one is ignored.

import { parseServerMessage } from './protocol';
import type { ClientMessages, ServerMessage } from './protocol';

/** The parts of the page's location a signalling URL depends on. */
export interface PageOrigin {
  protocol: string;
  host: string;
}

/**
 * The websocket URL for a meeting. It names the meeting so that any node
 * of a cluster can route the socket before hello (a single node ignores
 * the parameter).
 */
export function signalingUrl(meetingId: string, loc: PageOrigin = location): string {
  return wsOrigin(loc) + '/ws?meeting=' + encodeURIComponent(meetingId);
}

/** ws://host or wss://host: the websocket twin of the page's origin. */
function wsOrigin(loc: PageOrigin): string {
  return (loc.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + loc.host;
}

/**
 * A redirect's url made absolute, or null when it leaves the page's
 * origin: a server (or whoever forged the frame) must not send the
 * passcode and name to another host.
 */
export function sameOriginUrl(url: string, loc: PageOrigin = location): string | null {
  let u: URL;
  try {
    u = new URL(url, wsOrigin(loc));
  } catch {
    return null;
  }
  // The page's http(s) twin names the same origin as ws(s).
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  return u.protocol + '//' + u.host === wsOrigin(loc) ? u.href : null;
}

export interface SignalingHandlers {
  /** The current socket opened. */
  open(): void;
  /** A valid frame on the current socket, not seen before (with its seq). */
  message(msg: ServerMessage): void;
  /** The current socket closed (not one this side closed or abandoned). */
  close(ev: CloseEvent, opened: boolean): void;
}

/** How many sent messages are kept for sending again after a resume. */
export const RESEND_BUFFER = 256;

/** Not kept for sending again: each belongs to one socket. */
const UNBUFFERED: ReadonlySet<string> = new Set(['hello', 'resume', 'ping']);

/** Close code of a socket given up on (a drop, as far as the server can tell). */
export const DROP_CODE = 4000;

interface Sent {
  seq: number;
  type: string;
  frame: string;
}

export class Signaling {
  private ws: WebSocket | null = null;
  private opened = false;
  /** The last client seq used (never restarts). */
  private seq = 0;
  /** The highest server seq handled. */
  private last = 0;
  private readonly sent: Sent[] = [];
  /**
   * Holding: the connection is being resumed. Messages are numbered and
   * kept, but not sent until release() (after `resumed`).
   */
  private holding = false;
  /** Closed for good: nothing is sent or reconnected any more. */
  private finished = false;
  /** Sockets opened so far (the first is 1). */
  generation = 0;

  constructor(
    private readonly handlers: SignalingHandlers,
    private url: string,
  ) {
    this.connect();
  }

  /** The highest server seq handled so far (for resume's last_seq). */
  get lastSeq(): number {
    return this.last;
  }

  get isOpen(): boolean {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  get isHolding(): boolean {
    return this.holding;
  }

  /** Abandons the current socket, if any, and opens a new one. */
  connect(): void {
    if (this.finished) return;
    this.abandon();
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this.opened = false;
    this.generation += 1;
    ws.addEventListener('open', () => {
      if (this.ws !== ws) return;
      this.opened = true;
      this.handlers.open();
    });
    ws.addEventListener('message', (ev: MessageEvent<unknown>) => {
      if (this.ws !== ws) return;
      if (typeof ev.data !== 'string') return; // the protocol is text only
      // The generated validator is the only parser: it refuses what the
      // server's own decoder would (a message of an unknown type included).
      const msg = parseServerMessage(ev.data);
      if (!msg) {
        console.warn('conclave: ignoring an invalid server message');
        return;
      }
      if (msg.seq > 0) {
        if (msg.seq <= this.last) return; // replayed twice
        this.last = msg.seq;
      }
      this.handlers.message(msg);
    });
    ws.addEventListener('close', (ev) => {
      if (this.ws !== ws) return;
      // Until the session resumes (or ends), messages wait in the buffer.
      this.holding = true;
      this.handlers.close(ev, this.opened);
    });
  }

  /**
   * Before the session exists (a redirect answered hello): opens a fresh
   * socket to url, used by every later socket too (resumes must reach the
   * node that holds the session). Nothing is held, since nothing was sent
   * that a resume could owe, and the server seqs start again on the new node.
   */
  redirect(url: string): void {
    if (this.finished) return;
    this.url = url;
    this.connect();
    this.holding = false;
    this.last = 0;
  }

  /**
   * Stops listening to the current socket and closes it as a network drop
   * would look to the server (no leave, not a normal closure).
   */
  abandon(): void {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    this.holding = true;
    try {
      ws.close(DROP_CODE, 'dropped');
    } catch {
      // already closing
    }
  }

  /**
   * Closes the current socket as a dropped network would end it, but
   * (unlike abandon) lets its close reach the handlers: the session then
   * resumes. Test aid.
   */
  drop(): boolean {
    const ws = this.ws;
    if (!ws || this.finished || ws.readyState !== WebSocket.OPEN) return false;
    this.holding = true;
    try {
      ws.close(DROP_CODE, 'dropped');
    } catch {
      return false;
    }
    return true;
  }

  /** Sends a message; returns its seq, or 0 when it was not sent. */
  send<K extends keyof ClientMessages>(type: K, data: ClientMessages[K]): number {
    return this.sendRaw(type, data);
  }

  /**
   * Sends a message of any type, unchecked (the test hook forges some).
   * While the connection is held (a resume is under way, or the socket
   * dropped) a message is numbered and kept, to go out after the resume;
   * hello and ping are then not sent at all.
   */
  sendRaw(type: string, data: unknown): number {
    if (this.finished) return 0;
    const open = this.isOpen;
    const live = open && !this.holding;
    if (!live) {
      // Kept for later while held, or while a dropped socket's close has
      // not come yet; before the first socket opened there is no session.
      const keep = this.holding || (this.opened && !open);
      if (!keep || UNBUFFERED.has(type)) return 0;
    }
    this.seq += 1;
    const frame = JSON.stringify({ type, seq: this.seq, data });
    if (!UNBUFFERED.has(type)) {
      this.sent.push({ seq: this.seq, type, frame });
      if (this.sent.length > RESEND_BUFFER) this.sent.shift();
    }
    if (live) this.ws?.send(frame);
    return this.seq;
  }

  /**
   * Sends `resume` on the current socket, past the hold. Returns its seq,
   * or 0 when the socket is not open.
   */
  sendResume(token: string, version: number): number {
    if (this.finished || !this.isOpen) return 0;
    this.seq += 1;
    const data: ClientMessages['resume'] = { version, token, last_seq: this.last };
    this.ws?.send(JSON.stringify({ type: 'resume', seq: this.seq, data }));
    return this.seq;
  }

  /**
   * The server resumed the session having processed up to lastSeq: sends
   * the kept messages after it, in order, and goes live again. Returns how
   * many were sent again.
   */
  release(lastSeq: number): number {
    if (this.finished || !this.isOpen) return 0;
    const oldest = this.sent[0];
    if (oldest && oldest.seq > lastSeq + 1) {
      // More went unprocessed than the buffer holds: the oldest are lost.
      console.warn(`conclave: messages ${lastSeq + 1} to ${oldest.seq - 1} could not be sent again`);
    }
    let n = 0;
    for (const m of this.sent) {
      if (m.seq <= lastSeq) continue;
      this.ws?.send(m.frame);
      n += 1;
    }
    this.holding = false;
    return n;
  }

  /** Closes for good (leaving, or the call ended). */
  close(): void {
    if (this.finished) return;
    this.finished = true;
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    try {
      ws.close(1000, 'bye');
    } catch {
      // already closing
    }
  }
}
