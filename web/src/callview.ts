// The in-meeting screen: tile grid, screen-share stage, audio elements and
// the control bar. It renders a CallModel handed to sync(); it owns no
// meeting state itself.

import { announce, h } from './dom';
import { EffectPicker } from './effects';
import type { Effect } from './effects';
import { icon } from './icons';
import type { IconName } from './icons';
import type { FileClient } from './files';
import type { ChatLog, ModActions } from './panelmodel';
import { SidePanels } from './panels';
import { Prompts } from './prompts';
import { RecordingControl } from './recording';
import { RemoteControlView } from './remotecontrolview';
import type { Bytes } from './e2ee/sframe';
import { TranscriptionControl } from './transcription';
import type { LobbyEntry, MeetingSettings, ParticipantInfo, Role, TrackOwner, VideoSize } from './protocol';
import type { SendFn } from './rtc';
import { SHARE_FORBIDDEN_TITLE } from './roles';
import { SizeReporter, Tile, fitTiles, tileKey } from './tiles';

export interface RemoteMedia {
  audio: MediaStreamTrack | null;
  camera: MediaStreamTrack | null;
  screen: MediaStreamTrack | null;
}

/** A remote track arrived: it shows on its owner's tile. */
export function bindTrack(remote: Map<string, RemoteMedia>, owner: TrackOwner, track: MediaStreamTrack): void {
  let r = remote.get(owner.participant_id);
  if (!r) {
    r = { audio: null, camera: null, screen: null };
    remote.set(owner.participant_id, r);
  }
  r[owner.source] = track;
}

/** A remote track ended; false when another had taken its place already. */
export function unbindTrack(remote: Map<string, RemoteMedia>, owner: TrackOwner, track: MediaStreamTrack): boolean {
  const r = remote.get(owner.participant_id);
  if (!r || r[owner.source] !== track) return false;
  r[owner.source] = null;
  return true;
}

export interface CallModel {
  selfId: string;
  selfName: string;
  selfVerified: boolean;
  mic: MediaStreamTrack | null;
  cam: MediaStreamTrack | null;
  /** The background effect chosen, whether it runs, and why not. */
  effect: Effect;
  effectActive: boolean;
  effectError: string | null;
  screen: MediaStreamTrack | null;
  others: ParticipantInfo[];
  remote: Map<string, RemoteMedia>;
  activeSpeaker: string;
  role: Role | null;
  settings: MeetingSettings;
  /** The role and settings allow sharing the screen. */
  canShare: boolean;
  lobby: LobbyEntry[];
  chat: ChatLog;
  /** File sharing with our capability (welcome.file_token); null when it is off. */
  files: FileClient | null;
  /** Our own signalling connection dropped and is being resumed. */
  reconnecting: boolean;
}

export interface CallActions {
  toggleMic(): void;
  toggleCamera(): void;
  toggleScreen(): void;
  /** A background effect was picked (effects.ts). */
  setEffect(e: Effect): void;
  leave(): void;
  /** Turns a source on because the person agreed to a host's request. */
  turnOn(source: 'audio' | 'camera'): void;
  mod: ModActions;
  /** Sends the recording messages (recording.ts). */
  send: SendFn;
  /** The meeting's ID, which remote control's socket and agent command name (remotecontrolview.ts). */
  meetingId: string;
  /** The remote control grant key shared with peer in an E2EE meeting, null otherwise (remotecontrolview.ts). */
  remoteControlKey(peer: string, grant: string): Promise<Bytes | null>;
}

interface ToggleSpec {
  id: string;
  label: string;
  key: string;
  on: IconName;
  off: IconName;
  /** Tooltip saying what a click does, when on / when off. */
  titleOn: string;
  titleOff: string;
}

class ToggleButton {
  readonly el: HTMLButtonElement;
  private readonly iconBox: HTMLElement;
  private readonly text: HTMLElement;
  /** Why the button cannot be used now, or null. */
  private blocked: string | null = null;

  constructor(
    private readonly spec: ToggleSpec,
    onClick: () => void,
  ) {
    this.iconBox = h('span', { class: 'control-icon' });
    this.text = h('span', { class: 'control-text' });
    this.el = h(
      'button',
      {
        type: 'button',
        id: spec.id,
        class: 'control',
        'aria-label': spec.label,
        'aria-pressed': 'false',
        'aria-keyshortcuts': spec.key,
      },
      [this.iconBox, this.text],
    );
    this.el.addEventListener('click', onClick);
    this.set(false);
  }

  set(pressed: boolean, busy = false): void {
    this.el.setAttribute('aria-pressed', pressed ? 'true' : 'false');
    this.el.classList.toggle('off', !pressed && this.spec.id !== 'toggle-screen');
    this.el.classList.toggle('active', pressed && this.spec.id === 'toggle-screen');
    this.el.setAttribute('aria-busy', busy ? 'true' : 'false');
    this.el.disabled = this.blocked !== null;
    this.el.title = this.blocked ?? `${pressed ? this.spec.titleOn : this.spec.titleOff} (${this.spec.key})`;
    this.iconBox.replaceChildren(icon(pressed ? this.spec.on : this.spec.off));
    this.text.textContent = this.spec.label;
  }

  /**
   * Disables the button, saying why in its tooltip and in the visible note
   * under the toolbar (reasonId, which describes it); null enables it.
   */
  block(reason: string | null, reasonId: string): void {
    this.blocked = reason;
    this.el.disabled = reason !== null;
    if (reason !== null) {
      this.el.title = reason;
      this.el.setAttribute('aria-describedby', reasonId);
    } else {
      this.el.removeAttribute('aria-describedby');
    }
  }

  get reason(): string | null {
    return this.blocked;
  }
}

export class CallView {
  readonly el: HTMLElement;
  private readonly stage: HTMLElement;
  private readonly screens: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly audioBox: HTMLElement;
  private readonly soundButton: HTMLButtonElement;
  private readonly notice: HTMLElement;
  private mediaProblem = false;
  private reconnecting = false;
  /** Why a toolbar control is disabled, shown under the toolbar. */
  private readonly controlsNote: HTMLElement;
  private readonly screenSupported: boolean;
  readonly panels: SidePanels;
  readonly prompts: Prompts;
  readonly recording: RecordingControl;
  readonly transcription: TranscriptionControl;
  readonly remoteControl: RemoteControlView;
  readonly mic: ToggleButton;
  readonly camera: ToggleButton;
  readonly share: ToggleButton;
  readonly effect: EffectPicker;
  readonly leaveButton: HTMLButtonElement;
  private readonly tiles = new Map<string, Tile>();
  private readonly audios = new Map<string, HTMLAudioElement>();
  private readonly reporter: SizeReporter;
  private readonly layoutObserver: ResizeObserver | null;
  private audioBlocked = false;

  constructor(actions: CallActions, sendSize: (s: VideoSize) => void, screenSupported: boolean) {
    this.reporter = new SizeReporter(sendSize);
    this.screens = h('div', { class: 'screens', id: 'screen-stage', 'aria-label': 'Screen shares', role: 'region' });
    this.grid = h('div', { class: 'grid', id: 'tile-grid', 'aria-label': 'Participants', role: 'region' });
    this.stage = h('div', { class: 'stage' }, [this.screens, this.grid]);
    this.audioBox = h('div', { class: 'audio-sinks', 'aria-hidden': 'true' });

    this.mic = new ToggleButton(
      { id: 'toggle-mic', label: 'Microphone', key: 'M', on: 'mic', off: 'micOff', titleOn: 'Turn microphone off', titleOff: 'Turn microphone on' },
      () => actions.toggleMic(),
    );
    this.camera = new ToggleButton(
      { id: 'toggle-camera', label: 'Camera', key: 'V', on: 'camera', off: 'cameraOff', titleOn: 'Turn camera off', titleOff: 'Turn camera on' },
      () => actions.toggleCamera(),
    );
    this.share = new ToggleButton(
      { id: 'toggle-screen', label: 'Share screen', key: 'S', on: 'screen', off: 'screen', titleOn: 'Stop sharing your screen', titleOff: 'Share your screen' },
      () => actions.toggleScreen(),
    );
    this.screenSupported = screenSupported;
    this.effect = new EffectPicker('call-effect', 'none', (e) => actions.setEffect(e));
    this.effect.el.classList.add('control-effect');
    this.panels = new SidePanels(actions.mod);
    this.prompts = new Prompts((source) => actions.turnOn(source));
    this.recording = new RecordingControl(actions.send);
    this.transcription = new TranscriptionControl(actions.send);
    this.remoteControl = new RemoteControlView({ send: actions.send, meetingId: actions.meetingId, grantKey: (peer, grant) => actions.remoteControlKey(peer, grant) });
    this.leaveButton = h('button', { type: 'button', id: 'leave', class: 'control danger', 'aria-label': 'Leave', title: 'Leave the meeting' }, [
      h('span', { class: 'control-icon' }, [icon('leave')]),
      h('span', { class: 'control-text', text: 'Leave' }),
    ]);
    this.leaveButton.addEventListener('click', () => actions.leave());

    this.soundButton = h('button', { type: 'button', id: 'enable-audio', class: 'control', 'aria-label': 'Enable sound' }, [
      h('span', { class: 'control-icon' }, [icon('sound')]),
      h('span', { class: 'control-text', text: 'Enable sound' }),
    ]);
    this.soundButton.hidden = true;
    this.soundButton.addEventListener('click', () => this.resumeAudio());

    const controls = h('div', { class: 'controls', role: 'toolbar', 'aria-label': 'Meeting controls' }, [
      this.mic.el,
      this.camera.el,
      this.effect.el,
      this.share.el,
      this.soundButton,
      this.transcription.captionsButton,
      ...this.panels.buttons,
      h('a', { id: 'call-privacy', class: 'control-link', href: '/privacy/info', target: '_blank', rel: 'noopener', text: 'Privacy' }),
      this.leaveButton,
    ]);
    this.notice = h('div', { id: 'media-notice', class: 'notice', role: 'status' });
    this.notice.hidden = true;
    this.controlsNote = h('p', { id: 'controls-note', class: 'controls-note' });
    this.controlsNote.hidden = true;
    this.stage.appendChild(this.transcription.captionsEl);
    const body = h('div', { class: 'call-body' }, [this.stage, this.panels.el, this.panels.notices.el]);
    this.el = h('div', { class: 'call' }, [this.notice, this.recording.el, this.transcription.el, this.prompts.el, this.remoteControl.el, body, controls, this.controlsNote, this.audioBox]);

    this.layoutObserver =
      typeof ResizeObserver === 'function' ? new ResizeObserver(() => this.layout()) : null;
    this.layoutObserver?.observe(this.grid);
    this.layoutObserver?.observe(this.screens);
  }

  /** Brings the DOM in line with the model. */
  sync(m: CallModel): void {
    this.recording.setMayRecord(m.settings.recording && (m.role === 'host' || m.role === 'cohost'));
    this.transcription.setRights(m.settings.transcription === true && (m.role === 'host' || m.role === 'cohost'), m.settings.e2ee === true);
    const want: { key: string; pid: string; source: 'camera' | 'screen'; self: boolean; track: MediaStreamTrack | null; info: ParticipantInfo }[] = [];
    const selfInfo: ParticipantInfo = {
      id: m.selfId,
      name: m.selfName,
      verified: m.selfVerified,
      role: m.role ?? (m.selfVerified ? 'attendee' : 'guest'),
      audio: m.mic !== null,
      video: m.cam !== null,
      screen: m.screen !== null,
      reconnecting: m.reconnecting,
    };
    want.push({ key: tileKey(m.selfId, 'camera'), pid: m.selfId, source: 'camera', self: true, track: m.cam, info: selfInfo });
    if (m.screen) {
      want.push({ key: tileKey(m.selfId, 'screen'), pid: m.selfId, source: 'screen', self: true, track: m.screen, info: selfInfo });
    }
    for (const p of m.others) {
      const media = m.remote.get(p.id);
      want.push({ key: tileKey(p.id, 'camera'), pid: p.id, source: 'camera', self: false, track: media?.camera ?? null, info: p });
      // The sender's `screen` flag decides: a stopped share may leave its
      // (silent) track bound until the server re-offers.
      if (p.screen) {
        want.push({ key: tileKey(p.id, 'screen'), pid: p.id, source: 'screen', self: false, track: media?.screen ?? null, info: p });
      }
    }

    const keep = new Set(want.map((w) => w.key));
    for (const [key, tile] of this.tiles) {
      if (!keep.has(key)) {
        this.reporter.unobserve(tile);
        tile.destroy();
        this.tiles.delete(key);
      }
    }
    const cameraOrder: HTMLElement[] = [];
    const screenOrder: HTMLElement[] = [];
    for (const w of want) {
      let tile = this.tiles.get(w.key);
      if (!tile) {
        tile = new Tile(w.pid, w.source, w.self);
        this.tiles.set(w.key, tile);
      }
      tile.update({
        name: w.info.name,
        verified: w.info.verified,
        role: w.info.role,
        audio: w.info.audio,
        video: w.info.video,
        reconnecting: w.info.reconnecting,
      });
      tile.setTrack(w.track);
      tile.setSpeaking(m.activeSpeaker !== '' && m.activeSpeaker === w.pid);
      (w.source === 'screen' ? screenOrder : cameraOrder).push(tile.el);
    }
    placeInOrder(this.grid, cameraOrder);
    placeInOrder(this.screens, screenOrder);
    for (const tile of this.tiles.values()) this.reporter.observe(tile);
    this.stage.classList.toggle('has-screen', screenOrder.length > 0);
    this.grid.dataset['count'] = String(cameraOrder.length);
    this.screens.dataset['count'] = String(screenOrder.length);
    this.remoteControl.sync({
      selfId: m.selfId,
      role: m.role,
      settings: m.settings,
      others: m.others,
      screens: [...this.tiles.values()].filter((t) => t.source === 'screen'),
    });

    this.syncAudio(m);
    this.mic.set(m.mic !== null);
    this.camera.set(m.cam !== null);
    this.effect.set(m.effect);
    this.effect.select.dataset['active'] = m.effectActive ? 'true' : 'false';
    this.effect.select.title = m.effectError !== null ? `The background effect is not available: ${m.effectError}` : 'Background effect';
    this.share.block(
      !this.screenSupported ? 'Screen sharing is not supported by this browser' : m.canShare ? null : SHARE_FORBIDDEN_TITLE,
      'controls-note',
    );
    this.share.set(m.screen !== null);
    const reason = this.share.reason;
    this.controlsNote.hidden = reason === null;
    this.controlsNote.textContent =
      reason === null
        ? ''
        : `Share screen is unavailable: ${lowerFirst(reason)}.` +
          (reason === SHARE_FORBIDDEN_TITLE ? ' The host can make you a presenter.' : '');
    this.panels.sync({
      selfId: m.selfId,
      role: m.role,
      settings: m.settings,
      others: m.others,
      self: selfInfo,
      lobby: m.lobby,
      chat: m.chat,
      files: m.files,
    });
    this.layout();
  }

  /** Shows or hides the "reconnecting media" notice. */
  setMediaProblem(problem: boolean): void {
    this.mediaProblem = problem;
    this.showNotice();
  }

  /**
   * Shows or hides the "reconnecting" notice of the signalling connection
   * (it says more than a media problem, so it wins the banner). The call
   * view, its tiles and media stay as they are meanwhile.
   */
  setReconnecting(reconnecting: boolean): void {
    this.reconnecting = reconnecting;
    this.el.classList.toggle('reconnecting', reconnecting);
    this.el.dataset['reconnecting'] = reconnecting ? 'true' : 'false';
    this.showNotice();
  }

  private showNotice(): void {
    const text = this.reconnecting
      ? 'Connection to the server lost. Reconnecting…'
      : this.mediaProblem
        ? 'Media connection interrupted. Reconnecting…'
        : '';
    this.notice.hidden = text === '';
    this.notice.textContent = text;
    this.notice.dataset['kind'] = this.reconnecting ? 'signaling' : this.mediaProblem ? 'media' : '';
  }

  /** Moves keyboard focus into the controls (after joining). */
  focus(): void {
    this.mic.el.focus({ preventScroll: true });
  }

  setBusy(which: 'mic' | 'camera' | 'screen', busy: boolean): void {
    const b = which === 'mic' ? this.mic : which === 'camera' ? this.camera : this.share;
    b.el.setAttribute('aria-busy', busy ? 'true' : 'false');
  }

  allTiles(): Tile[] {
    return Array.from(this.tiles.values());
  }

  measure(tile: Tile): { width: number; height: number } {
    return this.reporter.measure(tile);
  }

  resetSizes(): void {
    this.reporter.reset();
  }

  private layout(): void {
    fitTiles(this.grid, Number(this.grid.dataset['count'] ?? '0'));
    fitTiles(this.screens, Number(this.screens.dataset['count'] ?? '0'));
  }

  private syncAudio(m: CallModel): void {
    const present = new Set<string>();
    for (const p of m.others) {
      const track = m.remote.get(p.id)?.audio ?? null;
      if (!track) continue;
      present.add(p.id);
      let el = this.audios.get(p.id);
      if (!el) {
        el = h('audio', { autoplay: true, 'data-participant-id': p.id });
        el.autoplay = true;
        this.audios.set(p.id, el);
        this.audioBox.appendChild(el);
      }
      const current = el.srcObject instanceof MediaStream ? el.srcObject.getAudioTracks()[0] : undefined;
      if (current !== track) {
        el.srcObject = new MediaStream([track]);
        this.play(el);
      }
    }
    for (const [pid, el] of this.audios) {
      if (!present.has(pid)) {
        el.srcObject = null;
        el.remove();
        this.audios.delete(pid);
      }
    }
  }

  private play(el: HTMLAudioElement): void {
    el.play().catch((e: unknown) => {
      if (e instanceof DOMException && e.name === 'NotAllowedError' && !this.audioBlocked) {
        this.audioBlocked = true;
        this.soundButton.hidden = false;
        announce('The browser blocked sound. Press “Enable sound” to hear the others.');
      }
    });
  }

  private resumeAudio(): void {
    this.audioBlocked = false;
    this.soundButton.hidden = true;
    for (const el of this.audios.values()) this.play(el);
  }

  destroy(): void {
    this.panels.destroy();
    this.prompts.destroy();
    this.recording.destroy();
    this.transcription.destroy();
    this.remoteControl.destroy();
    this.layoutObserver?.disconnect();
    this.reporter.destroy();
    for (const tile of this.tiles.values()) tile.destroy();
    this.tiles.clear();
    for (const el of this.audios.values()) {
      el.srcObject = null;
      el.remove();
    }
    this.audios.clear();
    this.el.remove();
  }
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function placeInOrder(parent: HTMLElement, order: HTMLElement[]): void {
  const current = Array.from(parent.children);
  if (current.length === order.length && current.every((el, i) => el === order[i])) return;
  for (const el of order) parent.appendChild(el);
}
