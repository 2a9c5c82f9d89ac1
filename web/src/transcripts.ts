// The transcripts section of "/recordings": the stored transcripts of a
// meeting, for exactly those who may see its recordings (the server
// decides: GET /api/meetings/{id}/transcripts answers 404 to anyone else).
// Each transcript is searched on the server (?q=, the text is sealed at
// rest and opened there) and downloaded as text or WebVTT; every read and
// download is recorded in the audit log (docs/transcripts.md).

import { ApiError } from './api';
import { busyButton, clear, errorMessage, h, showError } from './dom';
import { errorBox, field } from './layout';

/** A stored transcript, as GET /api/meetings/{id}/transcripts lists it. */
export interface Transcript {
  id: string;
  meeting: string;
  first_at: string;
  last_at: string;
  segments: number;
  expires_at?: string;
}

/** One line of a transcript. */
export interface TranscriptLine {
  speaker: string;
  speaker_name: string;
  start_ms: number;
  end_ms: number;
  text: string;
}

interface TranscriptBody extends Transcript {
  query?: string;
  lines: TranscriptLine[];
}

/** The path of a meeting's transcripts, or of one of them. */
export function transcriptsPath(meeting: string, id?: string): string {
  const base = `/api/meetings/${encodeURIComponent(meeting)}/transcripts`;
  return id === undefined ? base : `${base}/${encodeURIComponent(id)}`;
}

/** An offset as h:mm:ss from the start of the transcription. */
export function lineClock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  return `${hh}:${String(mm).padStart(2, '0')}:${String(ss).padStart(2, '0')}`;
}

async function getJSON<T>(path: string): Promise<T> {
  const res = await fetch(path, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } });
  const payload: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const err = (payload as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, err?.code ?? 'http_' + String(res.status), err?.message ?? `Request failed (${res.status}).`);
  }
  return payload as T;
}

/** The transcripts section: the meetings of the listed recordings, and any meeting ID typed in. */
export class TranscriptsSection {
  readonly el: HTMLElement;
  private readonly err = errorBox();
  private readonly list = h('div', { id: 'transcripts-list', class: 'stack' });
  private readonly status = h('p', { id: 'transcripts-status', class: 'hint', role: 'status' });
  private readonly meetingInput = h('input', { type: 'text', autocomplete: 'off', required: true, placeholder: 'abcd-efgh-ijkl-mnop' });

  constructor() {
    const look = h('button', { type: 'submit', class: 'button', text: 'Show transcripts' });
    const form = h('form', { class: 'stack', 'aria-label': 'Transcripts of a meeting' }, [
      field('transcripts-meeting', 'Meeting ID', this.meetingInput),
      h('div', { class: 'actions' }, [look]),
    ]);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const done = busyButton(look, 'Looking…');
      void this.show([this.meetingInput.value.trim()]).finally(done);
    });
    this.el = h('section', { class: 'card wide', 'aria-labelledby': 'transcripts-title' }, [
      h('h2', { id: 'transcripts-title', text: 'Transcripts' }),
      h('p', {
        class: 'hint',
        text:
          'Automatic transcripts of the meetings whose recordings you may see: only participants who agreed were transcribed. ' +
          'Every read, search and download is recorded in the audit log.',
      }),
      form,
      this.err,
      this.status,
      this.list,
    ]);
  }

  /** Lists the transcripts of these meetings (those the server lets this account see). */
  async show(meetings: string[]): Promise<void> {
    showError(this.err, null);
    clear(this.list);
    let n = 0;
    for (const m of [...new Set(meetings)].filter((m) => m !== '')) {
      try {
        const data = await getJSON<{ transcripts: Transcript[] }>(transcriptsPath(m));
        for (const t of data.transcripts) this.list.appendChild(this.transcript(t));
        n += data.transcripts.length;
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) continue; // not this account's to see
        showError(this.err, errorMessage(e));
      }
    }
    this.status.textContent = n === 0 ? 'There are no transcripts for you here.' : `${n} transcript(s).`;
  }

  private transcript(t: Transcript): HTMLElement {
    const titleId = `tr-${t.id}-title`;
    const path = transcriptsPath(t.meeting, t.id);
    const facts = `Meeting ${t.meeting} · ${new Date(t.first_at).toLocaleString()} · ${t.segments} line(s)` +
      (t.expires_at ? ` · deleted by ${new Date(t.expires_at).toLocaleDateString()}` : '');
    const q = h('input', { type: 'search', autocomplete: 'off' });
    const search = h('button', { type: 'submit', class: 'button', text: 'Search' });
    const lines = h('ol', { class: 'stack transcript-lines', 'aria-live': 'polite' });
    const form = h('form', { class: 'stack', role: 'search', 'aria-label': `Search transcript ${t.id}` }, [
      field(`tr-${t.id}-q`, 'Search the transcript (empty: show all)', q),
      h('div', { class: 'actions' }, [search]),
    ]);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const done = busyButton(search, 'Searching…');
      const query = q.value.trim();
      void getJSON<TranscriptBody>(path + (query ? `?q=${encodeURIComponent(query)}` : ''))
        .then((body) => {
          clear(lines);
          if (body.lines.length === 0) lines.appendChild(h('li', { class: 'hint', text: 'No line matches.' }));
          for (const l of body.lines) {
            lines.appendChild(h('li', {}, [h('span', { class: 'hint', text: `[${lineClock(l.start_ms)}] ` }), h('strong', { text: (l.speaker_name || l.speaker) + ': ' }), l.text]));
          }
        })
        .catch((e: unknown) => showError(this.err, errorMessage(e)))
        .finally(done);
    });
    return h('section', { class: 'card', 'aria-labelledby': titleId, 'data-transcript': t.id }, [
      h('h3', { id: titleId, text: `Transcript ${t.id}` }),
      h('p', { class: 'hint', text: facts }),
      h('p', { class: 'actions' }, [
        h('a', { href: path + '/download?format=txt', class: 'button', text: 'Download text', 'aria-label': `Download transcript ${t.id} as text` }),
        h('a', { href: path + '/download?format=vtt', class: 'button', text: 'Download WebVTT', 'aria-label': `Download transcript ${t.id} as WebVTT` }),
      ]),
      form,
      lines,
    ]);
  }
}
