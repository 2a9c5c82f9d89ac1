// The signalling websocket: JSON text frames {type, seq, data}.

import { parseServerMessage } from './protocol';
import type { ClientMessages, ServerMessage } from './protocol';

export function signalingUrl(): string {
  return (location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + location.host + '/ws';
}

export interface SignalingHandlers {
  open(): void;
  message(msg: ServerMessage): void;
  close(ev: CloseEvent, opened: boolean): void;
}

export class Signaling {
  private readonly ws: WebSocket;
  private seq = 0;
  private opened = false;
  private closed = false;

  constructor(handlers: SignalingHandlers, url = signalingUrl()) {
    this.ws = new WebSocket(url);
    this.ws.addEventListener('open', () => {
      this.opened = true;
      handlers.open();
    });
    this.ws.addEventListener('message', (ev: MessageEvent<unknown>) => {
      if (typeof ev.data !== 'string') return; // the protocol is text only
      const msg = parseServerMessage(ev.data);
      if (msg) handlers.message(msg);
      else console.warn('conclave: ignoring malformed server message');
    });
    this.ws.addEventListener('close', (ev) => {
      this.closed = true;
      handlers.close(ev, this.opened);
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a message; returns its seq, or 0 when the socket is not open. */
  send<K extends keyof ClientMessages>(type: K, data: ClientMessages[K]): number {
    return this.sendRaw(type, data);
  }

  /** Sends a message of any type, unchecked (the test hook forges some). */
  sendRaw(type: string, data: unknown): number {
    if (this.ws.readyState !== WebSocket.OPEN) return 0;
    this.seq += 1;
    this.ws.send(JSON.stringify({ type, seq: this.seq, data }));
    return this.seq;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.ws.close(1000, 'bye');
    } catch {
      // already closing
    }
  }
}
