// The chat panel: messages to everyone, privately to one person, or to a
// group the sender picks under "To". The server stores each message
// before it relays it (docs/protocol.md, "Chat"); this list lives as long
// as the call, in memory. Who may write follows the meeting's settings
// (roles.ts chatRights); hosts and co-hosts may delete any message they
// see, for everyone, after an inline confirmation.
//
// Screen readers: the log itself is not a live region (history arriving
// at once, or a deletion, would be read out whole). While the panel is
// open, new messages from others are announced through the page's polite
// announcer, each one, or as a count when several come at once; while it
// is closed, the call's notices (notices.ts) do that instead.
//
// Files (files.ts): "Attach file" (or a file dropped on the panel) uploads
// to the recipients picked under To, with the same rights as a message;
// the server announces the file as a chat message with `file`, shown as a
// card with a Download button. Uploads run one after another; the status
// line says which is under way, and a refusal shows the server's reason.
//
// End-to-end encrypted meetings (docs/e2ee.md, "Chat"): the session seals
// each message before sending and opens each on arrival (e2eechat.ts);
// one this browser cannot open says why instead of its text, and there is
// no file sharing (#chat-files-off says why).

import { announce, h } from './dom';
import { SEAL_TEXT } from './e2eechat';
import type { ChatSeal } from './e2eechat';
import { humanSize, kindOf, saveBlob } from './files';
import type { FileClient, UploadResult } from './files';
import { icon } from './icons';
import { syncList } from './listsync';
import type { ListItem } from './listsync';
import { preview } from './notices';
import { chatSince, displayName } from './panelmodel';
import type { ChatEntry, ModActions, PanelModel } from './panelmodel';
import { OPEN_SETTINGS } from './protocol';
import type { ChatMessage, FileRef } from './protocol';
import { canModerate, chatRights } from './roles';
import type { ChatRights } from './roles';

const MAX_TEXT = 2000;
/** Why an end-to-end encrypted meeting has no file sharing (docs/e2ee.md, "Chat"). */
export const E2EE_FILES_OFF =
  'File sharing is off: this meeting is end-to-end encrypted, and shared files would be stored where the server can read them.';
/** The server's limit on a group message's recipients. */
const MAX_RECIPIENTS = 50;
/** More new messages than this at once are announced as a count. */
const ANNOUNCE_EACH = 3;
/** Recipients named in a message's heading before "and N others". */
const NAMES_SHOWN = 3;

function clock(time: string): string {
  const t = Date.parse(time);
  const d = Number.isNaN(t) ? new Date() : new Date(t);
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** What a message says in announcements and notices: its text, the file it shares, or why it cannot be read. */
export function chatPreview(msg: ChatMessage, seal: ChatSeal | null = null): string {
  if (seal !== null && seal !== 'open') return SEAL_TEXT[seal];
  const f = msg.file;
  if (!f) return msg.text;
  return `shared a file, ${f.name || msg.text} (${humanSize(f.size)})`;
}

/** A file waiting to be uploaded, and who is told how it went. */
interface Upload {
  blob: Blob;
  name: string;
  to: string[];
  done: (r: UploadResult) => void;
}

/** "Bo", "Bo and Cy", "Bo, Cy and Di"; past NAMES_SHOWN, "Bo, Cy, Di and 4 others". */
export function listNames(names: string[]): string {
  if (names.length > NAMES_SHOWN + 1) {
    const rest = names.length - NAMES_SHOWN;
    return `${names.slice(0, NAMES_SHOWN).join(', ')} and ${rest} others`;
  }
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] ?? ''}`;
}

export class ChatPanel {
  readonly el: HTMLElement;
  private readonly log: HTMLOListElement;
  private readonly empty: HTMLElement;
  private readonly toButton: HTMLButtonElement;
  private readonly toSummary: HTMLElement;
  private readonly toDesc: HTMLElement;
  private readonly toList: HTMLFieldSetElement;
  private readonly toEveryone: HTMLInputElement;
  private readonly toPeople: HTMLElement;
  private readonly privateNote: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly send: HTMLButtonElement;
  private readonly note: HTMLElement;
  private readonly attach: HTMLButtonElement;
  private readonly fileInput: HTMLInputElement;
  private readonly fileStatus: HTMLElement;
  private readonly fileStatusText: HTMLElement;
  private readonly fileProgress: HTMLProgressElement;
  private readonly fileCancel: HTMLButtonElement;
  private readonly fileError: HTMLElement;
  private readonly fileErrorDismiss: HTMLButtonElement;
  /** Says why there is no Attach file in an end-to-end encrypted meeting. */
  private readonly filesOff: HTMLElement;

  /** The recipients picked: null for everyone, else those people (it may empty as they leave). */
  private picked: Set<string> | null = null;
  /** Names of picked people who left, for the note, until the pick changes. */
  private leftPicked: string[] = [];
  /** Every name seen in this call, so that messages keep them after people leave. */
  private readonly names = new Map<string, string>();
  private namesVersion = 0;
  private others: { id: string; name: string }[] = [];
  private selfId = '';
  private rights: ChatRights = chatRights(null, OPEN_SETTINGS);
  private logSig = '';
  /** The arrival number up to which new messages were considered for announcing. */
  private announced = 0;
  private readonly seenDeleted = new Set<string>();
  private open = false;
  /** File sharing with our capability; null while it is off. */
  private files: FileClient | null = null;
  private readonly uploads: Upload[] = [];
  /** The upload under way (its name and how to cancel it), or null. */
  private uploading: { name: string; abort: AbortController } | null = null;
  private statusTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly act: ModActions) {
    this.log = h('ol', { class: 'chat-log', id: 'chat-log', 'aria-label': 'Chat messages', tabindex: '0' });
    this.empty = h('p', { class: 'hint', id: 'chat-empty', text: 'No messages yet.' });

    // "To": a disclosure button over a group of checkboxes (Everyone, then
    // each participant): one person makes a private message, several a
    // group. Keyboard: Enter or Space opens it, Tab moves through it,
    // Space ticks, Escape or Done closes it and returns to the button.
    this.toSummary = h('span', { id: 'chat-to-summary', text: 'Everyone' });
    this.toButton = h('button', {
      type: 'button',
      id: 'chat-to',
      class: 'button small chat-to',
      'aria-expanded': 'false',
      'aria-controls': 'chat-to-list',
      'aria-labelledby': 'chat-to-label chat-to-summary',
    }, [this.toSummary, h('span', { 'aria-hidden': 'true', text: ' ▾' })]);
    this.toButton.addEventListener('click', () => this.setListOpen(this.toButton.getAttribute('aria-expanded') !== 'true', true));
    this.toEveryone = h('input', { type: 'checkbox', id: 'chat-to-everyone', 'data-target': '', 'data-focus': 'to-everyone' });
    this.toEveryone.addEventListener('change', () => {
      if (this.toEveryone.checked) this.pick(null);
      else if (this.picked === null) this.toEveryone.checked = true; // someone must get it
    });
    this.toPeople = h('div', { class: 'chat-to-people', id: 'chat-to-people' });
    this.privateNote = h('p', { class: 'hint', id: 'chat-private-note' });
    this.privateNote.hidden = true;
    const done = h('button', { type: 'button', id: 'chat-to-done', class: 'button small', text: 'Done' });
    done.addEventListener('click', () => this.setListOpen(false, true));
    this.toList = h('fieldset', { class: 'chat-to-list', id: 'chat-to-list', 'aria-describedby': 'chat-to-hint' }, [
      h('legend', { text: 'Send to' }),
      h('div', { class: 'switch-row' }, [this.toEveryone, h('label', { for: 'chat-to-everyone', text: 'Everyone' })]),
      this.toPeople,
      h('p', { class: 'hint', id: 'chat-to-hint', text: 'Tick one person for a private message, or several for a group: only they and you see it.' }),
      this.privateNote,
      h('div', { class: 'panel-actions' }, [done]),
    ]);
    this.toList.hidden = true;
    this.toDesc = h('span', { class: 'sr-only', id: 'chat-to-desc', text: 'Your message goes to everyone in the meeting.' });

    const toField = h('div', { class: 'field chat-to-field' }, [
      h('label', { for: 'chat-to', id: 'chat-to-label', text: 'To' }),
      this.toButton,
      this.toList,
    ]);
    // Escape while the list is open (on it or on To) closes the list only.
    toField.addEventListener('keydown', (ev) => {
      if (ev.key !== 'Escape' || this.toList.hidden === true) return;
      ev.preventDefault(); // the panel stays open
      this.setListOpen(false, true);
    });

    this.input = h('input', {
      type: 'text',
      id: 'chat-input',
      maxlength: MAX_TEXT,
      autocomplete: 'off',
      'aria-describedby': 'chat-to-desc chat-note',
    });
    this.send = h('button', { type: 'submit', id: 'chat-send', class: 'button primary small', text: 'Send', 'aria-describedby': 'chat-note' });
    this.note = h('p', { class: 'hint', id: 'chat-note' });
    this.note.hidden = true;

    // Files: the button opens the browser's picker (a hidden file input);
    // the status line is a polite live region that stays in the page
    // (empty when idle), the error an alert.
    this.fileInput = h('input', { type: 'file', id: 'chat-file', multiple: true, tabindex: '-1', 'aria-hidden': 'true', class: 'chat-file-input' });
    this.fileInput.hidden = true;
    this.fileInput.addEventListener('change', () => {
      const picked = Array.from(this.fileInput.files ?? []);
      this.fileInput.value = ''; // the same file can be picked again
      this.shareFiles(picked);
    });
    this.attach = h('button', {
      type: 'button',
      id: 'chat-attach',
      class: 'button small chat-attach',
      'aria-describedby': 'chat-to-desc',
    }, [icon('attach'), h('span', { text: 'Attach file' })]);
    this.attach.hidden = true;
    this.attach.addEventListener('click', () => {
      const why = this.blocked();
      if (why !== null) {
        announce(why);
        return;
      }
      this.fileInput.click();
    });
    this.fileStatusText = h('span', { id: 'chat-file-status-text' });
    this.fileProgress = h('progress', { id: 'chat-file-progress', 'aria-label': 'Upload progress' });
    this.fileProgress.hidden = true;
    this.fileCancel = h('button', { type: 'button', id: 'chat-file-cancel', class: 'button subtle small', text: 'Cancel upload' });
    this.fileCancel.hidden = true;
    this.fileCancel.addEventListener('click', () => this.cancelUploads());
    this.fileStatus = h('div', { class: 'chat-file-status', id: 'chat-file-status', role: 'status' }, [
      this.fileStatusText,
      this.fileProgress,
      this.fileCancel,
    ]);
    this.fileError = h('p', { class: 'chat-file-error', id: 'chat-file-error', role: 'alert' });
    this.fileErrorDismiss = h('button', {
      type: 'button',
      id: 'chat-file-error-dismiss',
      class: 'button subtle small',
      'aria-label': 'Dismiss the upload error',
      text: 'Dismiss',
    });
    this.fileErrorDismiss.hidden = true;
    this.filesOff = h('p', { class: 'hint', id: 'chat-files-off', text: E2EE_FILES_OFF });
    this.filesOff.hidden = true;
    this.fileErrorDismiss.addEventListener('click', () => {
      this.showFileError(null);
      this.attach.focus();
    });

    const form = h('form', { class: 'chat-form', id: 'chat-form' }, [
      toField,
      h('div', { class: 'field' }, [h('label', { for: 'chat-input', text: 'Message' }), this.input, this.toDesc]),
      this.note,
      this.filesOff,
      this.fileStatus,
      h('div', { class: 'chat-file-problem' }, [this.fileError, this.fileErrorDismiss]),
      h('div', { class: 'panel-actions' }, [this.attach, this.fileInput, this.send]),
    ]);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const text = this.input.value.trim();
      if (text === '' || this.input.disabled) return;
      const why = this.blocked();
      if (why !== null) {
        announce(why);
        return;
      }
      const sent = this.act.chat(text, this.picked === null ? [] : Array.from(this.picked));
      this.input.value = '';
      // Encrypted meetings seal first: a message that could not be sealed
      // comes back to the input, with why.
      if (sent instanceof Promise) {
        void sent.then((why) => {
          if (why === null) return;
          if (this.input.value === '') this.input.value = text;
          this.showFileError(why);
        });
      }
    });
    this.el = h('div', { class: 'panel-body chat' }, [this.log, this.empty, form]);
    this.listenForDrops();
  }

  /** The panel was shown (true) or hidden. */
  setOpen(open: boolean): void {
    this.open = open;
    if (open) this.log.scrollTop = this.log.scrollHeight;
    else this.setListOpen(false, false);
  }

  sync(m: PanelModel): void {
    this.selfId = m.selfId;
    this.rights = chatRights(m.role, m.settings);
    this.files = m.files;
    this.filesOff.hidden = !m.settings.e2ee;
    for (const p of m.others) this.learnName(p.id, p.name);
    this.others = m.others.map((p) => ({ id: p.id, name: displayName(p.name) }));
    this.syncTargets();
    this.syncComposer();
    this.syncLog(m);
    this.announceNew(m);
  }

  private learnName(id: string, name: string): void {
    const n = displayName(name);
    if (this.names.get(id) === n) return;
    this.names.set(id, n);
    this.namesVersion += 1;
  }

  // ---- recipients ----

  private pick(picked: Set<string> | null): void {
    this.picked = picked;
    this.leftPicked = [];
    this.syncTargets();
    this.syncComposer();
  }

  private setListOpen(open: boolean, focus: boolean): void {
    if (open && this.toButton.disabled) return;
    this.toList.hidden = !open;
    this.toButton.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (!focus) return;
    if (open) {
      const first = this.toList.querySelector<HTMLInputElement>('input:checked:not([disabled])') ?? this.toEveryone;
      first.focus();
    } else {
      this.toButton.focus();
    }
  }

  private syncTargets(): void {
    // Those picked who left are dropped, and named in the note: the
    // message never silently widens to everyone.
    if (this.picked !== null) {
      for (const id of Array.from(this.picked)) {
        if (this.others.some((p) => p.id === id)) continue;
        this.picked.delete(id);
        this.leftPicked.push(this.names.get(id) ?? 'Someone');
      }
    }
    const privOk = this.rights.private;
    const items: ListItem[] = this.others.map((p) => ({
      key: p.id,
      sig: JSON.stringify([p.name, privOk]),
      build: () => {
        const id = `chat-to-${p.id}`;
        const box = h('input', {
          type: 'checkbox',
          id,
          'data-target': p.id,
          'data-focus': `to-${p.id}`,
          disabled: !privOk,
          'aria-describedby': privOk ? null : 'chat-private-note',
        });
        box.addEventListener('change', () => {
          const next = new Set(this.picked ?? []);
          if (box.checked) next.add(p.id);
          else next.delete(p.id);
          // Unticking the last person goes back to everyone, visibly.
          this.pick(next.size === 0 ? null : next);
        });
        return h('div', { class: 'switch-row' }, [box, h('label', { for: id, text: p.name })]);
      },
    }));
    syncList(this.toPeople, items);
    for (const box of Array.from(this.toPeople.querySelectorAll<HTMLInputElement>('input[data-target]'))) {
      box.checked = this.picked?.has(box.dataset['target'] ?? '') ?? false;
    }
    this.toEveryone.checked = this.picked === null;
    this.privateNote.textContent = this.rights.privateReason ?? '';
    this.privateNote.hidden = this.rights.privateReason === null;

    const names = this.picked === null ? [] : Array.from(this.picked, (id) => this.names.get(id) ?? 'Someone');
    let summary: string;
    let desc: string;
    if (this.picked === null) {
      summary = 'Everyone';
      desc = 'Your message goes to everyone in the meeting.';
    } else if (names.length === 0) {
      summary = 'Nobody chosen';
      desc = 'Choose who gets your message.';
    } else if (names.length === 1) {
      summary = `${names[0] ?? ''} (private)`;
      desc = `Your message goes privately to ${names[0] ?? ''}.`;
    } else {
      summary = `${listNames(names)} (group)`;
      desc = `Your message goes to ${listNames(names)} only.`;
    }
    this.toSummary.textContent = summary;
    this.toDesc.textContent = desc;
    this.toButton.dataset['to'] = this.picked === null ? 'everyone' : this.picked.size === 1 ? 'private' : 'group';
  }

  /** Why the message cannot go as addressed now; null when it can. */
  private blocked(): string | null {
    if (!this.rights.write) return this.rights.reason;
    if (this.picked === null) return null;
    if (!this.rights.private) return 'The host turned private messages off: choose Everyone under To.';
    if (this.picked.size === 0) {
      const who = this.leftPicked;
      if (who.length === 0) return 'Choose who gets your message under To.';
      return `${listNames(who)} left the meeting: choose who gets your message under To.`;
    }
    if (this.picked.size > MAX_RECIPIENTS) return `A group message can go to at most ${MAX_RECIPIENTS} people.`;
    return null;
  }

  private syncComposer(): void {
    const why = this.blocked();
    this.input.disabled = !this.rights.write;
    this.send.disabled = why !== null;
    this.toButton.disabled = !this.rights.write;
    if (this.rights.write) this.toButton.removeAttribute('aria-describedby');
    else this.toButton.setAttribute('aria-describedby', 'chat-note');
    if (!this.rights.write) this.setListOpen(false, false);
    this.note.textContent = why ?? '';
    this.note.hidden = why === null;
    // Attach follows Send's rules (sharing a file needs the same rights as
    // a message to the same people); without a capability it is hidden.
    this.attach.hidden = this.files === null;
    this.attach.disabled = why !== null;
    this.attach.setAttribute('aria-describedby', why === null ? 'chat-to-desc' : 'chat-note');
    this.attach.title = why ?? 'Share a file with the people under To';
  }

  // ---- files ----

  /** Dropping files on the panel shares them as Attach file would. */
  private listenForDrops(): void {
    const hasFiles = (ev: DragEvent): boolean => Array.from(ev.dataTransfer?.types ?? []).includes('Files');
    let depth = 0;
    const end = (): void => {
      depth = 0;
      this.el.classList.remove('drop-target');
    };
    this.el.addEventListener('dragenter', (ev) => {
      if (this.files === null || !hasFiles(ev)) return;
      ev.preventDefault();
      depth += 1;
      this.el.classList.add('drop-target');
    });
    this.el.addEventListener('dragover', (ev) => {
      if (this.files === null || !hasFiles(ev)) return;
      ev.preventDefault();
      if (ev.dataTransfer) ev.dataTransfer.dropEffect = this.blocked() === null ? 'copy' : 'none';
    });
    this.el.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) end();
    });
    this.el.addEventListener('drop', (ev) => {
      if (this.files === null || !hasFiles(ev)) return;
      ev.preventDefault();
      end();
      this.shareFiles(Array.from(ev.dataTransfer?.files ?? []));
    });
  }

  /** Files picked or dropped: each goes to the people under To, one after another. */
  private shareFiles(list: File[]): void {
    if (list.length === 0) return;
    const why = this.files === null ? 'File sharing is off in this meeting.' : this.blocked();
    if (why !== null) {
      this.showFileError(`Could not share ${list.length === 1 ? list[0]?.name ?? 'the file' : 'the files'}: ${why}`);
      return;
    }
    const to = this.picked === null ? [] : Array.from(this.picked);
    for (const f of list) this.queueUpload(f, f.name, to, () => undefined);
  }

  /**
   * Uploads body as name (the test hook's way in, past the picker): to
   * the given recipients, or with to null those picked under To (then
   * only if the composer allows it). Resolves with the server's answer.
   */
  shareFile(body: Blob, name: string, to: string[] | null): Promise<UploadResult> {
    return new Promise((resolve) => {
      const why = this.files === null ? 'File sharing is off in this meeting.' : to === null ? this.blocked() : null;
      if (why !== null) {
        this.showFileError(`Could not share ${name}: ${why}`);
        resolve({ ok: false, status: 0, code: 'blocked', message: why, retryAfter: 0 });
        return;
      }
      const recipients = to ?? (this.picked === null ? [] : Array.from(this.picked));
      this.queueUpload(body, name, recipients, resolve);
    });
  }

  private queueUpload(blob: Blob, name: string, to: string[], done: (r: UploadResult) => void): void {
    this.uploads.push({ blob, name, to, done });
    this.showFileError(null);
    void this.nextUpload();
  }

  private async nextUpload(): Promise<void> {
    if (this.uploading !== null) {
      this.showUploading();
      return;
    }
    const up = this.uploads.shift();
    if (up === undefined) return;
    const files = this.files;
    if (files === null) {
      up.done({ ok: false, status: 0, code: 'blocked', message: 'File sharing is off in this meeting.', retryAfter: 0 });
      void this.nextUpload();
      return;
    }
    const abort = new AbortController();
    this.uploading = { name: up.name, abort };
    this.showUploading();
    let r: UploadResult;
    try {
      r = await files.upload(up.blob, up.name, up.to, abort.signal);
    } catch (e) {
      console.warn('conclave: upload failed', e);
      r = { ok: false, status: 0, code: 'network', message: 'The upload failed.', retryAfter: 0 };
    }
    this.uploading = null;
    if (r.ok) {
      this.showFileStatus(`${r.file.name} shared.`, false);
    } else if (r.code === 'cancelled') {
      this.showFileStatus(`Upload of ${up.name} cancelled.`, false);
    } else {
      this.showFileStatus('', false);
      this.showFileError(`Could not share ${up.name}: ${r.message}`);
    }
    up.done(r);
    void this.nextUpload();
  }

  /** "Uploading report.pdf (2.1 MB)…", with a progress bar and Cancel. */
  private showUploading(): void {
    const cur = this.uploading;
    if (cur === null) return;
    const more = this.uploads.length;
    this.showFileStatus(`Uploading ${cur.name}…${more > 0 ? ` (${more} more waiting)` : ''}`, true);
  }

  private showFileStatus(text: string, busy: boolean): void {
    if (this.statusTimer !== undefined) clearTimeout(this.statusTimer);
    this.statusTimer = undefined;
    this.fileStatusText.textContent = text;
    this.fileProgress.hidden = !busy;
    this.fileCancel.hidden = !busy;
    this.fileStatus.dataset['state'] = busy ? 'uploading' : text === '' ? 'idle' : 'done';
    this.attach.setAttribute('aria-busy', busy ? 'true' : 'false');
    if (!busy && text !== '') {
      this.statusTimer = setTimeout(() => {
        // Not while the person is on it.
        if (!this.fileStatus.contains(document.activeElement)) this.showFileStatus('', false);
      }, 6000);
    }
  }

  private showFileError(text: string | null): void {
    this.fileError.textContent = text ?? '';
    this.fileErrorDismiss.hidden = text === null || text === '';
  }

  /** Cancel upload: the one under way and those waiting. */
  private cancelUploads(): void {
    const waiting = this.uploads.splice(0);
    for (const up of waiting) up.done({ ok: false, status: 0, code: 'cancelled', message: 'The upload was cancelled.', retryAfter: 0 });
    this.uploading?.abort.abort();
    this.attach.focus();
  }

  /** A file message's card: name, size and type, and Download. */
  private fileCard(msg: ChatMessage, file: FileRef): HTMLElement {
    const name = file.name || msg.text || 'file';
    const meta = [humanSize(file.size), kindOf(file.type)].filter((x) => x !== '').join(' · ');
    const note = h('p', { class: 'chat-file-note hint' });
    note.hidden = true;
    const download = h('button', {
      type: 'button',
      class: 'button small',
      'data-action': 'download',
      'data-focus': `download-${msg.id}`,
      'aria-label': `Download ${name}`,
      text: 'Download',
    });
    if (this.files === null) {
      download.disabled = true;
      download.title = 'File sharing is off in this meeting.';
    }
    download.addEventListener('click', () => void this.download(file.id, name, download, note));
    return h('div', { class: 'chat-file', 'data-file-id': file.id }, [
      icon('file', 'chat-file-icon'),
      h('div', { class: 'chat-file-info' }, [
        h('span', { class: 'chat-file-name', text: name }),
        h('span', { class: 'chat-file-meta', text: meta }),
        note,
      ]),
      download,
    ]);
  }

  /** Fetches the file with our capability and saves it under its name; the page never navigates to it. */
  private async download(id: string, name: string, button: HTMLButtonElement, note: HTMLElement): Promise<void> {
    const files = this.files;
    if (files === null || button.getAttribute('aria-disabled') === 'true') return;
    button.setAttribute('aria-disabled', 'true');
    button.setAttribute('aria-busy', 'true');
    button.textContent = 'Downloading…';
    note.hidden = true;
    try {
      const r = await files.download(id);
      if (r.ok) {
        saveBlob(r.blob, name);
        announce(`Downloaded ${name}.`);
      } else {
        note.textContent = `Could not download: ${r.message}`;
        note.hidden = false;
        announce(`Could not download ${name}: ${r.message}`);
      }
    } finally {
      button.removeAttribute('aria-disabled');
      button.removeAttribute('aria-busy');
      button.textContent = 'Download';
    }
  }

  // ---- the log ----

  private nameOf(id: string, fallback: string): string {
    return id === this.selfId ? 'You' : this.names.get(id) ?? fallback;
  }

  /** "privately to you", "to Bo and Cy", "" for everyone. */
  private audience(msg: ChatMessage): string {
    const to = msg.to ?? [];
    if (to.length === 0) return '';
    if (to.length === 1) return `privately to ${this.nameOf(to[0] ?? '', 'someone who left').replace(/^You$/, 'you')}`;
    const mine = to.includes(this.selfId);
    const rest = to.filter((id) => id !== this.selfId).map((id) => this.nameOf(id, 'someone who left'));
    return `to ${listNames(mine ? ['you', ...rest] : rest)}`;
  }

  private syncLog(m: PanelModel): void {
    const canDelete = canModerate(m.role);
    const sig = `${m.chat.version}|${m.selfId}|${canDelete}|${this.namesVersion}`;
    if (sig === this.logSig) return;
    this.logSig = sig;
    for (const e of m.chat.entries) {
      if (!this.names.has(e.msg.from)) this.learnName(e.msg.from, e.msg.from_name);
    }
    const log = this.log;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    const before = log.childElementCount;
    syncList(log, m.chat.entries.map((e) => this.item(e, canDelete)));
    this.empty.hidden = m.chat.entries.length > 0;
    const last = m.chat.entries[m.chat.entries.length - 1];
    const ownLast = last !== undefined && last.msg.from === m.selfId && last.n === m.chat.total;
    if (atBottom || ownLast || before === 0) log.scrollTop = log.scrollHeight;

    // Deletions are said while the panel is open (when closed, the row
    // shows it when opened).
    for (const e of m.chat.entries) {
      if (e.deletedBy === null || this.seenDeleted.has(e.msg.id)) continue;
      this.seenDeleted.add(e.msg.id);
      if (this.open) {
        const by = e.deletedBy === m.selfId ? 'you' : this.names.get(e.deletedBy) ?? 'a host';
        announce(`A message from ${this.nameOf(e.msg.from, displayName(e.msg.from_name))} was deleted by ${by}.`);
      }
    }
  }

  private item(e: ChatEntry, canDelete: boolean): ListItem {
    const msg = e.msg;
    const from = this.nameOf(msg.from, displayName(msg.from_name));
    const audience = this.audience(msg);
    const deleted = e.deletedBy === null ? null : e.deletedBy === this.selfId ? 'you' : this.names.get(e.deletedBy) ?? 'a host';
    const deletable = canDelete && deleted === null;
    return {
      key: msg.id,
      sig: JSON.stringify([from, audience, deleted, deletable, msg.file?.id ?? null, this.files !== null, e.seal]),
      build: () => this.row(e, from, audience, deleted, deletable),
    };
  }

  private row(e: ChatEntry, from: string, audience: string, deletedBy: string | null, deletable: boolean): HTMLElement {
    const msg = e.msg;
    const to = msg.to ?? [];
    const kind = to.length === 0 ? 'everyone' : to.length === 1 ? 'private' : 'group';
    const head = h('div', { class: 'chat-head' }, [
      h('span', { class: 'chat-from' }, [
        from,
        audience === '' ? null : h('span', { class: 'chat-to', text: `, ${audience}` }),
      ]),
      h('time', { datetime: msg.time, text: clock(msg.time) }),
    ]);
    const file = deletedBy === null ? msg.file ?? null : null;
    const body =
      deletedBy !== null
        ? h('p', { class: 'chat-text chat-deleted hint', text: `Message deleted by ${deletedBy}` })
        : file !== null
          ? this.fileCard(msg, file)
          : e.seal !== null && e.seal !== 'open'
            ? h('p', { class: 'chat-text chat-sealed hint', text: SEAL_TEXT[e.seal] })
            : h('p', { class: 'chat-text', text: msg.text });
    const li = h('li', {
      class: kind === 'everyone' ? 'chat-msg' : 'chat-msg private',
      'data-chat-id': msg.id,
      'data-from': msg.from,
      'data-to': to.join(' '),
      'data-kind': kind,
      'data-deleted': deletedBy === null ? 'false' : 'true',
      'data-history': e.n === 0 ? 'true' : null,
      'data-file': file !== null ? file.id : null,
      'data-e2ee': e.seal,
    }, [head, body]);
    if (deletable) li.appendChild(this.deleteAction(msg.id, from));
    return li;
  }

  /** Delete, then an inline "Delete this message for everyone?" with Delete and Cancel. */
  private deleteAction(id: string, from: string): HTMLElement {
    const del = h('button', {
      type: 'button',
      class: 'button subtle small',
      'data-action': 'delete',
      'data-focus': 'delete',
      'aria-label': from === 'You' ? 'Delete your message' : `Delete message from ${from}`,
      text: 'Delete',
    });
    const yes = h('button', { type: 'button', class: 'button danger small', 'data-action': 'delete-confirm', 'data-focus': 'delete-confirm', text: 'Delete for everyone' });
    const no = h('button', { type: 'button', class: 'button small', 'data-action': 'delete-cancel', 'data-focus': 'delete-cancel', text: 'Cancel' });
    const ask = h('div', { class: 'confirm', role: 'group', 'aria-label': 'Delete this message' }, [
      h('p', { text: 'Delete this message for everyone? Its text is erased; everyone sees that you deleted it.' }),
      h('div', { class: 'panel-actions' }, [yes, no]),
    ]);
    ask.hidden = true;
    const show = (asking: boolean): void => {
      ask.hidden = !asking;
      del.hidden = asking;
      (asking ? yes : del).focus();
    };
    del.addEventListener('click', () => show(true));
    no.addEventListener('click', () => show(false));
    yes.addEventListener('click', () => {
      show(false);
      this.act.deleteChat(id);
    });
    ask.addEventListener('keydown', (ev) => {
      if (ev.key !== 'Escape') return;
      ev.preventDefault();
      show(false);
    });
    return h('div', { class: 'chat-actions' }, [del, ask]);
  }

  /** New messages from others, said while the panel is open. */
  private announceNew(m: PanelModel): void {
    const fresh = chatSince(m.chat, this.announced).filter((e) => e.msg.from !== m.selfId && e.deletedBy === null);
    this.announced = m.chat.total;
    if (!this.open || fresh.length === 0) return;
    if (fresh.length > ANNOUNCE_EACH) {
      announce(`${fresh.length} new chat messages.`);
      return;
    }
    for (const e of fresh) {
      const from = this.nameOf(e.msg.from, displayName(e.msg.from_name));
      const audience = this.audience(e.msg);
      announce(`${from}${audience === '' ? '' : `, ${audience}`}: ${preview(chatPreview(e.msg, e.seal))}`);
    }
  }
}
