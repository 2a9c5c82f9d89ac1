// ---- Decoding and validation, mirroring internal/protocol ----
//
// decode follows encoding/json: keys match fields case-insensitively, the
// last match wins, unknown keys are ignored, null leaves a string, number,
// bool, time or object as it was (zero when absent) and empties a pointer
// (null), slice ([]) or map ({}); a present value of the wrong JSON type
// makes the message invalid. check then applies the proto tag rules, with
// the same messages as protocol.Validate.
//
// What JSON.parse hides cannot be mirrored: the spelling of numbers (Go
// refuses 1.0 or 1e3 for an integer and sees integers beyond 2^53
// exactly), escapes inside a time string (Go does not unescape it), and
// keys given twice with the very same spelling (JSON.parse keeps only the
// last value, in the first one's place; Go sees each, and merges objects).
// A Go server never writes any of these.

interface Rules {
  readonly req?: true;
  readonly min?: number;
  readonly max?: number;
  readonly en?: readonly string[];
  readonly km?: number;
}

type Node =
  | (Rules & { readonly k: 's' })
  | { readonly k: 'b' }
  | (Rules & { readonly k: 'i'; readonly lo: number; readonly hx: number; readonly u?: true })
  | { readonly k: 't' }
  | (Rules & { readonly k: 'p' | 'l' | 'm'; readonly e: Node })
  | { readonly k: 'o'; readonly n: string };

interface Field {
  /** JSON name. */
  readonly j: string;
  /** JSON name folded (fold). */
  readonly f: string;
  readonly t: Node;
}

/** The result of decoding a payload: its value, or why it is refused. */
export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value of the wrong JSON type; field is its path of struct fields, as in Go. */
class WrongType {
  constructor(readonly field: string) {}
}

/** A string that is not an RFC 3339 time where one is expected. */
class BadTime {}

/** fold maps a key to the field it selects (schema.Fold). */
function fold(s: string): string {
  return s.replace(/[A-Z\u017f\u212a]/g, (c) => (c === '\u017f' ? 's' : c === '\u212a' ? 'k' : c.toLowerCase()));
}

function fieldsOf(name: string): readonly Field[] {
  const fs = Object.hasOwn(STRUCTS, name) ? STRUCTS[name] : undefined;
  if (fs === undefined) throw new Error(`wire: no type ${name}`);
  return fs;
}

const fieldIndex = new Map<string, ReadonlyMap<string, Field>>();

function lookup(name: string, key: string): Field | undefined {
  let index = fieldIndex.get(name);
  if (index === undefined) {
    index = new Map(fieldsOf(name).map((f) => [f.f, f]));
    fieldIndex.set(name, index);
  }
  return index.get(fold(key));
}

/** put sets an own property, even one named __proto__. */
function put(o: Obj, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function zero(t: Node): unknown {
  switch (t.k) {
    case 's':
    case 't':
      return '';
    case 'b':
      return false;
    case 'i':
      return 0;
    case 'p':
      return null;
    case 'l':
      return [];
    case 'm':
      return {};
    case 'o':
      return zeroStruct(t.n);
  }
}

function zeroStruct(name: string): Obj {
  const o: Obj = {};
  for (const f of fieldsOf(name)) o[f.j] = zero(f.t);
  return o;
}

/** Go keeps a slice's backing array: a second decode reuses its elements. */
const backing = new WeakMap<readonly unknown[], unknown[]>();

/** Lone surrogates, which Go decodes as U+FFFD. */
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function dec(t: Node, raw: unknown, prev: unknown, path: string): unknown {
  if (raw === null || raw === undefined) {
    switch (t.k) {
      case 'p':
        return null;
      case 'l':
        return [];
      case 'm':
        return {};
      default:
        return prev;
    }
  }
  switch (t.k) {
    case 's':
      if (typeof raw === 'string') return raw;
      break;
    case 'b':
      if (typeof raw === 'boolean') return raw;
      break;
    case 'i':
      if (typeof raw === 'number' && Number.isInteger(raw) && raw >= t.lo && raw < t.hx && !(t.u === true && Object.is(raw, -0))) {
        return raw === 0 ? 0 : raw;
      }
      break;
    case 't':
      if (typeof raw !== 'string') break;
      if (!isTime(raw)) throw new BadTime();
      return raw;
    case 'p':
      return dec(t.e, raw, prev === null ? zero(t.e) : prev, path);
    case 'l':
      if (Array.isArray(raw)) return decList(t.e, raw, prev, path);
      break;
    case 'm':
      if (isObj(raw)) {
        const out = isObj(prev) ? prev : {};
        for (const key of Object.keys(raw)) {
          const v = raw[key];
          if (v !== undefined) put(out, key.replace(loneSurrogate, '\ufffd'), dec(t.e, v, zero(t.e), path));
        }
        return out;
      }
      break;
    case 'o':
      if (isObj(raw)) return decStruct(t.n, raw, isObj(prev) ? prev : zeroStruct(t.n), path);
      break;
  }
  throw new WrongType(path);
}

function decStruct(name: string, raw: Obj, out: Obj, path: string): Obj {
  for (const key of Object.keys(raw)) {
    const f = lookup(name, key);
    const v = raw[key];
    if (f !== undefined && v !== undefined) out[f.j] = dec(f.t, v, out[f.j], path === '' ? f.j : `${path}.${f.j}`);
  }
  return out;
}

function decList(e: Node, raw: readonly unknown[], prev: unknown, path: string): unknown[] {
  if (raw.length === 0) return [];
  const old: readonly unknown[] = Array.isArray(prev) ? (backing.get(prev) ?? prev) : [];
  const store = old.slice();
  raw.forEach((r, i) => {
    store[i] = dec(e, r, i < store.length ? store[i] : zero(e), path);
  });
  const out = store.slice(0, raw.length);
  if (store.length > out.length) backing.set(out, store);
  return out;
}

const timeSyntax = /^(\d{4})-(\d\d)-(\d\d)T(\d\d?):(\d\d):(\d\d)(?:[.,]\d+)?(?:Z|[+-](\d\d):(\d\d))$/;

/** isTime accepts what Go's time.Time.UnmarshalJSON accepts. */
function isTime(s: string): boolean {
  const m = timeSyntax.exec(s);
  if (m === null) return false;
  const n = (i: number): number => Number(m[i] ?? '0');
  const year = n(1);
  const month = n(2);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  return month >= 1 && month <= 12 && n(3) >= 1 && n(3) <= days && n(4) <= 23 && n(5) <= 59 && n(6) <= 59 && n(7) <= 24 && n(8) <= 60;
}

/** utf8Len is the UTF-8 length Go sees (a lone surrogate is U+FFFD). */
function utf8Len(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

interface Violation {
  path: string;
  readonly msg: string;
}

function violation(msg: string): Violation {
  return { path: '', msg };
}

function under(b: Violation, prefix: string): Violation {
  b.path = b.path === '' ? prefix : b.path.startsWith('[') ? prefix + b.path : `${prefix}.${b.path}`;
  return b;
}

function enumMessage(en: readonly string[]): string {
  const vals = en.filter((e) => e !== '').join(', ');
  return en.includes('') ? `must be empty or one of ${vals}` : `must be one of ${vals}`;
}

function entries(n: number): string {
  return n === 1 ? 'entry' : 'entries';
}

function checkCount(t: Rules, n: number): Violation | null {
  if (t.req === true && n === 0) return violation('is required');
  if (t.min !== undefined && n < t.min) return violation(`must have at least ${t.min} ${entries(t.min)}`);
  if (t.max !== undefined && n > t.max) return violation(`must have at most ${t.max} ${entries(t.max)}`);
  return null;
}

function check(t: Node, v: unknown): Violation | null {
  switch (t.k) {
    case 's': {
      const s = v as string;
      if (t.req === true && s === '') return violation('is required');
      if (t.min !== undefined && utf8Len(s) < t.min) return violation(`must be at least ${t.min} bytes`);
      if (t.max !== undefined && utf8Len(s) > t.max) return violation(`must be at most ${t.max} bytes`);
      if (t.en !== undefined && !t.en.includes(s)) return violation(enumMessage(t.en));
      return null;
    }
    case 'i': {
      const n = v as number;
      if (t.min !== undefined && n < t.min) return violation(`must be at least ${t.min}`);
      if (t.max !== undefined && n > t.max) return violation(`must be at most ${t.max}`);
      return null;
    }
    case 'p':
      if (v === null) return t.req === true ? violation('is required') : null;
      return check(t.e, v);
    case 'l': {
      const a = v as readonly unknown[];
      const b = checkCount(t, a.length);
      if (b !== null) return b;
      for (let i = 0; i < a.length; i++) {
        const e = check(t.e, a[i]);
        if (e !== null) return under(e, `[${i}]`);
      }
      return null;
    }
    case 'm': {
      const o = v as Obj;
      const keys = Object.keys(o).sort();
      const b = checkCount(t, keys.length);
      if (b !== null) return b;
      for (const k of keys) {
        if (t.km !== undefined && utf8Len(k) > t.km) return violation(`keys must be at most ${t.km} bytes`);
        const e = check(t.e, o[k]);
        if (e !== null) return under(e, `[${JSON.stringify(k.slice(0, 16))}]`);
      }
      return null;
    }
    case 'o':
      return checkStruct(t.n, v as Obj);
    default:
      return null;
  }
}

function checkStruct(name: string, o: Obj): Violation | null {
  for (const f of fieldsOf(name)) {
    const b = check(f.t, o[f.j]);
    if (b !== null) return under(b, f.j);
  }
  return null;
}

/** decodeAs decodes and validates data (a parsed JSON value) as the payload type name. */
function decodeAs(name: string, data: unknown): Decoded<unknown> {
  let value: Obj;
  try {
    value = zeroStruct(name);
    if (data !== null && data !== undefined) {
      if (!isObj(data)) throw new WrongType('');
      value = decStruct(name, data, value, '');
    }
  } catch (e) {
    if (e instanceof WrongType) {
      return { ok: false, error: `invalid data: ${e.field === '' ? 'data' : `field ${e.field}`} has the wrong type` };
    }
    if (e instanceof BadTime) return { ok: false, error: 'invalid data: a time is not in RFC 3339 format' };
    throw e;
  }
  const b = checkStruct(name, value);
  return b === null ? { ok: true, value } : { ok: false, error: `${b.path} ${b.msg}` };
}

function unknownType(type: string): string {
  return `unknown message type ${JSON.stringify(type.slice(0, 32))}`;
}

/** Decodes and validates the payload of a client message of the given type. */
export function decodeClientData<K extends keyof ClientMessages>(type: K, data: unknown): Decoded<ClientMessages[K]> {
  const name = CLIENT.get(type);
  return (name === undefined ? { ok: false, error: unknownType(type) } : decodeAs(name, data)) as Decoded<ClientMessages[K]>;
}

/** Decodes and validates the payload of a server message of the given type. */
export function decodeServerData<K extends keyof ServerMessages>(type: K, data: unknown): Decoded<ServerMessages[K]> {
  const name = SERVER.get(type);
  return (name === undefined ? { ok: false, error: unknownType(type) } : decodeAs(name, data)) as Decoded<ServerMessages[K]>;
}

/**
 * Checks the payload of a client message as the server will (tests, and
 * callers that want to catch a mistake before sending): null when valid,
 * else the reason.
 */
export function validateClientData(type: string, data: unknown): string | null {
  const name = CLIENT.get(type);
  if (name === undefined) return unknownType(type);
  const d = decodeAs(name, data);
  return d.ok ? null : d.error;
}

/** Go's unicode.IsSpace, which bytes.TrimSpace trims off a frame. */
function isSpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) || c === 0x20 || c === 0x85 || c === 0xa0 || c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000
  );
}

function trimSpace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isSpace(s.charCodeAt(start))) start++;
  while (end > start && isSpace(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

const envelopeType: Node = { k: 's' };
const envelopeSeq: Node = { k: 'i', lo: -(2 ** 63), hx: 2 ** 63 };

/**
 * Parses one text frame from the server. Returns null for anything that is
 * not a valid message of a known type, as the Go protocol package would
 * refuse it (it is then ignored).
 */
export function parseServerMessage(text: string): ServerMessage | null {
  let raw: unknown;
  try {
    raw = JSON.parse(trimSpace(text));
  } catch {
    return null;
  }
  if (!isObj(raw)) return null;
  let type = '';
  let seq = 0;
  let data: unknown;
  try {
    for (const key of Object.keys(raw)) {
      const v = raw[key];
      switch (fold(key)) {
        case 'type':
          type = dec(envelopeType, v, type, 'type') as string;
          break;
        case 'seq':
          seq = dec(envelopeSeq, v, seq, 'seq') as number;
          break;
        case 'data':
          data = v;
          break;
      }
    }
  } catch {
    return null;
  }
  if (type === '' || (data !== undefined && data !== null && !isObj(data))) return null;
  const name = SERVER.get(type);
  if (name === undefined) return null;
  const d = decodeAs(name, data);
  return d.ok ? ({ type, seq, data: d.value } as ServerMessage) : null;
}
