// The reminder before sharing the screen: close private windows and
// notifications, and prefer sharing one window to the whole screen. Shown
// as a modal <dialog> (the browser traps focus in it and closes it on
// Escape), until the person ticks "Don't remind me again in this browser".

import { h } from './dom';
import { loadBool, saveBool } from './storage';

const OFF_KEY = 'shareReminderOff';

/**
 * Resolves true when the person wants to go on sharing (at once when they
 * turned the reminder off), false when they cancelled. Going on is a
 * click, so the browser's screen picker that follows still has the user
 * activation it needs.
 */
export function confirmScreenShare(returnFocus: HTMLElement | null): Promise<boolean> {
  if (loadBool(OFF_KEY, false) || typeof HTMLDialogElement !== 'function') return Promise.resolve(true);
  return new Promise((resolve) => {
    const never = h('input', { type: 'checkbox', id: 'share-reminder-off' });
    const go = h('button', { type: 'button', id: 'share-reminder-continue', class: 'button primary', text: 'Choose what to share' });
    const cancel = h('button', { type: 'button', id: 'share-reminder-cancel', class: 'button', text: 'Cancel' });
    const dialog = h('dialog', { id: 'share-reminder', class: 'share-reminder card', 'aria-labelledby': 'share-reminder-title', 'aria-describedby': 'share-reminder-text' }, [
      h('h2', { id: 'share-reminder-title', text: 'Before you share your screen' }),
      h('ul', { id: 'share-reminder-text' }, [
        h('li', { text: 'Close private windows and tabs, and turn off notifications: everyone sees what appears.' }),
        h('li', { text: 'Prefer sharing one window or tab rather than your whole screen.' }),
      ]),
      h('div', { class: 'switch-row' }, [never, h('label', { for: never.id, text: 'Don’t remind me again in this browser' })]),
      h('div', { class: 'actions' }, [go, cancel]),
    ]);
    let answered = false;
    const finish = (ok: boolean): void => {
      if (answered) return;
      answered = true;
      if (ok && never.checked) saveBool(OFF_KEY, true);
      dialog.close();
      dialog.remove();
      returnFocus?.focus();
      resolve(ok);
    };
    go.addEventListener('click', () => finish(true));
    cancel.addEventListener('click', () => finish(false));
    // Escape (the dialog's cancel) and any other close count as Cancel.
    dialog.addEventListener('close', () => finish(false));
    document.body.appendChild(dialog);
    dialog.showModal();
    go.focus();
  });
}
