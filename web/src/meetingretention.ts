// A host's retention periods for one meeting's recordings, transcripts,
// chat and files, within the limits the administrator set (recordings and
// transcripts only where the organisation allows them). The server
// checks every period against the limits; this only collects and shows.

import { getMeetingRetention, orgAllowsRecording, orgAllowsTranscription, setMeetingRetention } from './api';
import type { MeetingRetention } from './api';
import { announce, append, busyButton, clear, errorMessage, h, showError } from './dom';

const LABELS: Record<string, string> = {
  recording: 'Recordings',
  transcript: 'Transcripts',
  chat: 'Chat',
  file: 'Shared files',
};

/** A folded panel that loads the meeting's periods when first opened. */
export function retentionPanel(meetingId: string): HTMLElement {
  const prefix = 'meeting-' + meetingId + '-retention-';
  const err = h('div', { class: 'error-box', role: 'alert' });
  err.hidden = true;
  const body = h('div', { class: 'stack' }, [h('p', { class: 'hint', text: 'Loading…' })]);
  const panel = h('details', { class: 'meeting-retention' }, [h('summary', { text: 'Retention' })]);
  append(panel, [err, body]);
  let loaded = false;
  panel.addEventListener('toggle', async () => {
    if (!panel.open || loaded) return;
    loaded = true;
    try {
      render(await getMeetingRetention(meetingId));
    } catch (e) {
      loaded = false;
      showError(err, errorMessage(e));
    }
  });

  function render(r: MeetingRetention): void {
    clear(body);
    const inputs: [string, HTMLInputElement][] = [];
    // Recordings and transcripts are offered only where the organisation
    // allows them (or the meeting already has a period of its own): a
    // field for data no meeting here can make would suggest it does.
    const offered = (cat: string): boolean =>
      r.overrides[cat] !== undefined ||
      (cat === 'recording' ? orgAllowsRecording() : cat === 'transcript' ? orgAllowsTranscription() : true);
    for (const cat of Object.keys(r.limits).sort().filter(offered)) {
      const id = prefix + cat;
      const input = h('input', {
        type: 'text',
        id,
        class: 'mono',
        value: r.overrides[cat] ?? '',
        placeholder: r.effective[cat] ?? '',
        autocomplete: 'off',
      });
      const hintId = id + '-hint';
      input.setAttribute('aria-describedby', hintId);
      inputs.push([cat, input]);
      const own = r.overrides[cat] ? `this meeting: ${r.overrides[cat]}` : `organisation's period: ${r.effective[cat] ?? '?'}`;
      body.appendChild(
        h('div', { class: 'field' }, [
          h('label', { for: id, text: LABELS[cat] ?? cat }),
          input,
          h('p', { class: 'hint', id: hintId, text: `Now ${own}; at most ${r.limits[cat]}. Empty follows the organisation.` }),
        ]),
      );
    }
    const save = h('button', { type: 'button', class: 'button', id: prefix + 'save', text: 'Save retention' });
    save.addEventListener('click', async () => {
      showError(err, null);
      const periods: Record<string, string> = {};
      for (const [cat, input] of inputs) {
        const v = input.value.trim();
        if (v !== '') periods[cat] = v;
      }
      const done = busyButton(save, 'Saving…');
      try {
        const fresh = await setMeetingRetention(meetingId, periods);
        done();
        render(fresh);
        announce('Retention saved.');
      } catch (e) {
        done();
        showError(err, errorMessage(e));
      }
    });
    append(body, [
      h('p', { class: 'hint', text: 'Periods such as 48h or 720h (30 days).' }),
      h('div', { class: 'actions' }, [save]),
    ]);
  }
  return panel;
}
