// Typed wrappers for the HTTP API (docs/api.md). Same-origin fetches only.

export interface User {
  id: string;
  email: string;
  name: string;
  role: string;
}

/** A new meeting's settings (POST /api/meetings); omitted means default. */
export interface MeetingOptions {
  waiting_room?: boolean;
  join_before_host?: boolean;
  screen_share?: string; // presenters | everyone
  max_participants?: number; // 0: the server's limit
  recurrence?: string; // none | daily | weekly
  starts_at?: string; // RFC 3339
  ends_at?: string; // RFC 3339
  cohosts?: string[]; // e-mail addresses
  signed_in_only?: boolean; // guests refused
  chat_history?: boolean; // late joiners see earlier messages to everyone
  chat_after?: boolean; // accounts read their chat after the meeting
  recording?: boolean; // hosts may record, each participant consenting
  transcription?: boolean; // hosts may transcribe, each participant consenting
  e2ee?: boolean; // media end-to-end encrypted (no recording or transcription then)
  sensitive?: boolean; // telehealth and the like: e2ee unless it says false
}

export interface Meeting {
  id: string;
  title: string;
  passcode?: string;
  join_url?: string;
  created_at?: string;
  waiting_room?: boolean;
  join_before_host?: boolean;
  screen_share?: string;
  max_participants?: number;
  recurrence?: string;
  starts_at?: string | null;
  ends_at?: string;
  cohosts?: string[];
  signed_in_only?: boolean;
  chat_history?: boolean;
  chat_after?: boolean;
  recording?: boolean;
  transcription?: boolean;
  e2ee?: boolean;
  sensitive?: boolean;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Seconds from the Retry-After header (429), or null without one. */
  readonly retryAfter: number | null;

  constructor(status: number, code: string, message: string, retryAfter: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** Retry-After in seconds; the server sends only the delay form. */
function retryAfterSeconds(res: Response): number | null {
  const v = res.headers.get('Retry-After');
  if (v === null || !/^\d+$/.test(v.trim())) return null;
  return Number(v.trim());
}

export async function request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { Accept: 'application/json' },
  };
  if (body !== undefined) {
    init.headers = { Accept: 'application/json', 'Content-Type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'Could not reach the server. Check your connection and try again.');
  }
  if (res.status === 204) return undefined as T;
  let payload: unknown = null;
  try {
    payload = await res.json();
  } catch {
    payload = null;
  }
  if (!res.ok) {
    let code = 'http_' + String(res.status);
    let message = `Request failed (${res.status}).`;
    if (typeof payload === 'object' && payload !== null && 'error' in payload) {
      const err = (payload as { error: unknown }).error;
      if (typeof err === 'object' && err !== null) {
        const e = err as { code?: unknown; message?: unknown };
        if (typeof e.code === 'string') code = e.code;
        if (typeof e.message === 'string' && e.message !== '') message = e.message;
      }
    }
    throw new ApiError(res.status, code, message, retryAfterSeconds(res));
  }
  return payload as T;
}

let orgLockedOptions: readonly string[] = [];
let recordingAllowed = false;
let transcriptionAllowed = false;
let maxParticipants = 0;

/** The organisation's cap on a meeting's participants (0: not known), as the last getMe learned. */
export function orgMaxParticipants(): number {
  return maxParticipants;
}

/** Whether the organisation allows recording, as the last getMe learned. */
export function orgAllowsRecording(): boolean {
  return recordingAllowed;
}

/** Whether the organisation allows transcription, as the last getMe learned. */
export function orgAllowsTranscription(): boolean {
  return transcriptionAllowed;
}

/**
 * The meeting options the organisation locked (such as "screen_share"), as
 * the last getMe learned them: the meeting form disables them.
 */
export function orgLocked(): readonly string[] {
  return orgLockedOptions;
}

/**
 * Whether the last getMe found a sign-in that must choose a new password
 * first (the maximum password age): the sign-in page then asks for it.
 */
export function newPasswordOwed(): boolean {
  return passwordOwed;
}

let passwordOwed = false;

/** The signed-in user, or null when not signed in (401). */
export async function getMe(): Promise<User | null> {
  passwordOwed = false;
  try {
    const r = await request<{ user: User; org_locked?: string[]; recording?: boolean; transcription?: boolean; max_participants?: number }>('GET', '/api/me');
    orgLockedOptions = Array.isArray(r.org_locked) ? r.org_locked : [];
    maxParticipants = typeof r.max_participants === 'number' && r.max_participants > 0 ? r.max_participants : 0;
    recordingAllowed = r.recording === true;
    transcriptionAllowed = r.transcription === true;
    return r.user;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      passwordOwed = e.code === 'password_expired';
      return null;
    }
    throw e;
  }
}

/**
 * The organisation's camera and microphone defaults for the pre-join
 * screen. Unreadable, the devices start as they always did: on.
 */
export async function getMediaDefaults(): Promise<{ cameraOn: boolean; microphoneOn: boolean }> {
  try {
    const r = await request<{ camera_on?: unknown; microphone_on?: unknown }>('GET', '/api/media/defaults');
    return { cameraOn: r.camera_on !== false, microphoneOn: r.microphone_on !== false };
  } catch {
    return { cameraOn: true, microphoneOn: true };
  }
}

export async function setupNeeded(): Promise<boolean> {
  const r = await request<{ needed: boolean }>('GET', '/api/setup');
  return r.needed === true;
}

export async function setup(token: string, email: string, name: string, password: string): Promise<User> {
  const r = await request<{ user: User }>('POST', '/api/setup', { token, email, name, password });
  return r.user;
}

export async function login(email: string, password: string): Promise<User> {
  const r = await request<{ user: User }>('POST', '/api/login', { email, password });
  return r.user;
}

export async function logout(): Promise<void> {
  await request<undefined>('POST', '/api/logout');
}

export async function createMeeting(title: string, options: MeetingOptions = {}): Promise<Meeting> {
  return request<Meeting>('POST', '/api/meetings', { ...options, title });
}

// regeneratePasscode gives the meeting a new passcode; links carrying the
// old one stop working.
export async function regeneratePasscode(id: string): Promise<Meeting> {
  return request<Meeting>('POST', '/api/meetings/' + encodeURIComponent(id) + '/passcode');
}

/** A meeting's own retention periods, those in effect and the limits (Go durations such as "48h"). */
export interface MeetingRetention {
  meeting: string;
  overrides: Record<string, string>;
  effective: Record<string, string>;
  limits: Record<string, string>;
}

export async function getMeetingRetention(id: string): Promise<MeetingRetention> {
  return request<MeetingRetention>('GET', '/api/meetings/' + encodeURIComponent(id) + '/retention');
}

// setMeetingRetention replaces the meeting's own periods; a category left
// out follows the organisation again.
export async function setMeetingRetention(id: string, periods: Record<string, string>): Promise<MeetingRetention> {
  return request<MeetingRetention>('PUT', '/api/meetings/' + encodeURIComponent(id) + '/retention', periods);
}

// deleteMeeting deletes the meeting and its data, ending it if it is live.
export async function deleteMeeting(id: string): Promise<void> {
  await request<void>('DELETE', '/api/meetings/' + encodeURIComponent(id));
}

export async function listMeetings(): Promise<Meeting[]> {
  const r = await request<{ meetings: Meeting[] | null }>('GET', '/api/meetings');
  return Array.isArray(r.meetings) ? r.meetings : [];
}

// ---------- audit log (admins and privacy officers) ----------

export interface AuditRecord {
  seq: number;
  time: string;
  action: string;
  actor: string;
  target: string;
  meeting: string;
  client_addr: string;
  outcome: string;
  details: Record<string, string>;
}

export interface AuditProblem {
  kind: string;
  seq: number;
  message: string;
}

export interface AuditChain {
  checked: number;
  intact: boolean;
  problems: AuditProblem[];
  head: { seq: number; hash: string } | null;
}

export interface AuditPage {
  entries: AuditRecord[];
  chain: AuditChain;
  /** Every action the server knows, for the action filter. */
  actions: string[];
}

/** One page of the audit log; query holds GET /api/audit's parameters. */
export async function listAudit(query: URLSearchParams): Promise<AuditPage> {
  const qs = query.toString();
  const r = await request<AuditPage>('GET', '/api/audit' + (qs ? '?' + qs : ''));
  return {
    entries: Array.isArray(r.entries) ? r.entries : [],
    chain: r.chain,
    actions: Array.isArray(r.actions) ? r.actions : [],
  };
}

/** The download URL of the entries matching filters (no paging). */
export function auditExportPath(filters: URLSearchParams, format: 'csv' | 'json'): string {
  const q = new URLSearchParams(filters);
  q.set('format', format);
  return '/api/audit/export?' + q.toString();
}

// ---------- privacy notice and consent ledger ----------

/** A privacy notice version; html is the server's safe rendering. */
export interface Notice {
  version: number;
  markdown: string;
  html?: string;
  created_at: string;
  created_by?: string;
  /** True while no administrator has published a notice: the text is generated from the configuration. */
  default?: boolean;
}

/** Whether the signed-in account accepted the notice version in force. */
export interface MyNotice {
  version: number;
  accepted: boolean;
  accepted_at?: string;
}

export interface ConsentRecord {
  kind: string; // notice | recording | transcription
  version?: number;
  meeting_id?: string;
  given_at: string;
  withdrawn_at?: string;
}

/** The notice in force (public), or null when the server has none (404). */
export async function getNotice(): Promise<Notice | null> {
  try {
    return await request<Notice>('GET', '/api/privacy/notice');
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

export async function listNoticeVersions(): Promise<Notice[]> {
  const r = await request<{ versions: Notice[] | null }>('GET', '/api/privacy/notice/versions');
  return Array.isArray(r.versions) ? r.versions : [];
}

export async function previewNotice(markdown: string): Promise<string> {
  const r = await request<{ html: string }>('POST', '/api/privacy/notice/preview', { markdown });
  return r.html;
}

export async function publishNotice(markdown: string): Promise<Notice> {
  return request<Notice>('POST', '/api/privacy/notice', { markdown });
}

/** The account's standing with the notice in force (GET /api/me/notice). */
export async function myNotice(): Promise<MyNotice> {
  return request<MyNotice>('GET', '/api/me/notice');
}

export async function myConsents(): Promise<ConsentRecord[]> {
  const r = await request<{ consents: ConsentRecord[] | null }>('GET', '/api/me/consents');
  return Array.isArray(r.consents) ? r.consents : [];
}

/** An account as administrators see it (GET /api/users). */
export interface Account extends User {
  disabled: boolean;
  created_at: string;
  /** The account has a second factor; lacks_required_factor: its role requires one it has not. */
  second_factor?: boolean;
  lacks_required_factor?: boolean;
}

/** Changes the signed-in person's password; their other sessions end. */
export async function changePassword(current: string, next: string): Promise<void> {
  await request<void>('POST', '/api/me/password', { current, new: next });
}

export async function listUsers(): Promise<Account[]> {
  const r = await request<{ users: Account[] }>('GET', '/api/users');
  return r.users;
}

/** Disables or re-enables an account (administrators; its sessions end). */
export async function setUserEnabled(id: string, enabled: boolean): Promise<void> {
  await request<unknown>('POST', `/api/users/${encodeURIComponent(id)}/${enabled ? 'enable' : 'disable'}`);
}

/** Changes an account's role (administrators; its sessions end). */
export async function setUserRole(id: string, role: string): Promise<void> {
  await request<unknown>('POST', `/api/users/${encodeURIComponent(id)}/role`, { role });
}

/** A release the server's release feed lists (GET /api/admin/version). */
export interface FeedRelease {
  version: string;
  date?: string;
  url?: string;
  security: boolean;
}

/** What the server knows about itself and about updates (administrators). */
export interface ServerVersion {
  version: string;
  revision: string;
  modified: boolean;
  build_date: string | null;
  go_version: string;
  update: {
    status: 'not_configured' | 'pending' | 'up_to_date' | 'available' | 'unknown_version' | 'unreachable';
    feed?: string;
    checked_at?: string;
    latest?: FeedRelease;
    newer: boolean;
    security: boolean;
    unreachable_since?: string;
    error?: string;
  };
}

/** The server's version and update status; administrators only (403 otherwise). */
export function getServerVersion(): Promise<ServerVersion> {
  return request<ServerVersion>('GET', '/api/admin/version');
}
