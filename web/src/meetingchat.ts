// The chat part of a host's "Manage" panel: what the meeting does with its
// chat (chat_history, chat_after, chosen when it was created), and, where
// the chat can be read after the meeting, the messages the signed-in
// account was part of (GET /api/me/chat). The server decides what that is:
// its own messages, those sent to it, and messages to everyone sent while
// it was in the meeting.

import { ApiError } from './api';
import type { Meeting } from './api';
import { busyButton, clear, errorMessage, h } from './dom';
import { humanSize } from './files';

interface Party {
  id: string;
  name?: string;
}

interface AfterMessage {
  id: string;
  from: Party;
  to_everyone: boolean;
  to: Party[];
  text: string;
  time: string;
  deleted: boolean;
  /** Set when the message shares a file that is still stored; its name is the text. */
  file?: { id: string; size: number; type: string };
  /** End-to-end encrypted: the server holds only ciphertext, whose keys went with the meeting. */
  e2ee?: boolean;
}

/** What the meeting does with its chat, in words. */
export function chatPolicyText(m: Meeting): string {
  const history = m.chat_history ? 'People who join late see the chat so far.' : 'People who join late do not see earlier messages.';
  const after = m.chat_after
    ? 'Participants with an account can read the chat they were part of after the meeting.'
    : 'Nobody reads the chat after the meeting, except privacy officers answering a data protection request.';
  return `${history} ${after}`;
}

/** A message's words; a shared file is named as one (it was downloadable during the meeting only). */
function messageText(c: AfterMessage): string | HTMLElement {
  // The keys lived in the participants' browsers during the meeting only:
  // nobody can read an end-to-end encrypted message afterwards.
  if (c.e2ee) return h('em', { class: 'chat-e2ee', text: 'end-to-end encrypted: the server cannot read this message' });
  return c.file ? `shared a file, ${c.text} (${humanSize(c.file.size)})` : c.text;
}

function name(p: Party): string {
  return p.name || p.id;
}

async function fetchAfter(id: string): Promise<AfterMessage[]> {
  const res = await fetch('/api/me/chat?meeting=' + encodeURIComponent(id), {
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { Accept: 'application/json' },
  });
  const payload: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const err = (payload as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, err?.code ?? 'http_' + String(res.status), err?.message ?? `Request failed (${res.status}).`);
  }
  return (payload as { messages: AfterMessage[] }).messages;
}

/** The folded "Chat" part of one meeting's Manage panel. */
export function meetingChatPanel(m: Meeting, prefix: string): HTMLElement {
  const children: Node[] = [h('summary', { text: 'Chat' }), h('p', { class: 'hint', id: prefix + 'chat-policy', text: chatPolicyText(m) })];
  if (m.chat_after) {
    const read = h('button', { type: 'button', class: 'button', id: prefix + 'chat-read', text: 'Read the chat' });
    const out = h('div', { id: prefix + 'chat-log', 'aria-live': 'polite' });
    read.addEventListener('click', async () => {
      const done = busyButton(read, 'Loading…');
      clear(out);
      try {
        const msgs = await fetchAfter(m.id);
        if (msgs.length === 0) {
          out.appendChild(h('p', { class: 'hint', text: 'No messages you were part of are stored.' }));
          return;
        }
        out.appendChild(
          h(
            'ol',
            { class: 'chat-after' },
            msgs.map((c) =>
              h('li', { 'data-id': c.id }, [
                h('time', { datetime: c.time, text: new Date(c.time).toLocaleString() }),
                ' ',
                h('strong', { text: name(c.from) }),
                c.to_everyone ? '' : ` to ${c.to.map(name).join(', ')}`,
                ': ',
                c.deleted ? h('em', { text: 'deleted by a host' }) : messageText(c),
              ]),
            ),
          ),
        );
      } catch (e) {
        out.appendChild(h('p', { class: 'error-box', role: 'alert', text: errorMessage(e) }));
      } finally {
        done();
      }
    });
    children.push(h('div', { class: 'actions' }, [read]), out);
  }
  return h('details', { class: 'meeting-chat' }, children);
}
