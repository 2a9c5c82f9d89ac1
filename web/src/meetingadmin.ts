// A host's management of one meeting: its ID and passcode shown apart from
// the invite link, so that they can be sent by different channels (the ID
// by calendar invite, the passcode by message), a new passcode when a link
// went too far, and deletion.

import { ApiError, deleteMeeting, regeneratePasscode } from './api';
import type { Meeting } from './api';
import { announce, append, busyButton, copyText, errorMessage, h, showError } from './dom';
import { meetingChatPanel } from './meetingchat';
import { retentionPanel } from './meetingretention';

/** One read-only value with its own copy button. */
function copyField(id: string, label: string, value: string, what: string): HTMLElement {
  const input = h('input', { type: 'text', readonly: true, value, id, class: 'mono' });
  const b = h('button', { type: 'button', class: 'button', id: id + '-copy', text: 'Copy', 'aria-label': `Copy ${what}` });
  b.addEventListener('click', async () => {
    const ok = await copyText(value, input);
    b.textContent = ok ? 'Copied' : 'Copy failed';
    announce(ok ? `${what} copied to the clipboard.` : `Could not copy. Select the ${what} and copy it yourself.`);
    setTimeout(() => {
      b.textContent = 'Copy';
    }, 2000);
  });
  return h('div', { class: 'field' }, [h('label', { for: id, text: label }), h('div', { class: 'copy-row' }, [input, b])]);
}

/**
 * The meeting ID, the passcode and the combined link, each with a copy
 * button. prefix keeps element IDs apart when several meetings show theirs.
 */
export function meetingCredentials(m: Meeting, url: string, prefix: string): HTMLElement {
  return h('div', { class: 'meeting-credentials stack' }, [
    copyField(prefix + 'id', 'Meeting ID', m.id, 'meeting ID'),
    copyField(prefix + 'passcode', 'Passcode', m.passcode ?? '', 'passcode'),
    copyField(prefix + 'link', 'Invite link (contains the passcode)', url, 'invite link'),
  ]);
}

export interface ManageHooks {
  /** The invite link of a meeting (the page builds it from join_url). */
  inviteUrl(m: Meeting): string;
  /** After a new passcode (with the meeting) or a deletion (null). */
  changed(m: Meeting | null): void;
}

/** A folded "Manage" panel for one meeting in the host's list. */
export function manageMeeting(m: Meeting, hooks: ManageHooks, open = false): HTMLElement {
  const prefix = 'meeting-' + m.id + '-';
  const err = h('div', { class: 'error-box', role: 'alert' });
  err.hidden = true;
  const creds = meetingCredentials(m, hooks.inviteUrl(m), prefix);
  const renew = h('button', { type: 'button', class: 'button', id: prefix + 'new-passcode', text: 'New passcode' });
  const remove = h('button', { type: 'button', class: 'button danger', id: prefix + 'delete', text: 'Delete meeting' });

  renew.addEventListener('click', async () => {
    if (!confirm('Make a new passcode? Links and passcodes you have sent stop working; people already in the meeting stay.')) return;
    showError(err, null);
    const done = busyButton(renew, 'Renewing…');
    try {
      const fresh = await regeneratePasscode(m.id);
      announce('New passcode made. Send the new invite link; the old one no longer works.');
      hooks.changed(fresh);
    } catch (e) {
      failed(err, e);
    } finally {
      done();
    }
  });
  remove.addEventListener('click', async () => {
    if (!confirm(`Delete “${m.title || 'Meeting'}”? Anyone in it is disconnected, and its settings and data are erased. This cannot be undone.`)) return;
    showError(err, null);
    const done = busyButton(remove, 'Deleting…');
    try {
      await deleteMeeting(m.id);
      announce('Meeting deleted.');
      hooks.changed(null);
    } catch (e) {
      failed(err, e);
    } finally {
      done();
    }
  });

  const panel = h('details', { class: 'meeting-manage' }, [h('summary', { text: 'Manage' })]);
  panel.open = open;
  append(panel, [err, creds, meetingChatPanel(m, prefix), retentionPanel(m.id), h('div', { class: 'actions' }, [renew, remove])]);
  return panel;
}

function failed(err: HTMLElement, e: unknown): void {
  if (e instanceof ApiError && e.status === 401) {
    location.assign('/login');
    return;
  }
  showError(err, errorMessage(e));
}
