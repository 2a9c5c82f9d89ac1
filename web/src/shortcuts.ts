// Single-key shortcuts (M, V, S) active when focus is not in a text field.

import { isTextEntry } from './dom';

export type ShortcutMap = Record<string, () => void>;

/** Installs the shortcuts; returns a function that removes them. */
export function installShortcuts(map: ShortcutMap): () => void {
  const onKey = (ev: KeyboardEvent): void => {
    if (ev.defaultPrevented || ev.repeat || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (isTextEntry(ev.target)) return;
    const action = map[ev.key.toLowerCase()];
    if (!action) return;
    ev.preventDefault();
    action();
  };
  document.addEventListener('keydown', onKey);
  return () => document.removeEventListener('keydown', onKey);
}
