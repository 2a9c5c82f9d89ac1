// "/recordings": the recordings a person may see: those of the meetings
// they host, those shared with them by name, and for privacy officers all.
// Each track plays in its own <video> (or <audio>) element, seekable: the
// server decrypts on the fly and answers range requests. Hosts and
// officers also share, delete and ask for a composite (ffmpeg). The server
// decides who may do what (internal/authz, internal/recordings) and records
// every play, download, share, deletion and export in the audit log.

import { ApiError, getMe } from './api';
import type { User } from './api';
import { busyButton, clear, errorMessage, h, showError } from './dom';
import { errorBox, field, page, userNav } from './layout';
import { TranscriptsSection } from './transcripts';

const API = '/api/recordings';

/** One sealed file of a recording, as GET /api/recordings lists it. */
export interface RecordingTrack {
  id: string;
  owner?: string;
  name?: string;
  source: string;
  kind: 'audio' | 'video' | 'composite';
  codec: string;
  offset_ms: number;
  duration_ms: number;
  bytes: number;
  complete: boolean;
  finished: boolean;
  people?: number;
}

export interface Recording {
  id: string;
  meeting: string;
  purpose: string;
  state: 'recording' | 'ended';
  started_at: string;
  ended_at?: string;
  end_reason?: string;
  expires_at?: string;
  manage: boolean;
  exporting: boolean;
  tracks: RecordingTrack[];
  shares?: { account: string; name?: string; email?: string; at: string }[];
}

interface RecordingList {
  recordings: Recording[];
  ffmpeg: boolean;
  ffmpeg_text: string;
}

async function call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    cache: 'no-store',
    headers,
    body: body === undefined ? null : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const payload: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const err = (payload as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, err?.code ?? 'http_' + String(res.status), err?.message ?? `Request failed (${res.status}).`);
  }
  return payload as T;
}

/** A track's label: whose, which source, and when it starts. */
export function trackLabel(t: RecordingTrack): string {
  if (t.kind === 'composite') return `Composite of ${t.people ?? 0} ${t.people === 1 ? 'person' : 'people'}`;
  const who = t.name || t.owner || 'Unknown participant';
  return `${who}: ${t.source}, from ${offsetText(t.offset_ms)}`;
}

/** An offset as m:ss.s from the recording's start. */
export function offsetText(ms: number): string {
  const s = ms / 1000;
  const m = Math.floor(s / 60);
  return `${m}:${(s - m * 60).toFixed(1).padStart(4, '0')}`;
}

function trackURL(r: Recording, t: RecordingTrack): string {
  return `${API}/${encodeURIComponent(r.id)}/tracks/${encodeURIComponent(t.id)}`;
}

class RecordingsView {
  readonly el: HTMLElement;
  private readonly err = errorBox();
  private readonly list = h('div', { id: 'recordings-list', class: 'stack' });
  private readonly status = h('p', { id: 'recordings-status', class: 'hint', role: 'status' });
  /** Called with the recordings after each load (the transcripts section follows them). */
  onLoad?: (recordings: Recording[]) => void;

  constructor() {
    this.el = h('section', { class: 'card wide', 'aria-labelledby': 'recordings-title' }, [
      h('h1', { id: 'recordings-title', text: 'Recordings' }),
      h('p', {
        class: 'hint',
        text:
          'Recordings of the meetings you host and those shared with you. Only participants who agreed were recorded. ' +
          'Every play, download and share is recorded in the audit log.',
      }),
      this.err,
      this.status,
      this.list,
    ]);
  }

  async load(): Promise<void> {
    showError(this.err, null);
    try {
      const data = await call<RecordingList>('GET', API);
      this.render(data);
      this.onLoad?.(data.recordings);
    } catch (e) {
      showError(this.err, errorMessage(e));
    }
  }

  private render(data: RecordingList): void {
    clear(this.list);
    this.status.textContent = data.recordings.length === 0 ? 'There are no recordings for you.' : `${data.recordings.length} recording(s).`;
    for (const r of data.recordings) this.list.appendChild(this.recording(r, data));
  }

  private recording(r: Recording, data: RecordingList): HTMLElement {
    const titleId = `rec-${r.id}-title`;
    const started = new Date(r.started_at).toLocaleString();
    const facts: (Node | string)[] = [h('time', { datetime: r.started_at, text: started })];
    if (r.state === 'recording') facts.push(' · still recording');
    if (r.ended_at) facts.push(` · ended ${new Date(r.ended_at).toLocaleString()}${r.end_reason ? ' (' + r.end_reason + ')' : ''}`);
    if (r.expires_at) facts.push(` · deleted on ${new Date(r.expires_at).toLocaleDateString()}`);
    const section = h('section', { class: 'card', 'aria-labelledby': titleId, 'data-id': r.id }, [
      h('h2', { id: titleId, text: r.purpose || 'Recording' }),
      h('p', { class: 'hint' }, [`Meeting ${r.meeting} · `, ...facts]),
      h('ul', { class: 'stack recording-tracks' }, r.tracks.map((t) => this.track(r, t))),
    ]);
    if (r.manage) section.appendChild(this.manage(r, data));
    return section;
  }

  private track(r: Recording, t: RecordingTrack): HTMLElement {
    const label = trackLabel(t);
    // preload=none: nothing is fetched (nor recorded) until someone plays.
    const player =
      t.kind === 'audio'
        ? h('audio', { controls: true, preload: 'none', src: trackURL(r, t), 'aria-label': label })
        : h('video', { controls: true, preload: 'none', src: trackURL(r, t), 'aria-label': label, width: 480 });
    const note = t.finished && !t.complete ? ' (cut short: plays up to where it stopped)' : '';
    return h('li', { 'data-track': t.id }, [
      h('p', { text: label + note }),
      player,
      h('p', {}, [h('a', { href: trackURL(r, t) + '/download', class: 'button', text: 'Download', 'aria-label': `Download ${label}` })]),
    ]);
  }

  /** Share, composite and delete, for the host and officers. */
  private manage(r: Recording, data: RecordingList): HTMLElement {
    const email = h('input', { type: 'email', autocomplete: 'off', required: true });
    const share = h('button', { type: 'submit', class: 'button', text: 'Share' });
    const form = h('form', { class: 'stack', 'aria-label': `Share recording ${r.purpose}` }, [
      field(`share-${r.id}`, 'Share with (e-mail address of an account)', email),
      h('div', { class: 'actions' }, [share]),
    ]);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.act(share, 'Sharing…', () => call('POST', `${API}/${r.id}/shares`, { emails: [email.value] }));
    });
    const shares = h(
      'ul',
      { class: 'recording-shares' },
      (r.shares ?? []).map((s) => {
        const remove = h('button', { type: 'button', class: 'button subtle', text: 'Withdraw', 'aria-label': `Withdraw share with ${s.email ?? s.account}` });
        remove.addEventListener('click', () => void this.act(remove, 'Withdrawing…', () => call('DELETE', `${API}/${r.id}/shares/${s.account}`)));
        return h('li', {}, [`Shared with ${s.name ?? ''} ${s.email ?? s.account} `, remove]);
      }),
    );
    const composite = h('button', { type: 'button', class: 'button', text: r.exporting ? 'Composite being made…' : 'Make a composite' });
    composite.disabled = !data.ffmpeg || r.exporting || r.state === 'recording';
    composite.addEventListener('click', () => void this.act(composite, 'Starting…', () => call('POST', `${API}/${r.id}/composite`)));
    const del = h('button', { type: 'button', class: 'button danger', text: 'Delete recording' });
    del.disabled = r.state === 'recording';
    del.addEventListener('click', () => {
      if (!confirm('Delete this recording and all its files for everyone? This cannot be undone.')) return;
      void this.act(del, 'Deleting…', () => call('DELETE', `${API}/${r.id}`));
    });
    return h('div', { class: 'stack' }, [
      form,
      shares,
      h('p', { class: 'hint', text: data.ffmpeg ? 'A composite puts every track in one video.' : data.ffmpeg_text }),
      h('div', { class: 'actions' }, [composite, del]),
    ]);
  }

  private async act(button: HTMLButtonElement, busy: string, fn: () => Promise<unknown>): Promise<void> {
    showError(this.err, null);
    const done = busyButton(button, busy);
    try {
      await fn();
      await this.load();
    } catch (e) {
      showError(this.err, e instanceof ApiError && e.status === 404 ? 'That recording is not available to you.' : errorMessage(e));
    } finally {
      done();
    }
  }
}

export async function renderRecordings(root: HTMLElement): Promise<void> {
  let me: User | null;
  try {
    me = await getMe();
  } catch (e) {
    clear(root);
    root.appendChild(page('Recordings', [h('p', { class: 'error-box', role: 'alert', text: errorMessage(e) })]));
    return;
  }
  if (me === null) {
    clear(root);
    root.appendChild(page('Recordings', [h('section', { class: 'card' }, [h('p', {}, ['Sign in to see recordings. ', h('a', { href: '/login', text: 'Sign in' }), '.'])])]));
    return;
  }
  const view = new RecordingsView();
  const transcripts = new TranscriptsSection();
  view.onLoad = (recs) => void transcripts.show(recs.map((r) => r.meeting));
  clear(root);
  root.appendChild(page('Recordings', [view.el, transcripts.el], userNav(me)));
  await view.load();
}
