// The "Options" part of the new-meeting form, and the one-line summary of
// a meeting's settings in the list. The server validates everything (and
// enforces the organisation's policy); this only collects and shows.

import type { Meeting, MeetingOptions } from './api';
import { h } from './dom';
import { ORG_LOCKED_NOTE } from './hostmenu';
import { field } from './layout';

export interface OptionsForm {
  el: HTMLElement;
  /** The options as the API takes them; throws on input it cannot send. */
  values(): MeetingOptions;
  reset(): void;
}

/** What the organisation decided for every meeting (GET /api/me). */
export interface OrgPolicy {
  /** The options the organisation locked, such as "screen_share". */
  locked: readonly string[];
  recording: boolean;
  transcription: boolean;
  /** The organisation's cap on a meeting's participants; 0 for none known. */
  maxParticipants: number;
}

/**
 * The form. What the organisation locked or forbids is shown disabled
 * with the note "Locked by your organisation", never hidden: a host
 * should see that the choice exists and who made it.
 */
export function meetingOptionsForm(org: OrgPolicy = { locked: [], recording: false, transcription: false, maxParticipants: 0 }): OptionsForm {
  const orgLocked = org.locked;
  const recordingAllowed = org.recording;
  const transcriptionAllowed = org.transcription;
  const waiting = h('input', { type: 'checkbox', role: 'switch', id: 'opt-waiting-room', checked: true });
  const early = h('input', { type: 'checkbox', role: 'switch', id: 'opt-join-before-host' });
  const signedIn = h('input', { type: 'checkbox', role: 'switch', id: 'opt-signed-in-only' });
  const chatHistory = h('input', { type: 'checkbox', role: 'switch', id: 'opt-chat-history' });
  const chatAfter = h('input', { type: 'checkbox', role: 'switch', id: 'opt-chat-after' });
  const recording = h('input', { type: 'checkbox', role: 'switch', id: 'opt-recording' });
  const transcription = h('input', { type: 'checkbox', role: 'switch', id: 'opt-transcription' });
  const e2ee = h('input', { type: 'checkbox', role: 'switch', id: 'opt-e2ee' });
  // A sensitive meeting (telehealth, counselling) turns E2EE on; the host
  // may still turn it off, which is then sent as an explicit false.
  const sensitive = h('input', { type: 'checkbox', role: 'switch', id: 'opt-sensitive' });
  // The organisation may require end-to-end encryption: on, and fixed.
  const e2eeLocked = orgLocked.includes('e2ee');
  const share = select('presenters', [
    ['presenters', 'Host and presenters'],
    ['everyone', 'Everyone'],
  ]);
  const repeat = select('none', [
    ['none', 'Does not repeat'],
    ['daily', 'Daily'],
    ['weekly', 'Weekly'],
  ]);
  // The server refuses "everyone" when the organisation locked sharing.
  const shareLocked = orgLocked.includes('screen_share');
  share.disabled = shareLocked;
  const cohosts = h('input', { type: 'text', autocomplete: 'off', placeholder: 'ana@example.org, bo@example.org' });
  const max = h('input', { type: 'number', min: 0, step: 1, inputmode: 'numeric', placeholder: 'Server default' });
  // The server refuses more than the organisation's cap: the field says
  // the cap before anyone types past it.
  const orgMax = org.maxParticipants > 0 ? org.maxParticipants : 0;
  if (orgMax > 0) {
    max.max = String(orgMax);
    max.placeholder = `Up to ${orgMax}`;
  }
  const ends = h('input', { type: 'date' });

  // Joining before the host only means something without a waiting room;
  // the hint under the switch says so while it is disabled.
  const earlyHint = h('p', { class: 'hint', id: 'opt-join-before-host-hint' });
  early.setAttribute('aria-describedby', earlyHint.id);
  const sync = (): void => {
    early.disabled = waiting.checked;
    earlyHint.textContent = waiting.checked
      ? 'Only without a waiting room: with one, nobody gets in until the host or a co-host admits them. Turn the waiting room off to choose this.'
      : 'Off: people wait until the host or a co-host arrives.';
  };
  waiting.addEventListener('change', sync);
  sync();

  // End-to-end encryption excludes recording and transcription: the
  // server cannot record or transcribe media it cannot read. Encrypting
  // turns both off and disables them; the hints say why.
  const e2eeHint = h('p', { class: 'hint', id: 'opt-e2ee-hint' });
  e2ee.setAttribute('aria-describedby', e2eeHint.id);
  const recordingHint = h('p', { class: 'hint', id: 'opt-recording-hint' });
  recording.setAttribute('aria-describedby', recordingHint.id);
  const transcriptionHint = h('p', { class: 'hint', id: 'opt-transcription-hint' });
  transcription.setAttribute('aria-describedby', transcriptionHint.id);
  const syncE2EE = (): void => {
    if (e2eeLocked) e2ee.checked = true;
    e2ee.disabled = e2eeLocked;
    if (e2ee.checked || !recordingAllowed) recording.checked = false;
    if (e2ee.checked || !transcriptionAllowed) transcription.checked = false;
    recording.disabled = e2ee.checked || !recordingAllowed;
    transcription.disabled = e2ee.checked || !transcriptionAllowed;
    e2eeHint.textContent =
      (e2eeLocked ? 'Locked by your organisation. ' : '') +
      'Audio, video and screen shares are encrypted in each browser; this server cannot see or hear them. Chat and files are not covered. ' +
      (recordingAllowed || transcriptionAllowed ? 'An encrypted meeting cannot be recorded or transcribed. ' : '') +
      'Everyone needs a recent browser (Chrome, Edge, Firefox or Safari).';
    recordingHint.textContent = !recordingAllowed
      ? `${ORG_LOCKED_NOTE}: meetings on this server cannot be recorded.`
      : e2ee.checked
        ? 'Not possible in an end-to-end encrypted meeting: the server cannot record what it cannot see.'
        : 'Everyone is asked before recording starts; whoever declines is not recorded.';
    transcriptionHint.textContent = !transcriptionAllowed
      ? `${ORG_LOCKED_NOTE}: meetings on this server cannot be transcribed.`
      : e2ee.checked
        ? 'Not possible in an end-to-end encrypted meeting: the server has no audio to transcribe.'
        : 'Speech is turned into text by a speech engine on this server. Everyone is asked first; whoever declines is not transcribed.';
  };
  e2ee.addEventListener('change', syncE2EE);
  sensitive.addEventListener('change', () => {
    if (sensitive.checked) e2ee.checked = true;
    syncE2EE();
  });
  syncE2EE();

  const el = h('details', { class: 'meeting-options', id: 'meeting-options' }, [
    h('summary', { text: 'Options' }),
    switchRow(waiting, 'Waiting room: admit people one by one'),
    h('div', { class: 'setting-option' }, [switchRow(early, 'Let people join before the host'), earlyHint]),
    switchRow(signedIn, 'Signed-in participants only: no guests'),
    h('div', { class: 'setting-option' }, [
      switchRow(chatHistory, 'Show the chat so far to people who join late'),
      hint('opt-chat-history-hint', chatHistory, 'Off: each person sees only the messages sent while they are there. Private messages are never shown to others.'),
    ]),
    h('div', { class: 'setting-option' }, [
      switchRow(chatAfter, 'Let participants with an account read the chat after the meeting'),
      hint('opt-chat-after-hint', chatAfter, 'They see the messages sent while they were there and their own private messages, until the chat is deleted with the retention period.'),
    ]),
    // Disabled, with the note, where the organisation does not allow
    // recording or transcription (config recording, transcription).
    h('div', { class: 'setting-option' }, [switchRow(recording, 'Let hosts and co-hosts record this meeting'), recordingHint]),
    h('div', { class: 'setting-option' }, [
      switchRow(transcription, 'Let hosts and co-hosts transcribe this meeting (live captions and a transcript)'),
      transcriptionHint,
    ]),
    h('div', { class: 'setting-option' }, [
      switchRow(sensitive, 'Sensitive meeting (telehealth, counselling, legal advice)'),
      hint('opt-sensitive-hint', sensitive, 'Turns end-to-end encryption on, and the meeting list and the invitation screen say the meeting is sensitive.'),
    ]),
    h('div', { class: 'setting-option' }, [switchRow(e2ee, 'End-to-end encrypt (for sensitive meetings such as telehealth)'), e2eeHint]),
    shareLocked
      ? field('opt-screen-share', 'Who can share their screen', share, 'Locked by your organisation: only the host, co-hosts and presenters can.')
      : field('opt-screen-share', 'Who can share their screen', share),
    field('opt-recurrence', 'Repeats', repeat, 'A repeating meeting needs an end date.'),
    field('opt-ends', 'End date', ends, 'Nobody can join after this day. Leave empty for the server default.'),
    orgMax > 0
      ? field('opt-max', 'Maximum participants', max, `Your organisation allows at most ${orgMax} per meeting; leave empty for ${orgMax}.`)
      : field('opt-max', 'Maximum participants', max),
    field('opt-cohosts', 'Co-hosts', cohosts, 'E-mail addresses of accounts on this server, separated by commas.'),
  ]);

  return {
    el,
    values: () => ({
      waiting_room: waiting.checked,
      join_before_host: !waiting.checked && early.checked,
      screen_share: share.value,
      recurrence: repeat.value,
      max_participants: wholeNumber(max.value, orgMax),
      cohosts: cohosts.value.split(/[\s,;]+/).filter((s) => s !== ''),
      ...endOfDay(ends.value),
      // Sent only when on: left out, the server's policy decides (a server
      // requiring sign-in refuses an explicit false).
      ...(signedIn.checked ? { signed_in_only: true } : {}),
      chat_history: chatHistory.checked,
      chat_after: chatAfter.checked,
      ...(recording.checked && !e2ee.checked ? { recording: true } : {}),
      ...(transcription.checked && !e2ee.checked ? { transcription: true } : {}),
      // Left out when off: a server requiring it refuses an explicit false.
      // A sensitive meeting is encrypted unless told otherwise: it says so.
      ...(e2ee.checked ? { e2ee: true } : sensitive.checked ? { e2ee: false } : {}),
      ...(sensitive.checked ? { sensitive: true } : {}),
    }),
    reset: () => {
      waiting.checked = true;
      early.checked = false;
      signedIn.checked = false;
      chatHistory.checked = chatAfter.checked = recording.checked = transcription.checked = e2ee.checked = sensitive.checked = false;
      share.value = 'presenters';
      repeat.value = 'none';
      cohosts.value = max.value = ends.value = '';
      sync();
      syncE2EE();
    },
  };
}

function select(initial: string, choices: [string, string][]): HTMLSelectElement {
  const s = h(
    'select',
    {},
    choices.map(([value, label]) => h('option', { value, text: label })),
  );
  s.value = initial;
  return s;
}

/** A hint under a switch, tied to it for screen readers. */
function hint(id: string, input: HTMLInputElement, text: string): HTMLElement {
  input.setAttribute('aria-describedby', id);
  return h('p', { class: 'hint', id, text });
}

function switchRow(input: HTMLInputElement, label: string): HTMLElement {
  return h('div', { class: 'switch-row' }, [input, h('label', { for: input.id, text: label })]);
}

function wholeNumber(v: string, cap: number): number {
  if (v.trim() === '') return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error('Maximum participants must be a whole number.');
  if (cap > 0 && n > cap) throw new Error(`Maximum participants: your organisation allows at most ${cap}.`);
  return n;
}

/** A date input's day, ended at local midnight, as ends_at (or nothing). */
function endOfDay(v: string): { ends_at?: string } {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) return {};
  const end = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + 1);
  return { ends_at: end.toISOString().replace(/\.\d{3}Z$/, 'Z') };
}

/** One line describing a meeting's settings, for the meeting list. */
export function settingsSummary(m: Meeting): string {
  const parts: string[] = [];
  if (m.waiting_room === false) {
    parts.push(m.join_before_host ? 'No waiting room, open before the host' : 'No waiting room');
  } else if (m.waiting_room === true) {
    parts.push('Waiting room');
  }
  if (m.signed_in_only) parts.push('signed-in participants only');
  if (m.chat_history) parts.push('chat shown to late joiners');
  if (m.chat_after) parts.push('chat readable afterwards');
  // The type of meeting, and whether the server could see and hear it
  // where that could be in doubt (a sensitive meeting turned it off).
  if (m.sensitive) parts.push('sensitive');
  if (m.e2ee) parts.push('end-to-end encrypted');
  else if (m.sensitive) parts.push('not end-to-end encrypted');
  if (m.recording) parts.push('may be recorded');
  if (m.transcription) parts.push('may be transcribed');
  if (m.screen_share === 'everyone') parts.push('everyone can share');
  if (m.recurrence === 'daily' || m.recurrence === 'weekly') parts.push('repeats ' + m.recurrence);
  if (m.max_participants) parts.push(`up to ${m.max_participants}`);
  const cohosts = m.cohosts ?? [];
  if (cohosts.length > 0) {
    parts.push(cohosts.length <= 2 ? 'co-hosts ' + cohosts.join(', ') : `${cohosts.length} co-hosts`);
  }
  if (m.ends_at) {
    const ends = new Date(m.ends_at);
    if (!Number.isNaN(ends.getTime())) {
      parts.push((ends.getTime() <= Date.now() ? 'ended ' : 'until ') + ends.toLocaleDateString());
    }
  }
  return parts.join(' · ');
}
