// Shared page chrome for the non-meeting pages.

import { h } from './dom';

export function siteHeader(extra: Node[] = []): HTMLElement {
  return h('header', { class: 'site-header' }, [
    h('a', { class: 'brand', href: '/' }, [h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), 'Conclave']),
    h('div', { class: 'site-header-actions' }, extra),
  ]);
}

export function page(title: string, body: Node[], headerExtra: Node[] = []): HTMLElement {
  document.title = title ? `${title} · Conclave` : 'Conclave';
  return h('div', { class: 'page' }, [siteHeader(headerExtra), h('main', { class: 'content', id: 'main' }, body)]);
}

export function field(id: string, label: string, input: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLElement {
  const children: Node[] = [h('label', { for: id, text: label }), input];
  if (hint) {
    const hintId = id + '-hint';
    input.setAttribute('aria-describedby', hintId);
    children.push(h('p', { class: 'hint', id: hintId, text: hint }));
  }
  input.id = id;
  return h('div', { class: 'field' }, children);
}

export function errorBox(): HTMLElement {
  const el = h('div', { id: 'error-message', class: 'error-box', role: 'alert' });
  el.hidden = true;
  return el;
}
