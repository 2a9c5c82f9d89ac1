// Keyed list rendering for the side panels. They re-render on every model
// change (tracks, speakers, ...), so rows are rebuilt only when what they
// show changed, and keyboard focus inside a rebuilt row is carried over to
// its counterpart: a person using the keyboard never loses their place.

export interface ListItem {
  key: string;
  /** Everything the row shows; the row is rebuilt when it changes. */
  sig: string;
  build(): HTMLElement;
}

/** Focusable elements carry data-focus so a rebuilt row can find their twin. */
function carryFocus(from: HTMLElement, to: HTMLElement, fallback: HTMLElement): void {
  const active = document.activeElement;
  if (!(active instanceof HTMLElement) || !from.contains(active)) return;
  const name = active.dataset['focus'];
  const twin = name ? to.querySelector<HTMLElement>(`[data-focus="${CSS.escape(name)}"]`) : null;
  const target = twin && !twin.closest('[hidden]') ? twin : to.querySelector<HTMLElement>('button:not([disabled])');
  (target ?? fallback).focus({ preventScroll: true });
}

/** Makes parent's children the rows for items, in order. */
export function syncList(parent: HTMLElement, items: ListItem[]): void {
  const old = new Map<string, HTMLElement>();
  for (const el of Array.from(parent.children)) {
    if (el instanceof HTMLElement && el.dataset['key'] !== undefined) old.set(el.dataset['key'], el);
  }
  const rows: HTMLElement[] = [];
  for (const item of items) {
    const prev = old.get(item.key);
    old.delete(item.key);
    if (prev && prev.dataset['sig'] === item.sig) {
      rows.push(prev);
      continue;
    }
    const row = item.build();
    row.dataset['key'] = item.key;
    row.dataset['sig'] = item.sig;
    if (prev) {
      prev.replaceWith(row);
      carryFocus(prev, row, parent);
    }
    rows.push(row);
  }
  for (const gone of old.values()) {
    const hadFocus = gone.contains(document.activeElement);
    gone.remove();
    if (hadFocus) parent.focus({ preventScroll: true });
  }
  rows.forEach((row, i) => {
    if (parent.children[i] !== row) parent.insertBefore(row, parent.children[i] ?? null);
  });
}
