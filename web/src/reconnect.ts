// Keeping a meeting's signalling alive across network drops (docs/protocol.md,
// "Resume"): pings that notice a dead socket, the secret resume token, and
// reconnect attempts with backoff until the grace period the server named
// is over. The session (session.ts) owns the call; this owns the timers.

import { PROTOCOL_VERSION } from './protocol';
import type { Signaling } from './signaling';

const PING_INTERVAL_MS = 15_000;
/** A ping unanswered this long means the socket is dead: resume on a new one. */
const PONG_TIMEOUT_MS = 25_000;
/** Waits before each reconnect attempt; the last repeats until the grace ends. */
const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 5000];
/** Each wait varies by up to this fraction either way. */
const RECONNECT_JITTER = 0.15;
/** An attempt whose socket neither resumes nor closes by then is given up. */
const ATTEMPT_TIMEOUT_MS = 10_000;

/** What the resumer needs of the session. */
export interface ResumeHost {
  readonly sig: Signaling;
  /** The call has ended: nothing more to do. */
  ended(): boolean;
  /** The current socket (generation gen) is dead though no close came: treat it as a drop. */
  socketDead(gen: number): void;
  /** An attempt gave socket gen up: its close, if one comes, is no news. */
  socketAbandoned(gen: number): void;
  /** Reconnecting began (true) or a resume ended it (false). */
  reconnectingChanged(on: boolean): void;
  /** The grace period is over without a resume: the call is lost. */
  lost(): void;
  /** Something the test hook or the view reads changed. */
  changed(): void;
}

export class Resumer {
  /** The signalling socket dropped and the session is being resumed. */
  reconnecting = false;
  /** Resumes that worked (the test hook reads it). */
  resumes = 0;
  /** Attempts to reconnect since the last drop. */
  attempts = 0;
  /** The seq of the resume sent on the current socket (0: none). */
  resumeSeq = 0;

  /**
   * The secret that lets a new socket take this session over after a drop.
   * Kept in memory only, never in localStorage or sessionStorage: a stored
   * token could be read by anyone with access to the browser profile (or
   * by a script injected into the page later) and used to take the
   * participant's place. Single-use: each resume_token replaces the
   * previous one.
   */
  private token: string | null = null;
  private graceMs = 0;
  private graceOver = false;
  /** Test aid: reconnect attempts wait for release(). */
  private held = false;
  private lastPong = 0;
  /** When the oldest unanswered ping went out (0: none outstanding). */
  private pingSentAt = 0;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private attemptTimer: ReturnType<typeof setTimeout> | undefined;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly host: ResumeHost) {
    window.addEventListener('online', this.onOnline);
  }

  /** A resume token is held (the token itself never leaves this object). */
  get hasToken(): boolean {
    return this.token !== null;
  }

  /** The server's resume_token: the only one that works from now on. */
  setToken(token: string, graceSeconds: number): void {
    this.token = token;
    this.graceMs = graceSeconds * 1000;
  }

  /** A pong arrived: noted at once, so that a busy session does not look dead. */
  pong(): void {
    this.lastPong = Date.now();
  }

  /** Sends resume on a socket opened by an attempt; false when not reconnecting. */
  resumeOnOpen(): boolean {
    if (!this.reconnecting) return false;
    if (this.token !== null) this.resumeSeq = this.host.sig.sendResume(this.token, PROTOCOL_VERSION);
    return true;
  }

  startPings(): void {
    if (this.pingTimer === undefined) this.pingTimer = setInterval(() => this.ping(), PING_INTERVAL_MS);
  }

  /**
   * Keeps the connection alive, and notices a dead one the browser has not
   * (a network gone without a close): a ping unanswered for
   * PONG_TIMEOUT_MS gives the socket up and resumes on a new one.
   */
  private ping(): void {
    if (this.host.ended() || this.reconnecting) return;
    const now = Date.now();
    if (this.pingSentAt !== 0 && this.lastPong >= this.pingSentAt) this.pingSentAt = 0;
    if (this.pingSentAt !== 0 && now - this.pingSentAt >= PONG_TIMEOUT_MS && this.token !== null) {
      console.warn('conclave: no pong from the server; reconnecting');
      this.pingSentAt = 0;
      const gen = this.host.sig.generation;
      this.host.sig.abandon();
      this.host.socketDead(gen);
      return;
    }
    if (this.host.sig.send('ping', {}) > 0 && this.pingSentAt === 0) this.pingSentAt = now;
  }

  /**
   * The socket dropped while in the meeting or the waiting room: the call
   * view and media stay, and attempts follow with backoff until the grace
   * period the server named has passed.
   */
  start(): void {
    this.reconnecting = true;
    this.graceOver = false;
    this.attempts = 0;
    this.pingSentAt = 0;
    this.clearTimers();
    this.graceTimer = setTimeout(() => this.onGraceOver(), this.graceMs);
    this.host.reconnectingChanged(true);
    this.scheduleAttempt();
  }

  private scheduleAttempt(): void {
    if (this.host.ended() || !this.reconnecting) return;
    if (this.graceOver) {
      this.host.lost();
      return;
    }
    if (this.held || this.reconnectTimer !== undefined) return;
    const base = RECONNECT_DELAYS_MS[Math.min(this.attempts, RECONNECT_DELAYS_MS.length - 1)] ?? 5000;
    const delay = base * (1 - RECONNECT_JITTER + Math.random() * 2 * RECONNECT_JITTER);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.attempt();
    }, delay);
  }

  /** Opens a new socket; resumeOnOpen sends resume on it. */
  private attempt(): void {
    if (this.host.ended() || !this.reconnecting || this.held) return;
    this.attempts += 1;
    this.resumeSeq = 0;
    this.host.sig.connect();
    const gen = this.host.sig.generation;
    this.host.changed();
    this.attemptTimer = setTimeout(() => {
      this.attemptTimer = undefined;
      if (this.host.ended() || !this.reconnecting || this.host.sig.generation !== gen) return;
      // Neither resumed nor closed: give this socket up and try another.
      this.host.socketAbandoned(gen);
      this.host.sig.abandon();
      this.attemptFailed();
    }, ATTEMPT_TIMEOUT_MS);
  }

  /** The attempt's socket closed or was refused: the next one follows. */
  attemptFailed(): void {
    if (this.attemptTimer !== undefined) clearTimeout(this.attemptTimer);
    this.attemptTimer = undefined;
    this.scheduleAttempt();
  }

  private onGraceOver(): void {
    this.graceTimer = undefined;
    this.graceOver = true;
    if (this.host.ended() || !this.reconnecting) return;
    // An attempt under way gets its answer (its own timeout bounds the wait).
    if (this.attemptTimer !== undefined) return;
    this.host.lost();
  }

  /** The browser is back online: try at once rather than after the wait. */
  private readonly onOnline = (): void => {
    if (this.host.ended() || !this.reconnecting || this.held || this.reconnectTimer === undefined) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.attempt();
  };

  /**
   * The server took the new socket as ours: messages it had not seen are
   * sent again. False when there is nothing to resume (or the socket is
   * gone again: its close follows).
   */
  resumed(lastSeq: number): boolean {
    if (this.host.ended() || !this.reconnecting || !this.host.sig.isOpen) return false;
    this.clearTimers();
    const resent = this.host.sig.release(lastSeq);
    this.reconnecting = false;
    this.attempts = 0;
    this.resumes += 1;
    if (resent > 0) console.info(`conclave: resumed; sent ${resent} messages again`);
    this.host.reconnectingChanged(false);
    return true;
  }

  private clearTimers(): void {
    for (const t of [this.reconnectTimer, this.attemptTimer, this.graceTimer]) {
      if (t !== undefined) clearTimeout(t);
    }
    this.reconnectTimer = this.attemptTimer = this.graceTimer = undefined;
  }

  /** Test aid: cuts the socket as a network drop would (no leave); hold keeps attempts back. */
  drop(hold: boolean): boolean {
    if (this.host.ended() || this.reconnecting || this.token === null) return false;
    this.held = hold;
    return this.host.sig.drop();
  }

  /** Test aid: lets reconnect attempts held by drop(true) go on. */
  release(): boolean {
    if (!this.held) return false;
    this.held = false;
    if (this.reconnecting) this.attempt();
    return true;
  }

  /** The call ended: every timer stops and the token is forgotten. */
  stop(): void {
    this.clearTimers();
    if (this.pingTimer !== undefined) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
    window.removeEventListener('online', this.onOnline);
    this.token = null;
    this.reconnecting = false;
  }
}
