// "/": intro when signed out; new meeting + meeting list when signed in.

import { consentCard, noticeReviewCard } from './notice';
import {
  ApiError,
  createMeeting,
  getMe,
  listMeetings,
  newPasswordOwed,
  orgAllowsRecording,
  orgAllowsTranscription,
  orgLocked,
  orgMaxParticipants,
  setupNeeded,
} from './api';
import type { Meeting, User } from './api';
import { announce, append, busyButton, clear, copyText, errorMessage, h, showError } from './dom';
import { errorBox, field, page, userNav } from './layout';
import { meetingOptionsForm, settingsSummary } from './meetingoptions';
import { manageMeeting, meetingCredentials } from './meetingadmin';
import { requestsBanner } from './requests';

export async function renderHome(root: HTMLElement): Promise<void> {
  let me: User | null;
  try {
    me = await getMe();
  } catch (e) {
    clear(root);
    const err = errorBox();
    root.appendChild(page('', [h('section', { class: 'card' }, [h('h1', { text: 'Conclave' }), err])]));
    showError(err, errorMessage(e));
    return;
  }
  if (me === null && newPasswordOwed()) {
    location.replace('/login'); // the sign-in owes a new password first
    return;
  }
  clear(root);
  if (me === null) {
    await renderIntro(root);
  } else {
    renderDashboard(root, me);
  }
}

async function renderIntro(root: HTMLElement): Promise<void> {
  let needed = false;
  try {
    needed = await setupNeeded();
  } catch {
    needed = false;
  }
  const actions = h('div', { class: 'actions' }, [
    h('a', { class: 'button primary', href: '/login', id: 'sign-in-link', text: 'Sign in' }),
  ]);
  if (needed) {
    actions.appendChild(h('a', { class: 'button', href: '/setup', id: 'setup-link', text: 'Set up this server' }));
  }
  root.appendChild(
    page('', [
      h('section', { class: 'card intro', 'aria-labelledby': 'intro-title' }, [
        h('h1', { id: 'intro-title', text: 'Private video meetings' }),
        h('p', {
          text: 'Conclave is a self-hosted video conferencing server. Audio, video and signalling stay on this server: no third-party services, no tracking.',
        }),
        h('p', { text: 'To join a meeting, open the invite link you were given. To host meetings, sign in.' }),
        needed
          ? h('p', { class: 'hint' }, [
              'This server has no account yet. Open the one-time setup link printed by ',
              h('code', { text: 'conclave serve' }),
              ' to create the first one.',
            ])
          : null,
        actions,
      ]),
    ]),
  );
}

function renderDashboard(root: HTMLElement, me: User): void {
  // New meeting.
  const err = errorBox();
  const title = h('input', { type: 'text', maxlength: 200, autocomplete: 'off', placeholder: 'Weekly sync' });
  const create = h('button', { type: 'submit', id: 'create-meeting', class: 'button primary', text: 'Create meeting' });
  const options = meetingOptionsForm({
    locked: orgLocked(),
    recording: orgAllowsRecording(),
    transcription: orgAllowsTranscription(),
    maxParticipants: orgMaxParticipants(),
  });
  const form = h('form', { id: 'new-meeting-form', class: 'stack' }, [
    field('meeting-title', 'Title', title),
    options.el,
    h('div', { class: 'actions' }, [create]),
  ]);
  const result = h('div', { id: 'new-meeting-result', class: 'result stack' });
  result.hidden = true;

  const list = h('ul', { id: 'meeting-list', class: 'meeting-list' });
  const listStatus = h('p', { class: 'hint', text: 'Loading…' });

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(err, null);
    const done = busyButton(create, 'Creating…');
    try {
      const m = await createMeeting(title.value.trim() || 'Meeting', options.values());
      title.value = '';
      options.reset();
      showResult(result, m);
      announce(`Meeting ${m.title} created. The invite link is ready to copy.`);
      void refreshList(list, listStatus);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        location.assign('/login');
        return;
      }
      showError(err, errorMessage(e));
    } finally {
      done();
    }
  });

  root.appendChild(
    page(
      'Meetings',
      [
        noticeReviewCard(me),
        requestsBanner(me),
        h('section', { class: 'card', 'aria-labelledby': 'new-meeting-title' }, [
          h('h1', { id: 'new-meeting-title', text: 'New meeting' }),
          err,
          form,
          result,
        ]),
        h('section', { class: 'card', 'aria-labelledby': 'meetings-title' }, [
          h('h2', { id: 'meetings-title', text: 'Your meetings' }),
          listStatus,
          list,
        ]),
        consentCard(),
      ],
      userNav(me),
    ),
  );
  void refreshList(list, listStatus);
}

function joinPath(m: Meeting): string {
  if (m.join_url) {
    try {
      const u = new URL(m.join_url, location.href);
      // Stay on this origin even if the server's public URL differs.
      return u.pathname + u.hash;
    } catch {
      // fall through
    }
  }
  return '/m/' + encodeURIComponent(m.id) + (m.passcode ? '#pwd=' + encodeURIComponent(m.passcode) : '');
}

function inviteUrl(m: Meeting): string {
  return m.join_url || new URL(joinPath(m), location.href).href;
}

function copyButton(id: string | null, text: string, input?: HTMLInputElement): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'button', id, text: 'Copy link' });
  b.addEventListener('click', async () => {
    const ok = await copyText(text, input);
    b.textContent = ok ? 'Copied' : 'Copy failed';
    announce(ok ? 'Invite link copied to the clipboard.' : 'Could not copy. Select the link and copy it yourself.');
    setTimeout(() => {
      b.textContent = 'Copy link';
    }, 2000);
  });
  return b;
}

function showResult(result: HTMLElement, m: Meeting): void {
  clear(result);
  const url = inviteUrl(m);
  const input = h('input', { type: 'text', readonly: true, value: url, id: 'join-url', class: 'mono' });
  append(result, [
    h('h2', { text: m.title || 'Meeting' }),
    h('label', { for: 'join-url', text: 'Invite link (contains the passcode — share it only with participants)' }),
    h('div', { class: 'copy-row' }, [input, copyButton('copy-join-url', url, input)]),
    // Apart as well, for sending the ID and the passcode by different channels.
    meetingCredentials(m, url, 'new-meeting-'),
    h('div', { class: 'actions' }, [h('a', { class: 'button primary', id: 'join-now', href: joinPath(m), text: 'Join now' })]),
  ]);
  result.hidden = false;
}

// refreshList redraws the host's meetings; openId's management panel is
// shown open, so that a new passcode appears where it was asked for.
async function refreshList(list: HTMLElement, status: HTMLElement, openId = ''): Promise<void> {
  try {
    const meetings = await listMeetings();
    clear(list);
    status.textContent = meetings.length === 0 ? 'No meetings yet.' : '';
    status.hidden = meetings.length !== 0;
    for (const m of meetings) {
      const created = m.created_at ? new Date(m.created_at) : null;
      const li = h('li', { class: 'meeting-item', 'data-meeting-id': m.id }, [
        h('div', { class: 'meeting-info' }, [
          h('span', { class: 'meeting-name', text: m.title || 'Meeting' }),
          created && !Number.isNaN(created.getTime())
            ? h('time', { class: 'hint', datetime: created.toISOString(), text: created.toLocaleString() })
            : null,
          h('span', { class: 'hint meeting-settings', text: settingsSummary(m) }),
        ]),
        h('div', { class: 'actions' }, [
          copyButton(null, inviteUrl(m)),
          h('a', { class: 'button primary', href: joinPath(m), text: 'Join', 'aria-label': `Join ${m.title || 'meeting'}` }),
        ]),
        manageMeeting(
          m,
          {
            inviteUrl,
            // Redrawn, not patched: the row's copy and join controls carry
            // the old passcode too.
            changed: (fresh) => void refreshList(list, status, fresh ? fresh.id : ''),
          },
          m.id === openId,
        ),
      ]);
      list.appendChild(li);
    }
  } catch (e) {
    status.hidden = false;
    status.textContent = 'Could not load meetings: ' + errorMessage(e);
  }
}
