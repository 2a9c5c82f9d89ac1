// Files shared in the chat (docs/api.md, "Files"). A file is uploaded raw
// to the meeting's file route and announced by the server as a chat
// message with `file` set; recipients download it from the same route.
// Both authenticate with the participant's capability from welcome
// (file_token): a bearer token sent in the Authorization header, never in
// a URL, and kept in memory only, like the resume token (stored, it could
// be read by anyone with the browser profile). It stays valid across a
// resume and dies when the participant leaves.
//
// A download is fetched and saved through a Blob object URL under the
// file's name: the page never navigates to the file's URL (it would carry
// no token, and the server sends files as attachments only anyway).

import type { FileRef } from './protocol';

/** What the server answered an upload: the file as shared, or why not. */
export type UploadResult =
  | { ok: true; file: FileRef }
  | { ok: false; status: number; code: string; message: string; retryAfter: number };

/** A download's bytes, or why there are none. */
export type DownloadResult = { ok: true; blob: Blob } | { ok: false; status: number; code: string; message: string };

/** How long a saved file's object URL lives: long enough for the browser to start saving it. */
const REVOKE_AFTER_MS = 10_000;

/** The file routes of one meeting, with this participant's capability. */
export class FileClient {
  readonly #token: string;

  constructor(
    private readonly meetingId: string,
    token: string,
  ) {
    this.#token = token;
  }

  private url(file?: string): string {
    const base = `/api/meetings/${encodeURIComponent(this.meetingId)}/files`;
    return file === undefined ? base : `${base}/${encodeURIComponent(file)}`;
  }

  private headers(): Record<string, string> {
    return { Authorization: `Bearer ${this.#token}` };
  }

  /**
   * Uploads body as name to the recipients to ([] for everyone). The
   * server tells the meeting (the chat message follows on the socket).
   */
  async upload(body: Blob, name: string, to: string[], signal?: AbortSignal): Promise<UploadResult> {
    const q = new URLSearchParams({ name });
    if (to.length > 0) q.set('to', to.join(','));
    let res: Response;
    try {
      const init: RequestInit = {
        method: 'POST',
        headers: { ...this.headers(), 'Content-Type': 'application/octet-stream' },
        body,
        credentials: 'omit', // the capability is the only credential
        cache: 'no-store',
      };
      if (signal !== undefined) init.signal = signal;
      res = await fetch(`${this.url()}?${q.toString()}`, init);
    } catch (e) {
      if (signal?.aborted === true) return { ok: false, status: 0, code: 'cancelled', message: 'The upload was cancelled.', retryAfter: 0 };
      console.warn('conclave: upload failed', e);
      // A refusal while the body was still being sent (over the size
      // limit, the server closes the connection) may reach us like this.
      return {
        ok: false,
        status: 0,
        code: 'network',
        message: 'The connection broke off during the upload (the file may be larger than the server accepts).',
        retryAfter: 0,
      };
    }
    const body2 = await readJSON(res);
    if (res.status === 201) {
      const f = body2 as Partial<FileRef> | null;
      if (f && typeof f.id === 'string') {
        return { ok: true, file: { id: f.id, name: String(f.name ?? name), size: Number(f.size ?? body.size), type: String(f.type ?? '') } };
      }
    }
    const err = apiError(body2);
    const retryAfter = Math.max(0, Number.parseInt(res.headers.get('Retry-After') ?? '', 10) || 0);
    return { ok: false, status: res.status, code: err.code, message: uploadMessage(res.status, err.message, retryAfter), retryAfter };
  }

  /** Fetches a shared file's bytes. */
  async download(id: string): Promise<DownloadResult> {
    let res: Response;
    try {
      res = await fetch(this.url(id), { headers: this.headers(), credentials: 'omit', cache: 'no-store' });
    } catch (e) {
      console.warn('conclave: download failed', e);
      return { ok: false, status: 0, code: 'network', message: 'The connection broke off.' };
    }
    if (res.ok) {
      try {
        return { ok: true, blob: await res.blob() };
      } catch (e) {
        // The server cuts the connection when a stored chunk fails to
        // authenticate: a damaged file never arrives looking complete.
        console.warn('conclave: download cut off', e);
        return { ok: false, status: res.status, code: 'incomplete', message: 'The download broke off before the end of the file.' };
      }
    }
    const err = apiError(await readJSON(res));
    return { ok: false, status: res.status, code: err.code, message: downloadMessage(res.status, err.message) };
  }
}

async function readJSON(res: Response): Promise<unknown> {
  try {
    return (await res.json()) as unknown;
  } catch {
    return null;
  }
}

/** The API's error shape {"error":{"code","message"}}, or empties. */
function apiError(body: unknown): { code: string; message: string } {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return { code: typeof e?.code === 'string' ? e.code : '', message: typeof e?.message === 'string' ? e.message : '' };
}

/** "file too large: the limit is 25 MiB" → "File too large: the limit is 25 MiB." */
function sentence(s: string): string {
  const t = s.trim();
  if (t === '') return '';
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?…]$/.test(first) ? first : `${first}.`;
}

function uploadMessage(status: number, server: string, retryAfter: number): string {
  const msg = sentence(server);
  switch (status) {
    case 401:
      return 'You are no longer in the meeting.';
    case 429: {
      const wait = retryAfter > 0 ? ` Try again in ${retryAfter === 1 ? '1 second' : `${retryAfter} seconds`}.` : '';
      return `${msg || 'Too many files at once.'}${wait}`;
    }
  }
  if (msg !== '') return msg;
  switch (status) {
    case 403:
      return 'You may not share files in this meeting now.';
    case 413:
      return 'The file is too large.';
    case 415:
      return 'This file type is not allowed.';
    case 503:
      return 'The server cannot take files just now. Try again later.';
    default:
      return `The server refused the file (${status}).`;
  }
}

function downloadMessage(status: number, server: string): string {
  switch (status) {
    case 401:
      return 'You are no longer in the meeting.';
    case 404:
      return 'The file is no longer available.';
    case 429:
      return 'Too many downloads: wait a moment.';
  }
  return sentence(server) || `The server answered ${status}.`;
}

/** Saves blob as a download named name, through an object URL that is revoked afterwards. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  a.rel = 'noopener';
  document.body.appendChild(a);
  try {
    a.click();
  } finally {
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
  }
}

/** "1 byte", "812 bytes", "3.4 KB", "12 MB", "1.2 GB" (1 KB = 1024 bytes). */
export function humanSize(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < 1024) return n === 1 ? '1 byte' : `${Math.round(n)} bytes`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  const shown = v < 10 ? (Math.round(v * 10) / 10).toString() : Math.round(v).toString();
  return `${shown} ${units[i] ?? 'TB'}`;
}

/** A readable kind for a content type ("PDF document", "PNG image", …); the type itself otherwise. */
export function kindOf(type: string): string {
  const t = type.split(';')[0]?.trim().toLowerCase() ?? '';
  const known: Record<string, string> = {
    'application/pdf': 'PDF document',
    'image/png': 'PNG image',
    'image/jpeg': 'JPEG image',
    'image/gif': 'GIF image',
    'image/webp': 'WebP image',
    'text/plain': 'Text',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word document',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'Excel spreadsheet',
    'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'PowerPoint presentation',
    'application/vnd.oasis.opendocument.text': 'OpenDocument text',
    'application/vnd.oasis.opendocument.spreadsheet': 'OpenDocument spreadsheet',
    'application/vnd.oasis.opendocument.presentation': 'OpenDocument presentation',
  };
  return known[t] ?? (t || 'File');
}
