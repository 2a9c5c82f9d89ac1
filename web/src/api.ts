// Typed wrappers for the HTTP API (docs/api.md). Same-origin fetches only.

export interface User {
  id: string;
  email: string;
  name: string;
  role: string;
}

export interface Meeting {
  id: string;
  title: string;
  passcode?: string;
  join_url?: string;
  created_at?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
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
    throw new ApiError(res.status, code, message);
  }
  return payload as T;
}

/** The signed-in user, or null when not signed in (401). */
export async function getMe(): Promise<User | null> {
  try {
    const r = await request<{ user: User }>('GET', '/api/me');
    return r.user;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
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

export async function createMeeting(title: string): Promise<Meeting> {
  return request<Meeting>('POST', '/api/meetings', { title });
}

export async function listMeetings(): Promise<Meeting[]> {
  const r = await request<{ meetings: Meeting[] | null }>('GET', '/api/meetings');
  return Array.isArray(r.meetings) ? r.meetings : [];
}
