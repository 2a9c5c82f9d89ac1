// Remote control of a shared screen, the controller's side (docs/client.md,
// "Remote control"; the contract is internal/remotecontrol/event.go): what
// the page sends over /api/control/input for the pointer and keyboard
// events on the sharer's video. Pure logic, no DOM, so the unit tests
// (web/test/remotecontrol.test.ts) drive it:
//
// - pointFraction maps a pointer position on the <video> element to
//   fractions [0, 1] of the video *content*, allowing for object-fit
//   letterboxing; positions on the bars map to nothing and are not sent;
// - keyEvent maps a KeyboardEvent to an event, or to nothing for keys the
//   agent cannot inject and for the combinations event.go refuses (the
//   same list: a shared fixture, internal/remotecontrol/testdata, keeps
//   both sides agreeing);
// - Coalescer numbers events and sends at most one pointer move and one
//   wheel per animation frame, in order with clicks and keys;
// - eventJSON writes an event exactly as Go's encoding/json writes the
//   Event struct (field order, zero values omitted), which the sealed
//   form's cross-language vector checks.

/** Kinds of input event (event.go). */
export type ControlKind = 'move' | 'down' | 'up' | 'wheel' | 'keydown' | 'keyup';

/** Modifier names, in the order Combo spells them. */
export type Mod = 'Ctrl' | 'Alt' | 'Shift' | 'Meta';
export const MODS: readonly Mod[] = ['Ctrl', 'Alt', 'Shift', 'Meta'];

/** One input event, as on the wire (Seq numbers a grant's events from 1). */
export interface ControlEvent {
  seq: number;
  kind: ControlKind;
  x?: number;
  y?: number;
  button?: number;
  dx?: number;
  dy?: number;
  key?: string;
  mods?: Mod[];
}

/** An event before the Coalescer numbers it. */
export type Unnumbered = Omit<ControlEvent, 'seq'>;

/** Bound of one wheel event, in lines (event.go MaxWheel). */
export const MAX_WHEEL = 20;
/** Fractions are rounded to this many decimals: finer than any screen's pixel, and Go and JS print them alike. */
const DECIMALS = 1e5;
/** Pixels per wheel line, for wheels that report pixels (deltaMode 0). */
export const PIXELS_PER_LINE = 40;
/** Lines per page, for wheels that report pages (deltaMode 2). */
const LINES_PER_PAGE = 10;

/** The stop combination, which only the sharer's own keyboard may press. */
export const STOP_KEY = 'Escape';
export const STOP_MODS: readonly Mod[] = ['Ctrl', 'Alt'];

/** The KeyboardEvent.code values the agent can inject (event.go Keys, in the same order). */
export const KEYS: readonly string[] = [
  ...Array.from({ length: 26 }, (_, i) => `Key${String.fromCharCode(65 + i)}`),
  ...Array.from({ length: 10 }, (_, i) => `Digit${i}`),
  ...Array.from({ length: 12 }, (_, i) => `F${i + 1}`),
  'Enter', 'Escape', 'Backspace', 'Tab', 'Space', 'Delete', 'Insert',
  'Home', 'End', 'PageUp', 'PageDown', 'ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown',
  'Minus', 'Equal', 'BracketLeft', 'BracketRight', 'Backslash', 'Semicolon', 'Quote',
  'Backquote', 'Comma', 'Period', 'Slash', 'CapsLock', 'PrintScreen',
  'ShiftLeft', 'ShiftRight', 'ControlLeft', 'ControlRight', 'AltLeft', 'AltRight',
  'MetaLeft', 'MetaRight',
];
const KEY_SET = new Set(KEYS);

/** combo spells a key with its modifiers in a fixed order ("Ctrl+Alt+Delete"), as event.go's Combo. */
export function combo(key: string, mods: readonly string[]): string {
  return [...MODS.filter((m) => mods.includes(m)), key].join('+');
}

function isFunctionKey(key: string): boolean {
  const m = /^F(\d+)$/.exec(key);
  if (!m) return false;
  const n = Number(m[1]);
  return n >= 1 && n <= 24;
}

/**
 * blockedCombo: the combinations that would end, lock or switch the
 * sharer's session (Ctrl+Alt+Delete/Backspace/L/F1–F24, Alt+PrintScreen,
 * Meta+L) and the stop combination Ctrl+Alt+Escape (event.go blocked).
 */
export function blockedCombo(key: string, mods: readonly string[]): boolean {
  const ctrl = mods.includes('Ctrl');
  const alt = mods.includes('Alt');
  const meta = mods.includes('Meta');
  if (key === 'PrintScreen' && alt) return true;
  if (ctrl && alt && (key === 'Delete' || key === 'Backspace' || key === 'KeyL' || isFunctionKey(key))) return true;
  if (meta && key === 'KeyL') return true;
  if (key === STOP_KEY && sameSet(mods, STOP_MODS)) return true;
  return false;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** keyAllowed: what event.go's CheckKey accepts (a known key, known modifiers, not blocked). */
export function keyAllowed(key: string, mods: readonly string[]): boolean {
  return KEY_SET.has(key) && mods.every((m) => (MODS as readonly string[]).includes(m)) && !blockedCombo(key, mods);
}

/** The parts of a KeyboardEvent used here. */
export interface KeyLike {
  code: string;
  ctrlKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  metaKey: boolean;
}

export function modsOf(ev: KeyLike): Mod[] {
  const mods: Mod[] = [];
  if (ev.ctrlKey) mods.push('Ctrl');
  if (ev.altKey) mods.push('Alt');
  if (ev.shiftKey) mods.push('Shift');
  if (ev.metaKey) mods.push('Meta');
  return mods;
}

/** keyEvent maps a key press or release to an event; null for keys not sent. */
export function keyEvent(kind: 'keydown' | 'keyup', ev: KeyLike): Unnumbered | null {
  const mods = modsOf(ev);
  if (!keyAllowed(ev.code, mods)) return null;
  return mods.length > 0 ? { kind, key: ev.code, mods } : { kind, key: ev.code };
}

/** A rectangle in CSS pixels (getBoundingClientRect). */
export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * contentBox is where the video's picture lies inside the element's box,
 * for object-fit contain (letterboxed: the bars are not the screen), cover
 * (cropped: part of the screen is outside the element) or fill; centred,
 * as object-position's default. Without the video's size (no frame yet)
 * the element's box.
 */
export function contentBox(el: Box, videoWidth: number, videoHeight: number, fit: string): Box {
  if (!(videoWidth > 0 && videoHeight > 0 && el.width > 0 && el.height > 0) || fit === 'fill') return el;
  const sx = el.width / videoWidth;
  const sy = el.height / videoHeight;
  let scale: number;
  if (fit === 'cover') scale = Math.max(sx, sy);
  else if (fit === 'none') scale = 1;
  else if (fit === 'scale-down') scale = Math.min(1, sx, sy);
  else scale = Math.min(sx, sy); // contain, the default for <video>
  const width = videoWidth * scale;
  const height = videoHeight * scale;
  return { left: el.left + (el.width - width) / 2, top: el.top + (el.height - height) / 2, width, height };
}

function round(v: number): number {
  return Math.round(v * DECIMALS) / DECIMALS;
}

/**
 * pointFraction maps a point (client coordinates) to fractions of the
 * content box, null outside it (or outside the element, clip: what the
 * person cannot see they cannot point at).
 */
export function pointFraction(clientX: number, clientY: number, content: Box, clip?: Box): { x: number; y: number } | null {
  if (!(content.width > 0 && content.height > 0)) return null;
  if (clip && (clientX < clip.left || clientY < clip.top || clientX > clip.left + clip.width || clientY > clip.top + clip.height)) return null;
  const fx = (clientX - content.left) / content.width;
  const fy = (clientY - content.top) / content.height;
  if (!Number.isFinite(fx) || !Number.isFinite(fy) || fx < 0 || fx > 1 || fy < 0 || fy > 1) return null;
  return { x: round(fx), y: round(fy) };
}

/** Wheel deltas in lines, from a WheelEvent's deltaMode (0 pixels, 1 lines, 2 pages). */
export function wheelLines(deltaX: number, deltaY: number, deltaMode: number): { dx: number; dy: number } {
  const per = deltaMode === 1 ? 1 : deltaMode === 2 ? LINES_PER_PAGE : 1 / PIXELS_PER_LINE;
  return { dx: deltaX * per, dy: deltaY * per };
}

/**
 * eventJSON writes e as Go's json.Marshal writes remotecontrol.Event: the
 * fields in declaration order, zero values left out (omitempty).
 */
export function eventJSON(e: ControlEvent): string {
  const o: Record<string, unknown> = { seq: e.seq, kind: e.kind };
  if (e.x) o['x'] = e.x;
  if (e.y) o['y'] = e.y;
  if (e.button) o['button'] = e.button;
  if (e.dx) o['dx'] = e.dx;
  if (e.dy) o['dy'] = e.dy;
  if (e.key) o['key'] = e.key;
  if (e.mods && e.mods.length > 0) o['mods'] = e.mods;
  return JSON.stringify(o);
}

/**
 * Coalescer numbers events from 1 and hands them to emit. Pointer moves
 * wait for the next animation frame (schedule) and only the last one of a
 * frame goes; wheel deltas add up over a frame and go in whole lines (the
 * rest waits for more), at most MAX_WHEEL a frame. Any other event sends
 * what waits first, so the order stays as the person made it. A
 * pointer-only grant sends moves only.
 */
export class Coalescer {
  private seq = 0;
  private move: { x: number; y: number } | null = null;
  private wheel = { dx: 0, dy: 0, x: 0, y: 0, pending: false };
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly emit: (e: ControlEvent) => void,
    private readonly schedule: (cb: () => void) => void,
    private readonly pointerOnly = false,
  ) {}

  /** The last sequence number used. */
  get lastSeq(): number {
    return this.seq;
  }

  push(e: Unnumbered): void {
    if (this.closed) return;
    if (this.pointerOnly && e.kind !== 'move') return;
    if (e.kind === 'move') {
      this.move = { x: e.x ?? 0, y: e.y ?? 0 };
      this.later();
      return;
    }
    if (e.kind === 'wheel') {
      this.wheel.dx += e.dx ?? 0;
      this.wheel.dy += e.dy ?? 0;
      this.wheel.x = e.x ?? 0;
      this.wheel.y = e.y ?? 0;
      this.wheel.pending = true;
      this.later();
      return;
    }
    this.flush();
    this.send(e);
  }

  /** Sends what waits for the frame now. */
  flush(): void {
    if (this.move) {
      const m = this.move;
      this.move = null;
      this.send({ kind: 'move', x: m.x, y: m.y });
    }
    if (this.wheel.pending) {
      const w = this.wheel;
      const dx = clampWheel(Math.trunc(w.dx));
      const dy = clampWheel(Math.trunc(w.dy));
      w.dx -= dx;
      w.dy -= dy;
      // Past the bound the rest is dropped: nobody means 20 lines a frame.
      if (Math.abs(w.dx) >= 1) w.dx = 0;
      if (Math.abs(w.dy) >= 1) w.dy = 0;
      w.pending = false;
      if (dx !== 0 || dy !== 0) this.send({ kind: 'wheel', x: w.x, y: w.y, dx, dy });
    }
  }

  /** No more events (control ended). */
  close(): void {
    this.closed = true;
    this.move = null;
    this.wheel.pending = false;
  }

  private later(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      if (!this.closed) this.flush();
    });
  }

  private send(e: Unnumbered): void {
    this.seq++;
    this.emit({ seq: this.seq, ...e });
  }
}

function clampWheel(v: number): number {
  return Math.max(-MAX_WHEEL, Math.min(MAX_WHEEL, v)) || 0;
}

/** What each end of control says on screen (remotecontrol.CauseX). */
export const ENDED_TEXT: Readonly<Record<string, string>> = {
  stopped: 'the sharer stopped it',
  stop_key: 'the sharer pressed the stop keys',
  share_ended: 'the screen share ended',
  left: 'a participant left',
  revoked: 'a host revoked it',
  expired: 'its time limit passed',
  released: 'control was given back',
  flood: 'too many input events were sent',
  bad_input: 'input was refused',
  agent_closed: 'the agent on the shared computer closed',
  meeting_end: 'the meeting ended',
};

/** Why a request for control came to nothing (control_refused.reason). */
export const REFUSED_TEXT: Readonly<Record<string, string>> = {
  refused: 'refused',
  busy: 'someone else controls that screen',
  share_ended: 'the screen share ended',
  left: 'they left',
  timeout: 'no answer in time',
};
