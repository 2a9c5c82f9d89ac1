// The privacy notice (docs/privacy.md): the block on the pre-join screen
// that shows it and asks for acceptance, the account's accepted versions
// on the home page, and the administrators' editor at /admin/privacy.

import { ApiError, getMe, getNotice, listNoticeVersions, myConsents, myNotice, previewNotice, publishNotice } from './api';
import type { MyNotice, Notice, User } from './api';
import { announce, busyButton, clear, errorMessage, h, showError } from './dom';
import { errorBox, page, userNav } from './layout';
import { versionFooter } from './version';

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

/**
 * The notice and its "I have read" checkbox on the pre-join screen. A
 * signed-in person who already accepted the version in force is not asked
 * again: the block says when they accepted it and keeps the text one click
 * away. Guests, who have nothing on record, always tick.
 */
export class NoticeBlock {
  readonly el: HTMLElement;
  /** The version shown, 0 while loading or when the server has none. */
  version = 0;
  private required = true;
  /** Set when the account's acceptance of this version is on record. */
  private acceptedBefore = false;
  private readonly box: HTMLElement;
  private readonly check: HTMLInputElement;
  /** Why the tick box is off, while it is. */
  private readonly why: HTMLElement;
  private readonly checkRow: HTMLElement;

  constructor(
    private readonly onChange: () => void,
    private readonly signedIn = false,
  ) {
    loadStyles();
    this.box = h('div', { class: 'notice-text', id: 'notice-text', tabindex: 0, 'aria-label': 'Privacy notice' }, [
      h('p', { class: 'hint', text: 'Loading the privacy notice…' }),
    ]);
    this.check = h('input', { type: 'checkbox', id: 'notice-accept', disabled: true, 'aria-describedby': 'notice-accept-why' });
    this.check.addEventListener('change', () => this.onChange());
    this.why = h('p', { class: 'hint', id: 'notice-accept-why', text: 'You can tick this once the notice has loaded.' });
    this.checkRow = h('div', { class: 'switch-row' }, [this.check, h('label', { for: 'notice-accept', text: 'I have read the privacy notice' })]);
    this.el = h('fieldset', { class: 'notice', id: 'prejoin-notice' }, [h('legend', { text: 'Privacy notice' }), this.box, this.checkRow, this.why]);
    void this.load();
  }

  /** Whether Join may go ahead: accepted now or before, or no notice on this server. */
  get accepted(): boolean {
    return !this.required || (this.version > 0 && (this.acceptedBefore || this.check.checked));
  }

  /** The account's acceptance of version, or null (a guest, not accepted, or unknown). */
  private async standing(version: number): Promise<MyNotice | null> {
    if (!this.signedIn) return null;
    try {
      const m = await myNotice();
      return m.accepted && m.version === version && m.accepted_at ? m : null;
    } catch {
      return null; // ask for the tick: the server records the acceptance then
    }
  }

  /** Shows "You accepted version N on DATE" with the text folded away, instead of the tick. */
  private showAccepted(m: MyNotice): void {
    this.acceptedBefore = true;
    this.el.dataset['accepted'] = 'true';
    const when = new Date(m.accepted_at ?? '');
    const date = Number.isNaN(when.getTime()) ? (m.accepted_at ?? '') : when.toLocaleDateString(undefined, { dateStyle: 'long' });
    const details = h('details', { class: 'notice-details', id: 'notice-details' }, [h('summary', { text: 'Read the privacy notice' })]);
    this.box.replaceWith(details);
    details.appendChild(this.box);
    details.before(h('p', { id: 'notice-accepted', text: `You accepted version ${m.version} on ${date}.` }));
    this.checkRow.hidden = true;
  }

  private async load(): Promise<void> {
    let n: Notice | null;
    try {
      n = await getNotice();
    } catch (e) {
      clear(this.box);
      this.box.appendChild(h('p', { class: 'error-box', role: 'alert', text: `Could not load the privacy notice: ${errorMessage(e)}` }));
      this.why.textContent = 'The notice must be read before joining: reload the page to try again.';
      return;
    }
    if (n === null) {
      this.required = false; // an older server: nothing to accept
      this.el.hidden = true;
    } else {
      this.version = n.version;
      this.el.dataset['version'] = String(n.version);
      showRendered(this.box, n.html ?? '');
      const m = await this.standing(n.version);
      if (m) this.showAccepted(m);
      this.check.disabled = false;
      this.why.hidden = true;
      this.check.removeAttribute('aria-describedby');
    }
    this.onChange();
  }
}

/**
 * For administrators, until one of them has published a notice: a card
 * leading to the editor. Participants meanwhile see a neutral notice
 * generated from the server's configuration; this is where the first
 * administrator, fresh from setup, is asked to review it.
 */
export function noticeReviewCard(me: User): HTMLElement {
  const el = h('section', { class: 'card notice-review', id: 'notice-review', 'aria-labelledby': 'notice-review-title' });
  el.hidden = true;
  if (me.role !== 'admin') return el;
  void getNotice().then(
    (n) => {
      if (!n?.default) return;
      el.append(
        h('h2', { id: 'notice-review-title', text: 'Review the privacy notice' }),
        h('p', {
          text: 'Everyone reads the privacy notice before joining a meeting. Until you publish your own, they see a neutral notice ' +
            'generated from this server\'s configuration. Check that it names your organisation and a contact, and adapt it.',
        }),
        h('div', { class: 'actions' }, [h('a', { class: 'button primary', href: '/admin/privacy', id: 'notice-review-link', text: 'Review the privacy notice' })]),
      );
      el.hidden = false;
    },
    () => undefined, // a convenience; the editor shows errors
  );
  return el;
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
  const versions = h('ul', { id: 'notice-versions', class: 'notice-versions' });
  const body: Node[] = [];
  if (me.role === 'admin') body.push(await editorCard(() => void refreshVersions(versions)));
  body.push(
    h('section', { class: 'card wide', 'aria-labelledby': 'notice-versions-title' }, [
      h('h2', { id: 'notice-versions-title', text: 'Versions' }),
      versions,
    ]),
  );
  root.appendChild(page('Privacy notice', body, userNav(me), versionFooter(me)));
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
      current.textContent = n.default
        ? `Version ${n.version}, in force since ${formatTime(n.created_at)}, is the neutral notice generated from this server's configuration. ` +
          'Review it, adapt it and publish your own.'
        : `Version ${n.version} is in force since ${formatTime(n.created_at)}.`;
      showRendered(preview, n.html ?? '');
    }
  } catch (e) {
    showError(err, errorMessage(e));
  }
  const run = async (btn: HTMLButtonElement, busyText: string, step: () => Promise<void>): Promise<void> => {
    showError(err, null);
    const done = busyButton(btn, busyText); // the label says why it is off
    try {
      await step();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) location.assign('/login');
      showError(err, errorMessage(e));
    } finally {
      done();
    }
  };
  previewButton.addEventListener('click', () => {
    void run(previewButton, 'Previewing…', async () => showRendered(preview, await previewNotice(text.value)));
  });
  publish.addEventListener('click', () => {
    void run(publish, 'Publishing…', async () => {
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
        const by = v.created_by ? ` by ${v.created_by}` : ' (generated from the configuration)';
        const details = h('details', {}, [h('summary', { text: `Version ${v.version}, ${formatTime(v.created_at)}${by}` }), h('pre', { text: v.markdown })]);
        return h('li', { 'data-version': String(v.version) }, [details]);
      }),
    );
  } catch (e) {
    list.replaceChildren(h('li', { class: 'error-box', text: errorMessage(e) }));
  }
}
