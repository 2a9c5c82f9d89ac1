// Tiny DOM helpers. Text is always set through textContent (never innerHTML)
// and no inline style attribute is ever written (the CSP forbids it).

export type Child = Node | string | null | undefined | false;
export type Props = Record<string, string | number | boolean | null | undefined>;

/**
 * Creates an element. Props become attributes (`class` and `text` are
 * shortcuts; `true` sets an empty attribute; false/null/undefined are
 * skipped).
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  children: Child[] = [],
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === false || value === null || value === undefined) continue;
    if (key === 'style') throw new Error('inline styles are not allowed (CSP)');
    if (key === 'class') el.className = String(value);
    else if (key === 'text') el.textContent = String(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T | null {
  return document.getElementById(id) as T | null;
}

/** The page root (#app in index.html). */
export function appRoot(): HTMLElement {
  let root = byId('app');
  if (!root) {
    root = h('div', { id: 'app' });
    document.body.appendChild(root);
  }
  return root;
}

let announceTimer: ReturnType<typeof setTimeout> | undefined;

/** Speaks a message through the polite aria-live region (#announcer). */
export function announce(message: string): void {
  let region = byId('announcer');
  if (!region) {
    region = h('div', { id: 'announcer', class: 'sr-only', 'aria-live': 'polite', 'aria-atomic': 'false', 'aria-relevant': 'additions' });
    document.body.appendChild(region);
  }
  const r = region;
  // Append rather than replace so quick successive messages are all read.
  r.appendChild(h('p', { text: message }));
  while (r.childElementCount > 5) r.firstElementChild?.remove();
  if (announceTimer !== undefined) clearTimeout(announceTimer);
  announceTimer = setTimeout(() => clear(r), 15000);
}

/** Shows (or with null hides) a message in an error element. */
export function showError(el: HTMLElement | null, message: string | null): void {
  if (!el) return;
  el.textContent = message ?? '';
  el.hidden = message === null || message === '';
}

/** True when keyboard input goes to a text-entry control. */
export function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file', 'image'].includes(target.type);
  }
  return false;
}

/** Up to two initials for an avatar. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter((w) => w !== '');
  const chars = words.length >= 2 ? [words[0], words[words.length - 1]] : [words[0]];
  const out = chars
    .map((w) => (w ? Array.from(w)[0] ?? '' : ''))
    .join('')
    .toUpperCase();
  return out === '' ? '?' : out;
}

/** Copies text to the clipboard, falling back to a selected input. */
export async function copyText(text: string, fallbackInput?: HTMLInputElement): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through
  }
  if (fallbackInput) {
    fallbackInput.focus();
    fallbackInput.select();
    try {
      // Deprecated, but the only option outside secure contexts.
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
  return false;
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * Disables a button while its action runs, saying so on the button itself
 * ("Signing in…"): a disabled control always shows why. Returns the undo.
 */
export function busyButton(button: HTMLButtonElement, busyText: string): () => void {
  const text = button.textContent ?? '';
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = busyText;
  return () => {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = text;
  };
}
