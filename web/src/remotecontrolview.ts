// Remote control in the call view (docs/client.md, "Remote control"):
//
// - "Request control" on someone else's screen share, where the meeting
//   allows remote control (the server decides who may; the button only
//   saves a refusal);
// - the sharer's prompt (role alertdialog, focused): "<name> asks to
//   control your screen", Grant / Grant pointer only / Refuse;
// - while control lasts, a banner everyone sees ("<controller> is
//   controlling <sharer>'s screen"), with Stop and the agent's command
//   and pairing code for the sharer, Release for the controller (whose
//   pointer and keys on the shared video are captured and sent,
//   remotecontrolinput.ts) and Revoke for hosts and co-hosts;
// - a short note when control ends or a request comes to nothing.
//
// The session hands it the control messages; CallView.sync the tiles.

import { announce, h } from './dom';
import type { Bytes } from './e2ee/sframe';
import type { MeetingSettings, ParticipantInfo, Role } from './protocol';
import type { ControlRefused, ControlRequested, ControlState } from './wire.gen';
import { ENDED_TEXT, REFUSED_TEXT } from './remotecontrol';
import { ControlInput } from './remotecontrolinput';
import { agentCommand, importGrantKey, pairingCode } from './remotecontrolseal';
import type { SendFn } from './rtc';

export interface RemoteControlHost {
  send: SendFn;
  /** The meeting's ID: the controller's socket and the agent's command name it, for a cluster's routing. */
  meetingId: string;
  /**
   * The grant key shared with peer in an end-to-end encrypted meeting
   * (remotecontrolseal.ts deriveGrantKey); null when the meeting is not
   * encrypted. Rejects while peer's public key has not come.
   */
  grantKey(peer: string, grant: string): Promise<Bytes | null>;
}

/** A screen share tile as the call view shows it. */
export interface ScreenTile {
  participantId: string;
  self: boolean;
  el: HTMLElement;
  video: HTMLVideoElement;
}

export interface RemoteControlModel {
  selfId: string;
  role: Role | null;
  settings: MeetingSettings;
  others: ParticipantInfo[];
  screens: ScreenTile[];
}

const NOTE_MS = 8000;
/** A request not answered by then frees its button again (the server refuses it with timeout). */
const PENDING_MS = 90_000;

interface Grant {
  state: ControlState;
  row: HTMLElement;
  token: string;
  agentCode: string;
  /** The E2EE grant key's part of the pairing code, once derived (sharer). */
  codeKey: Bytes | null | undefined;
  codeError: string;
  input: ControlInput | null;
  starting: boolean;
  deriving: boolean;
  video: HTMLVideoElement | null;
}

export class RemoteControlView {
  readonly el: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly note: HTMLElement;
  private readonly dialog: HTMLElement;
  private readonly dialogText: HTMLElement;
  private readonly grants = new Map<string, Grant>();
  private readonly requests: ControlRequested[] = [];
  /** Sharers asked by this page, with when. */
  private readonly pending = new Map<string, number>();
  private readonly buttons = new Map<string, HTMLButtonElement>();
  private model: RemoteControlModel | null = null;
  private noteTimer: ReturnType<typeof setTimeout> | undefined;
  private returnFocus: HTMLElement | null = null;
  private ended = false;

  constructor(private readonly host: RemoteControlHost) {
    this.banner = h('div', { class: 'rc-banner', id: 'remote-control-banner', role: 'region', 'aria-label': 'Remote control', 'aria-live': 'polite' });
    this.banner.hidden = true;
    this.note = h('p', { class: 'mod-notice', id: 'remote-control-notice', role: 'status' });
    this.note.hidden = true;

    this.dialogText = h('p', { id: 'control-prompt-text', class: 'rc-prompt-text' });
    const grant = h('button', { type: 'button', id: 'control-grant', class: 'button primary small', text: 'Grant' });
    const pointer = h('button', { type: 'button', id: 'control-grant-pointer', class: 'button small', text: 'Grant pointer only' });
    const refuse = h('button', { type: 'button', id: 'control-refuse', class: 'button small', text: 'Refuse' });
    grant.addEventListener('click', () => this.answer(true, false));
    pointer.addEventListener('click', () => this.answer(true, true));
    refuse.addEventListener('click', () => this.answer(false, false));
    this.dialog = h(
      'div',
      {
        class: 'prompt rc-prompt',
        id: 'control-prompt',
        role: 'alertdialog',
        'aria-modal': 'false',
        'aria-labelledby': 'control-prompt-text',
        'aria-describedby': 'control-prompt-hint',
        tabindex: '-1',
      },
      [
        this.dialogText,
        h('p', {
          id: 'control-prompt-hint',
          class: 'hint',
          text: 'They could use your mouse and keyboard on the screen you share, through the Conclave agent on this computer. Pointer only: they can only move the pointer to show you where to look. You can stop it at any time.',
        }),
        h('div', { class: 'panel-actions' }, [grant, pointer, refuse]),
      ],
    );
    this.dialog.hidden = true;
    this.dialog.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        ev.preventDefault();
        this.answer(false, false);
      }
    });
    this.el = h('div', { class: 'rc', id: 'remote-control' }, [this.dialog, this.banner, this.note]);
  }

  // ---- Messages from the server ----

  /** control_requested: someone asks this page's sharer for control. */
  requested(r: ControlRequested): void {
    if (this.requests.some((q) => q.request === r.request)) return;
    this.requests.push(r);
    if (this.requests.length === 1) this.showRequest();
  }

  /** control_refused: this page's request came to nothing. */
  refused(r: ControlRefused): void {
    this.pending.clear();
    this.show(`Your request for control was not granted: ${REFUSED_TEXT[r.reason] ?? r.reason}.`);
    this.syncButtons();
  }

  /** control: a grant began, changed or ended. */
  state(s: ControlState): void {
    const m = this.model;
    if (!s.active) {
      const g = this.grants.get(s.grant);
      this.drop(s.grant);
      if (g || s.ended) {
        const what = m && s.sharer === m.selfId ? 'your screen' : `${s.sharer_name || 'a guest'}’s screen`;
        const why = s.ended ? `: ${ENDED_TEXT[s.ended] ?? s.ended}` : '';
        this.show(`Remote control of ${what} ended${why}.`);
      }
      this.render();
      return;
    }
    this.pending.delete(s.sharer);
    let g = this.grants.get(s.grant);
    if (!g) {
      g = { state: s, row: h('div', { class: 'rc-grant' }), token: '', agentCode: '', codeKey: undefined, codeError: '', input: null, starting: false, deriving: false, video: null };
      this.grants.set(s.grant, g);
    }
    g.state = s;
    if (s.token) g.token = s.token;
    if (s.agent_code) g.agentCode = s.agent_code;
    // A request from the one now in control is answered.
    const at = this.requests.findIndex((q) => q.from === s.controller);
    if (at >= 0) this.requests.splice(at, 1);
    this.render();
  }

  // ---- From the call view ----

  sync(m: RemoteControlModel): void {
    this.model = m;
    // Requests from people who left are void.
    const here = new Set(m.others.map((p) => p.id));
    for (let i = this.requests.length - 1; i >= 0; i--) if (!here.has(this.requests[i]!.from)) this.requests.splice(i, 1);
    if (this.requests.length === 0) this.hideRequest();
    else if (this.dialog.hidden) this.showRequest();
    this.render();
  }

  /** The call ended: capture stops, sockets close. */
  destroy(): void {
    this.ended = true;
    for (const id of [...this.grants.keys()]) this.drop(id);
    if (this.noteTimer !== undefined) clearTimeout(this.noteTimer);
  }

  /** Test hook: input events sent for the grant this page controls. */
  get inputSent(): number {
    for (const g of this.grants.values()) if (g.input) return g.input.sent;
    return 0;
  }

  // ---- Request control ----

  private syncButtons(): void {
    const m = this.model;
    const seen = new Set<string>();
    for (const t of m?.screens ?? []) {
      if (t.self || !m) continue;
      seen.add(t.participantId);
      let b = this.buttons.get(t.participantId);
      if (!b || b.parentElement?.parentElement !== t.el) {
        b?.parentElement?.remove();
        const btn = h('button', { type: 'button', class: 'button small rc-request', 'data-participant-id': t.participantId });
        const pid = t.participantId;
        btn.addEventListener('click', () => this.request(pid));
        t.el.appendChild(h('div', { class: 'rc-tile-actions' }, [btn]));
        this.buttons.set(pid, btn);
        b = btn;
      }
      const controlled = [...this.grants.values()].some((g) => g.state.sharer === t.participantId);
      const asked = this.pending.has(t.participantId);
      const name = m.others.find((p) => p.id === t.participantId)?.name || 'a guest';
      b.parentElement!.hidden = !m.settings.remote_control || controlled;
      b.disabled = asked;
      b.textContent = asked ? 'Control requested…' : 'Request control';
      b.setAttribute('aria-label', asked ? `Control of ${name}’s screen requested` : `Request control of ${name}’s screen`);
    }
    for (const [pid, b] of this.buttons) {
      if (!seen.has(pid)) {
        b.parentElement?.remove();
        this.buttons.delete(pid);
      }
    }
  }

  private request(pid: string): void {
    const at = this.pending.get(pid);
    if (at !== undefined && Date.now() - at < PENDING_MS) return;
    if (this.host.send('control_request', { participant: pid }) === 0) return;
    this.pending.set(pid, Date.now());
    setTimeout(() => {
      if (this.pending.get(pid) !== undefined && Date.now() - (this.pending.get(pid) ?? 0) >= PENDING_MS) {
        this.pending.delete(pid);
        this.syncButtons();
      }
    }, PENDING_MS);
    announce('Control requested. The sharer is asked.');
    this.syncButtons();
  }

  // ---- The sharer's prompt ----

  private showRequest(): void {
    const r = this.requests[0];
    if (!r) return;
    this.dialogText.textContent = `${r.name || 'A guest'} asks to control your screen`;
    this.dialog.dataset['request'] = r.request;
    if (this.dialog.hidden) {
      const active = document.activeElement;
      this.returnFocus = active instanceof HTMLElement && !this.dialog.contains(active) ? active : null;
    }
    this.dialog.hidden = false;
    // Focus on the safe answer: Enter refuses.
    this.dialog.querySelector<HTMLButtonElement>('#control-refuse')?.focus();
  }

  private hideRequest(): void {
    if (this.dialog.hidden) return;
    const hadFocus = this.dialog.contains(document.activeElement);
    this.dialog.hidden = true;
    if (hadFocus && this.returnFocus?.isConnected) this.returnFocus.focus({ preventScroll: true });
    this.returnFocus = null;
  }

  private answer(grant: boolean, pointerOnly: boolean): void {
    const r = this.requests.shift();
    if (!r) return;
    this.host.send('control_answer', { request: r.request, grant, pointer_only: pointerOnly });
    if (!grant) announce(`You refused ${r.name || 'a guest'} control of your screen.`);
    if (this.requests.length > 0) this.showRequest();
    else this.hideRequest();
  }

  // ---- The banner ----

  private render(): void {
    if (this.ended) return;
    const m = this.model;
    this.syncButtons();
    this.banner.hidden = this.grants.size === 0;
    const rows: HTMLElement[] = [];
    for (const g of this.grants.values()) {
      this.renderGrant(g);
      rows.push(g.row);
    }
    if (rows.length !== this.banner.childElementCount || rows.some((r, i) => this.banner.children[i] !== r)) this.banner.replaceChildren(...rows);
    if (!m) return;
    for (const g of this.grants.values()) {
      if (g.state.sharer === m.selfId && g.codeKey === undefined && !g.deriving) this.deriveCodeKey(g);
      this.capture(g, m);
    }
  }

  private renderGrant(g: Grant): void {
    const s = g.state;
    const m = this.model;
    const self = m?.selfId ?? '';
    const mod = m?.role === 'host' || m?.role === 'cohost';
    const controller = s.controller_name || 'A guest';
    const sharer = s.sharer_name || 'a guest';
    const parts: HTMLElement[] = [];
    const text = h('p', { class: 'rc-text', text: `${controller} is controlling ${sharer}’s screen${s.pointer_only ? ' (pointer only)' : ''}` });
    parts.push(text);
    const actions = h('div', { class: 'panel-actions' });
    if (s.sharer === self) {
      const stop = h('button', { type: 'button', class: 'button danger small rc-stop', text: 'Stop control' });
      stop.addEventListener('click', () => this.stop(s.grant));
      actions.append(stop);
      parts.push(this.agentBox(g));
    } else if (s.controller === self) {
      const release = h('button', { type: 'button', class: 'button small rc-release', text: 'Release control' });
      release.addEventListener('click', () => this.stop(s.grant));
      actions.append(release);
      parts.push(
        h('p', {
          class: 'hint rc-controller-hint',
          text: s.agent_connected
            ? `Your pointer${s.pointer_only ? '' : ' and keyboard'} on ${sharer}’s screen go to their computer. Click the screen to type into it.`
            : `Waiting for ${sharer} to start the Conclave agent: until then your input does not reach their computer.`,
        }),
      );
    }
    if (mod && s.sharer !== self && s.controller !== self) {
      const revoke = h('button', { type: 'button', class: 'button danger small rc-revoke', text: 'Revoke' });
      revoke.setAttribute('aria-label', `Revoke ${controller}’s control of ${sharer}’s screen`);
      revoke.addEventListener('click', () => this.stop(s.grant));
      actions.append(revoke);
    }
    if (actions.childElementCount > 0) parts.push(actions);
    // Rebuilt only when what it shows changed, so focus stays on its buttons.
    const sig = JSON.stringify([s.controller_name, s.sharer_name, s.pointer_only, s.agent_connected, self, mod, g.agentCode, g.codeKey === undefined, g.codeError]);
    if (g.row.dataset['sig'] === sig) return;
    const focused = g.row.contains(document.activeElement) ? (document.activeElement as HTMLElement).className : '';
    g.row.dataset['sig'] = sig;
    g.row.dataset['grant'] = s.grant;
    g.row.dataset['controller'] = s.controller;
    g.row.dataset['sharer'] = s.sharer;
    g.row.dataset['agent'] = s.agent_connected ? 'connected' : 'waiting';
    g.row.replaceChildren(...parts);
    if (focused) g.row.querySelector<HTMLElement>(`[class="${focused}"]`)?.focus();
  }

  private agentBox(g: Grant): HTMLElement {
    const s = g.state;
    const code = g.codeKey === undefined || !g.agentCode ? '' : pairingCode(g.agentCode, g.codeKey);
    const command = code ? agentCommand(location.origin, this.host.meetingId, code) : '';
    const box = h('div', { class: 'rc-agent' });
    box.append(
      h('p', {
        class: 'rc-agent-status',
        text: s.agent_connected
          ? 'The agent is connected: their input reaches your desktop. Press Ctrl+Alt+Escape to stop at once.'
          : 'Their input reaches your desktop only while the Conclave agent runs on this computer. Run it with this pairing code:',
      }),
    );
    if (g.codeError) {
      box.append(h('p', { class: 'rc-agent-error', role: 'alert', text: g.codeError }));
    } else if (!s.agent_connected && command) {
      const cmd = h('code', { class: 'rc-agent-command', text: command });
      const copy = h('button', { type: 'button', class: 'button small rc-agent-copy', text: 'Copy command' });
      copy.addEventListener('click', () => {
        void navigator.clipboard?.writeText(command).then(
          () => {
            copy.textContent = 'Copied';
            announce('The agent command was copied.');
          },
          () => announce('Could not copy: select the command and copy it.'),
        );
      });
      box.append(h('div', { class: 'rc-agent-row' }, [cmd, copy]));
      box.dataset['code'] = code;
    } else if (!s.agent_connected) {
      box.append(h('p', { class: 'hint', text: 'Preparing the pairing code…' }));
    }
    return box;
  }

  private deriveCodeKey(g: Grant): void {
    const grant = g.state.grant;
    g.deriving = true;
    this.host.grantKey(g.state.controller, grant).then(
      (k) => {
        g.deriving = false;
        g.codeKey = k;
        this.render();
      },
      (e: unknown) => {
        console.warn('conclave: no remote control key', e);
        g.deriving = false;
        g.codeKey = null;
        g.codeError = `The encryption key of ${g.state.controller_name || 'the controller'} has not come: stop control and let them ask again.`;
        this.render();
      },
    );
  }

  private stop(grant: string): void {
    this.host.send('control_stop', { grant });
  }

  // ---- The controller's capture ----

  private capture(g: Grant, m: RemoteControlModel): void {
    const s = g.state;
    if (s.controller !== m.selfId || !g.token || g.input || g.starting) return;
    const tile = m.screens.find((t) => t.participantId === s.sharer && !t.self);
    if (!tile) return; // the tile comes with the next sync
    g.starting = true;
    void this.host
      .grantKey(s.sharer, s.grant)
      .then((raw) => (raw ? importGrantKey(raw) : null))
      .then(
        (sealKey) => {
          g.starting = false;
          if (this.ended || this.grants.get(s.grant) !== g) return;
          const v = tile.video;
          g.video = v;
          v.tabIndex = 0;
          v.setAttribute(
            'aria-label',
            `${s.sharer_name || 'A guest'}’s screen, under your control: the pointer${s.pointer_only ? '' : ' and keys'} here go to it. Ctrl+Alt+Escape leaves it.`,
          );
          tile.el.classList.add('rc-controlled');
          g.input = new ControlInput({
            meetingId: this.host.meetingId,
            grant: s.grant,
            token: g.token,
            video: v,
            pointerOnly: s.pointer_only,
            sealKey,
            onClosed: () => {
              if (this.grants.get(s.grant) === g) this.show('The remote control connection closed.');
            },
            onLeave: () => g.row.querySelector<HTMLElement>('.rc-release')?.focus(),
          });
          v.focus({ preventScroll: true });
        },
        (e: unknown) => {
          g.starting = false;
          console.warn('conclave: no remote control key', e);
          this.show(`Cannot control ${s.sharer_name || 'a guest'}’s screen: their encryption key has not come.`);
        },
      );
  }

  private drop(grant: string): void {
    const g = this.grants.get(grant);
    if (!g) return;
    this.grants.delete(grant);
    // The grant is over: the server takes no more events (Release let go
    // of held keys already: the video lost focus to the button).
    g.input?.stop(false);
    g.input = null;
    if (g.video) {
      g.video.removeAttribute('tabindex');
      g.video.removeAttribute('aria-label');
      g.video.closest('.tile')?.classList.remove('rc-controlled');
    }
    g.row.remove();
  }

  private show(message: string): void {
    this.note.textContent = message;
    this.note.hidden = false;
    if (this.noteTimer !== undefined) clearTimeout(this.noteTimer);
    this.noteTimer = setTimeout(() => {
      this.note.hidden = true;
    }, NOTE_MS);
  }
}
