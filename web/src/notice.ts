// The privacy notice (docs/privacy.md): the block on the pre-join screen
// that shows it and asks for acceptance, the account's accepted versions
// on the home page, and the administrators' editor at /admin/privacy.

import { ApiError, getMe, getNotice, listNoticeVersions, myConsents, previewNotice, publishNotice } from './api';
import type { Notice, User } from './api';
import { announce, clear, errorMessage, h, showError } from './dom';
import { errorBox, page } from './layout';

/** notice.css holds these styles, so pages without a notice do not carry them. */
function loadStyles(): void {
  if (document.querySelector('link[data-notice-styles]')) return;
  document.head.appendChild(h('link', { rel: 'stylesheet', href: '/static/notice.css', 'data-notice-styles': true }));
}

/**
 * Puts the server's rendering of the notice into el. The server renders
 * Markdown with raw HTML removed and dangerous links dropped (goldmark's
 * safe default), which is why inserting it as markup is acceptable here
 * and nowhere else.
 */
function showRendered(el: HTMLElement, html: string): void {
  el.innerHTML = html;
}

function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** The notice and its "I have read" checkbox on the pre-join screen. */
export class NoticeBlock {
  readonly el: HTMLElement;
  /** The version shown, 0 while loading or when the server has none. */
  version = 0;
  private required = true;
  private readonly box: HTMLElement;
  private readonly check: HTMLInputElement;

  constructor(private readonly onChange: () => void) {
    loadStyles();
    this.box = h('div', { class: 'notice-text', id: 'notice-text', tabindex: 0, 'aria-label': 'Privacy notice' }, [
      h('p', { class: 'hint', text: 'Loading the privacy notice…' }),
    ]);
    this.check = h('input', { type: 'checkbox', id: 'notice-accept', disabled: true });
    this.check.addEventListener('change', () => this.onChange());
    this.el = h('fieldset', { class: 'notice', id: 'prejoin-notice' }, [
      h('legend', { text: 'Privacy notice' }),
      this.box,
      h('div', { class: 'switch-row' }, [this.check, h('label', { for: 'notice-accept', text: 'I have read the privacy notice' })]),
    ]);
    void this.load();
  }

  /** Whether Join may go ahead: accepted, or no notice on this server. */
  get accepted(): boolean {
    return !this.required || (this.version > 0 && this.check.checked);
  }

  private async load(): Promise<void> {
    let n: Notice | null;
    try {
      n = await getNotice();
    } catch (e) {
      clear(this.box);
      this.box.appendChild(h('p', { class: 'error-box', role: 'alert', text: `Could not load the privacy notice: ${errorMessage(e)}` }));
      return;
    }
    if (n === null) {
      this.required = false; // an older server: nothing to accept
      this.el.hidden = true;
    } else {
      this.version = n.version;
      this.el.dataset['version'] = String(n.version);
      showRendered(this.box, n.html ?? '');
      this.check.disabled = false;
    }
    this.onChange();
  }
}

/** The header link to the notice editor, for administrators. */
export function noticeLinks(me: User): Node[] {
  if (me.role !== 'admin') return [];
  return [h('a', { class: 'button subtle', href: '/admin/privacy', id: 'notice-link', text: 'Privacy notice' })];
}

/** A card listing the notice versions this account accepted. */
export function consentCard(): HTMLElement {
  const list = h('ul', { id: 'consent-list', class: 'consent-list' });
  const status = h('p', { class: 'hint', text: 'Loading…' });
  void myConsents()
    .then((cs) => {
      const notices = cs.filter((c) => c.kind === 'notice');
      status.textContent = notices.length === 0 ? 'You have not accepted a privacy notice yet: it is shown before you join a meeting.' : '';
      status.hidden = notices.length > 0;
      for (const c of notices.reverse()) {
        list.appendChild(h('li', { text: `Version ${c.version ?? 0}, accepted ${formatTime(c.given_at)}` }));
      }
    })
    .catch((e: unknown) => {
      status.textContent = errorMessage(e);
    });
  return h('section', { class: 'card', 'aria-labelledby': 'consents-title' }, [
    h('h2', { id: 'consents-title', text: 'Privacy notice you accepted' }),
    status,
    list,
  ]);
}

/** /admin/privacy: edit, preview and publish the notice; list versions. */
export async function renderNoticeAdmin(root: HTMLElement): Promise<void> {
  loadStyles();
  let me: User | null;
  try {
    me = await getMe();
  } catch (e) {
    root.replaceChildren(h('p', { class: 'error-box', role: 'alert', text: errorMessage(e) }));
    return;
  }
  if (me === null) {
    location.assign('/login');
    return;
  }
  clear(root);
  const who = h('span', { class: 'who', text: me.name || me.email });
  const versions = h('ul', { id: 'notice-versions', class: 'notice-versions' });
  const body: Node[] = [];
  if (me.role === 'admin') body.push(await editorCard(() => void refreshVersions(versions)));
  body.push(
    h('section', { class: 'card wide', 'aria-labelledby': 'notice-versions-title' }, [
      h('h2', { id: 'notice-versions-title', text: 'Versions' }),
      versions,
    ]),
  );
  root.appendChild(page('Privacy notice', body, [who]));
  await refreshVersions(versions);
}

async function editorCard(onPublished: () => void): Promise<HTMLElement> {
  const err = errorBox();
  const text = h('textarea', { id: 'notice-markdown', rows: 18, spellcheck: 'true' });
  const preview = h('div', { class: 'notice-text', id: 'notice-preview', 'aria-live': 'polite' });
  const previewButton = h('button', { type: 'button', id: 'notice-preview-button', class: 'button', text: 'Preview' });
  const publish = h('button', { type: 'button', id: 'notice-publish', class: 'button primary', text: 'Publish new version' });
  const current = h('p', { class: 'hint', id: 'notice-current' });
  try {
    const n = await getNotice();
    if (n) {
      text.value = n.markdown;
      current.textContent = `Version ${n.version} is in force since ${formatTime(n.created_at)}.`;
      showRendered(preview, n.html ?? '');
    }
  } catch (e) {
    showError(err, errorMessage(e));
  }
  const run = async (btn: HTMLButtonElement, step: () => Promise<void>): Promise<void> => {
    showError(err, null);
    btn.disabled = true;
    try {
      await step();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) location.assign('/login');
      showError(err, errorMessage(e));
    } finally {
      btn.disabled = false;
    }
  };
  previewButton.addEventListener('click', () => {
    void run(previewButton, async () => showRendered(preview, await previewNotice(text.value)));
  });
  publish.addEventListener('click', () => {
    void run(publish, async () => {
      const n = await publishNotice(text.value);
      showRendered(preview, n.html ?? '');
      current.textContent = `Version ${n.version} is in force since ${formatTime(n.created_at)}.`;
      announce(`Version ${n.version} of the privacy notice is published. Everyone accepts it at their next join.`);
      onPublished();
    });
  });
  return h('section', { class: 'card wide', 'aria-labelledby': 'notice-edit-title' }, [
    h('h1', { id: 'notice-edit-title', text: 'Privacy notice' }),
    h('p', {
      text: 'Everyone, guests included, reads and accepts this notice before joining a meeting. ' +
        'Publishing a new version asks everyone to accept it again. Write Markdown; HTML is not rendered.',
    }),
    current,
    err,
    h('div', { class: 'field' }, [h('label', { for: 'notice-markdown', text: 'Notice (Markdown)' }), text]),
    h('div', { class: 'actions' }, [previewButton, publish]),
    h('h2', { id: 'notice-preview-title', text: 'Preview' }),
    preview,
  ]);
}

async function refreshVersions(list: HTMLElement): Promise<void> {
  try {
    const vs = await listNoticeVersions();
    list.replaceChildren(
      ...vs.map((v) => {
        const by = v.created_by ? ` by ${v.created_by}` : ' (default text)';
        const details = h('details', {}, [h('summary', { text: `Version ${v.version}, ${formatTime(v.created_at)}${by}` }), h('pre', { text: v.markdown })]);
        return h('li', { 'data-version': String(v.version) }, [details]);
      }),
    );
  } catch (e) {
    list.replaceChildren(h('li', { class: 'error-box', text: errorMessage(e) }));
  }
}
