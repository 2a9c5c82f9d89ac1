// The pre-join screen: name, passcode when the link had none, camera and
// microphone choice with a live preview. Both devices are optional.

import type { User } from './api';
import { browserWarning } from './browsers';
import { errorMessage, h, initials } from './dom';
import { EFFECT_LABELS, EffectPicker } from './effects';
import type { Effect } from './effects';
import { field } from './layout';
import { LocalMedia, describeMediaError, mediaSupported } from './media';
import { NoticeBlock } from './notice';
import { PrejoinEncryption } from './prejoine2ee';
import type { CaptureKind } from './media';
import { load, loadBool, save, saveBool } from './storage';

export interface PrejoinResult {
  name: string;
  passcode: string;
  /** The privacy notice version accepted; 0 when the server has none. */
  noticeVersion: number;
  /**
   * What the screen said about end-to-end encryption: true or false, or
   * null when it could not tell. The call refuses a welcome that says
   * otherwise than true (docs/e2ee.md, "Before joining").
   */
  e2ee: boolean | null;
}

export interface PrejoinOptions {
  meetingId: string;
  /** Passcode from the link; null asks for it. */
  passcode: string | null;
  me: User | null;
  media: LocalMedia;
  /**
   * The organisation's defaults (GET /api/media/defaults). A device the
   * organisation starts off is off at every join, whatever this browser
   * remembered; on, the remembered choice applies.
   */
  defaults: MediaDefaults;
  showError(message: string | null): void;
}

export interface MediaDefaults {
  cameraOn: boolean;
  microphoneOn: boolean;
}

const MAX_NAME = 64;
// Control and format characters (the server refuses both: they can spoof names).
const FORBIDDEN_CHARS = /[\p{Cc}\p{Cf}]/u;

/** Validates a display name; returns an error message or null. */
export function nameProblem(name: string, signedIn: boolean): string | null {
  const n = name.trim();
  if (n === '') return signedIn ? null : 'Enter your name so the others know who you are.';
  if (Array.from(n).length > MAX_NAME) return `Your name can have at most ${MAX_NAME} characters.`;
  if (FORBIDDEN_CHARS.test(n)) return 'Your name contains characters that are not allowed.';
  return null;
}

interface DeviceControl {
  kind: CaptureKind;
  toggle: HTMLInputElement;
  select: HTMLSelectElement;
  label: string;
  /** Says why the switch or the device list is disabled (describes both). */
  reason: HTMLElement;
}

export class PrejoinView {
  readonly el: HTMLElement;
  readonly result: Promise<PrejoinResult>;
  private resolve!: (r: PrejoinResult) => void;
  private readonly nameInput: HTMLInputElement;
  private readonly passInput: HTMLInputElement | null;
  private readonly joinButton: HTMLButtonElement;
  /** Why Join is disabled (the notice is not accepted yet). */
  private readonly joinReason: HTMLElement;
  private readonly notice: NoticeBlock;
  private readonly encryption: PrejoinEncryption;
  private readonly preview: HTMLVideoElement;
  private readonly previewBox: HTMLElement;
  private readonly avatar: HTMLElement;
  private readonly note: HTMLElement;
  private readonly mic: DeviceControl;
  private readonly cam: DeviceControl;
  private readonly effect: EffectPicker;
  private pending: Promise<void> = Promise.resolve();
  private starting = 0;
  private destroyed = false;
  private joining = false;
  private readonly notes = new Map<CaptureKind | 'effect', string>();
  private readonly onDeviceChange = (): void => {
    void this.refreshDevices();
  };

  constructor(private readonly opts: PrejoinOptions) {
    this.result = new Promise((resolve) => {
      this.resolve = resolve;
    });
    const { me } = opts;

    this.nameInput = h('input', { type: 'text', autocomplete: 'name', maxlength: MAX_NAME, required: !me, spellcheck: 'false' });
    this.nameInput.value = load('name') ?? me?.name ?? '';
    this.passInput =
      opts.passcode === null ? h('input', { type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' }) : null;

    this.mic = this.deviceControl('audio', 'prejoin-mic', 'Microphone');
    this.cam = this.deviceControl('video', 'prejoin-camera', 'Camera');

    this.preview = h('video', { id: 'prejoin-preview', class: 'mirror', autoplay: true, playsinline: true, 'aria-label': 'Camera preview' });
    this.preview.muted = true;
    this.avatar = h('div', { class: 'tile-avatar' }, [
      h('span', { class: 'avatar-circle hue-0' }),
      h('span', { class: 'preview-note', text: 'Camera is off' }),
    ]);
    this.previewBox = h('div', { class: 'preview tile' }, [this.preview, this.avatar]);

    this.note = h('p', { class: 'hint', id: 'media-note', 'aria-live': 'polite' });
    this.effect = new EffectPicker('prejoin-effect', opts.media.effect, (e) => this.pickEffect(e));
    this.joinButton = h('button', { type: 'submit', id: 'join-button', class: 'button primary large', text: 'Join', 'aria-describedby': 'join-reason' });
    this.joinReason = h('p', { class: 'hint', id: 'join-reason', text: 'Tick “I have read the privacy notice” to join.' });

    // Whether the meeting is end-to-end encrypted, asked once the passcode
    // is known (from the link, or when typed); a browser that cannot
    // encrypt media is kept out of an encrypted meeting here.
    this.encryption = new PrejoinEncryption(opts.meetingId, () => this.updateJoin());
    if (opts.passcode !== null) void this.encryption.check(opts.passcode);
    this.passInput?.addEventListener('change', () => {
      const p = this.passInput?.value.trim() ?? '';
      if (p !== '') void this.encryption.check(p);
    });
    // Join waits until the privacy notice is accepted (docs/privacy.md).
    this.notice = new NoticeBlock(() => this.updateJoin(), me !== null);
    this.updateJoin();

    const nameHint = me ? `Signed in as ${me.email}. Leave empty to use your account name.` : undefined;
    const form = h('form', { id: 'prejoin-form', class: 'stack', novalidate: true }, [
      field('join-name', 'Your name', this.nameInput, nameHint),
      this.passInput ? field('join-passcode', 'Meeting passcode', this.passInput) : null,
      h('fieldset', { class: 'devices' }, [
        h('legend', { text: 'Camera and microphone' }),
        this.switchRow(this.mic),
        this.switchRow(this.cam),
        this.selectRow(this.mic, 'prejoin-mic-select'),
        this.selectRow(this.cam, 'prejoin-camera-select'),
        this.effect.el,
        this.note,
      ]),
      this.notice.el,
      h('div', { class: 'actions' }, [this.joinButton, this.joinReason]),
      h('p', { class: 'hint' }, [h('a', { id: 'prejoin-privacy', href: '/privacy/info', target: '_blank', rel: 'noopener', text: 'What is stored about you' })]),
    ]);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.submit();
    });
    this.nameInput.addEventListener('input', () => this.renderPreview());

    // A browser older than this release supports is told so, and how to
    // update, but may still join (browsers.ts). Join's description
    // includes it, so that a screen reader repeats it there.
    const warning = browserWarning();
    if (warning) this.joinButton.setAttribute('aria-describedby', 'join-reason browser-warning');

    this.el = h('section', { class: 'prejoin card wide', 'aria-labelledby': 'prejoin-title' }, [
      h('h1', { id: 'prejoin-title', text: 'Ready to join?' }),
      warning,
      this.encryption.el,
      h('div', { class: 'prejoin-body' }, [this.previewBox, form]),
    ]);

    if (!mediaSupported()) {
      for (const c of [this.mic, this.cam]) {
        c.toggle.checked = false;
        c.toggle.disabled = true;
        c.select.disabled = true;
        c.toggle.setAttribute('aria-describedby', 'media-note');
        c.select.setAttribute('aria-describedby', 'media-note');
      }
      this.note.textContent = window.isSecureContext
        ? 'This browser offers no camera or microphone. You can still join to watch and listen.'
        : 'Camera and microphone need a secure (HTTPS) connection. You can still join to watch and listen.';
    } else {
      this.mic.toggle.checked = opts.defaults.microphoneOn && loadBool('micOn', true);
      this.cam.toggle.checked = opts.defaults.cameraOn && loadBool('camOn', true);
      navigator.mediaDevices.addEventListener?.('devicechange', this.onDeviceChange);
      this.pending = this.startWanted();
    }
    this.renderPreview();
  }

  /** Focus the first useful field (after insertion into the document). */
  focus(): void {
    (this.passInput && this.passInput.value === '' ? this.passInput : this.nameInput.value === '' ? this.nameInput : this.joinButton).focus();
  }

  /** Keyboard shortcut M / V on the pre-join screen. */
  toggle(kind: CaptureKind): void {
    const c = kind === 'audio' ? this.mic : this.cam;
    if (c.toggle.disabled) return;
    c.toggle.checked = !c.toggle.checked;
    c.toggle.dispatchEvent(new Event('change'));
  }

  destroy(): void {
    this.destroyed = true;
    if (mediaSupported()) navigator.mediaDevices.removeEventListener?.('devicechange', this.onDeviceChange);
    this.preview.srcObject = null;
    this.el.remove();
  }

  private deviceControl(kind: CaptureKind, id: string, label: string): DeviceControl {
    const toggle = h('input', { type: 'checkbox', id, role: 'switch', 'aria-describedby': id + '-reason' });
    const reason = h('p', { class: 'hint', id: id + '-reason' });
    reason.hidden = true;
    const select = h('select', { id: id + '-select', 'aria-describedby': reason.id });
    const c: DeviceControl = { kind, toggle, select, label, reason };
    toggle.addEventListener('change', () => {
      saveBool(kind === 'audio' ? 'micOn' : 'camOn', toggle.checked);
      this.queue(async () => {
        if (toggle.checked) await this.start(c);
        else if (kind === 'audio') this.opts.media.stopMic();
        else this.opts.media.stopCamera();
      });
    });
    select.addEventListener('change', () => {
      const deviceId = select.value;
      this.queue(async () => {
        try {
          await this.opts.media.selectDevice(kind, deviceId);
          this.notes.delete(kind);
        } catch (e) {
          this.notes.set(kind, `${label}: ${describeMediaError(e)}.`);
          toggle.checked = false;
        }
      });
    });
    return c;
  }

  /** A background effect was picked: the preview shows it once it runs. */
  private pickEffect(e: Effect): void {
    this.queue(async () => {
      await this.opts.media.setEffect(e);
      this.noteEffect();
    });
  }

  private noteEffect(): void {
    const media = this.opts.media;
    if (media.effectError === null) this.notes.delete('effect');
    else this.notes.set('effect', `${EFFECT_LABELS[media.effect]} is not available: ${media.effectError}.`);
  }

  private switchRow(c: DeviceControl): HTMLElement {
    return h('div', { class: 'switch-row' }, [
      c.toggle,
      h('label', { for: c.toggle.id, text: c.label }),
    ]);
  }

  private selectRow(c: DeviceControl, id: string): HTMLElement {
    return h('div', { class: 'field' }, [h('label', { for: id, text: c.kind === 'audio' ? 'Microphone device' : 'Camera device' }), c.select, c.reason]);
  }

  /** Device work runs one step at a time; Join waits for it. */
  private queue(step: () => Promise<void>): void {
    this.starting += 1;
    this.renderPreview();
    this.pending = this.pending
      .then(step)
      .catch((e: unknown) => console.warn('conclave: device step failed', e))
      .then(() => {
        this.starting -= 1;
        return this.afterDeviceStep();
      });
  }

  private async startWanted(): Promise<void> {
    this.starting += 1;
    try {
      await this.startWantedDevices();
    } finally {
      this.starting -= 1;
      await this.afterDeviceStep();
    }
  }

  private async startWantedDevices(): Promise<void> {
    const wantMic = this.mic.toggle.checked;
    const wantCam = this.cam.toggle.checked;
    const media = this.opts.media;
    if (wantMic && wantCam) {
      const { micError, camError } = await media.startBoth();
      this.noteError(this.mic, micError);
      this.noteError(this.cam, camError);
    } else if (wantMic) {
      await this.start(this.mic);
    } else if (wantCam) {
      await this.start(this.cam);
    }
  }

  private async start(c: DeviceControl): Promise<void> {
    try {
      if (c.kind === 'audio') await this.opts.media.startMic();
      else await this.opts.media.startCamera();
      this.notes.delete(c.kind);
    } catch (e) {
      this.noteError(c, e);
    }
  }

  private noteError(c: DeviceControl, e: unknown): void {
    if (e === null || e === undefined) {
      this.notes.delete(c.kind);
      return;
    }
    c.toggle.checked = false;
    this.notes.set(c.kind, `${c.label} off: ${describeMediaError(e)}.`);
  }

  private async afterDeviceStep(): Promise<void> {
    if (this.destroyed) return;
    this.noteEffect();
    this.effect.set(this.opts.media.effect);
    await this.refreshDevices();
    this.renderPreview();
  }

  private async refreshDevices(): Promise<void> {
    const media = this.opts.media;
    const lists = await media.listDevices();
    if (this.destroyed) return;
    this.fillSelect(this.mic, lists.mics, media.mic ? media.mic.getSettings().deviceId ?? media.micDeviceId : media.micDeviceId);
    this.fillSelect(this.cam, lists.cams, media.rawCam ? media.rawCam.getSettings().deviceId ?? media.camDeviceId : media.camDeviceId);
  }

  private fillSelect(c: DeviceControl, devices: MediaDeviceInfo[], selected: string): void {
    const select = c.select;
    select.replaceChildren();
    const usable = devices.filter((d) => d.deviceId !== '');
    if (devices.length === 0) {
      select.appendChild(h('option', { value: '', text: c.kind === 'audio' ? 'No microphone found' : 'No camera found' }));
      select.disabled = true;
      const running = c.kind === 'audio' ? this.opts.media.mic : this.opts.media.cam;
      if (!running) {
        c.toggle.checked = false;
        c.toggle.disabled = true;
      }
      setReason(c, `This browser reports no ${c.kind === 'audio' ? 'microphone' : 'camera'}. Connect one, or join without.`);
      return;
    }
    c.toggle.disabled = false;
    if (usable.length === 0) {
      // No permission yet: ids and labels are hidden until a device is started.
      select.appendChild(h('option', { value: '', text: 'Default' }));
      select.disabled = true;
      setReason(c, `Turn the ${c.label.toLowerCase()} on to choose a device: the browser names them only after you allow access.`);
      return;
    }
    setReason(c, null);
    usable.forEach((d, i) => {
      const label = d.label || `${c.label} ${i + 1}`;
      select.appendChild(h('option', { value: d.deviceId, text: label, selected: d.deviceId === selected }));
    });
    if (selected && usable.some((d) => d.deviceId === selected)) select.value = selected;
    select.disabled = false;
  }

  private renderPreview(): void {
    const media = this.opts.media;
    const cam = media.cam;
    const current = this.preview.srcObject instanceof MediaStream ? this.preview.srcObject.getVideoTracks()[0] : undefined;
    if (cam && current !== cam) {
      this.preview.srcObject = new MediaStream([cam]);
      this.preview.play().catch(() => undefined);
    } else if (!cam && this.preview.srcObject) {
      this.preview.srcObject = null;
    }
    this.previewBox.classList.toggle('no-video', !cam);
    // Which effect the preview shows (tests and styles read it).
    this.preview.dataset['effect'] = media.effectActive ? media.effect : 'none';
    const circle = this.avatar.firstElementChild;
    if (circle) circle.textContent = initials(this.nameInput.value || this.opts.me?.name || '');
    if (mediaSupported()) {
      const lines = Array.from(this.notes.values());
      if (this.starting > 0) lines.push('Starting camera and microphone…');
      else if (lines.length === 0 && !media.mic && !media.cam) lines.push('You will join with camera and microphone off.');
      this.note.textContent = lines.join(' ');
    }
  }

  private updateJoin(): void {
    if (this.joining) return;
    const blocked = this.encryption.blocked;
    this.joinButton.disabled = !this.notice.accepted || blocked;
    this.joinReason.textContent = blocked ? 'This browser cannot join an end-to-end encrypted meeting.' : 'Tick “I have read the privacy notice” to join.';
    this.joinReason.hidden = this.notice.accepted && !blocked;
  }

  private async submit(): Promise<void> {
    if (this.joining) return;
    if (!this.notice.accepted) {
      this.opts.showError('Read the privacy notice and tick the box to join.');
      return;
    }
    const name = this.nameInput.value.trim();
    const problem = nameProblem(name, this.opts.me !== null);
    if (problem) {
      this.opts.showError(problem);
      this.nameInput.focus();
      return;
    }
    let passcode = this.opts.passcode ?? '';
    if (this.passInput) {
      passcode = this.passInput.value.trim();
      if (passcode === '') {
        this.opts.showError('Enter the meeting passcode.');
        this.passInput.focus();
        return;
      }
    }
    // The screen must have said what the meeting is before anyone enters:
    // the check runs now if it has not (once per passcode).
    // A refused passcode still goes on to the join, which says so as
    // always (join_refused).
    await this.encryption.check(passcode);
    if (this.encryption.blocked) return;
    this.opts.showError(null);
    this.joining = true;
    this.joinButton.disabled = true;
    this.joinReason.hidden = true;
    this.joinButton.textContent = 'Joining…';
    try {
      await this.pending; // devices still starting (permission prompt)
    } catch (e) {
      console.warn('conclave: device start failed', errorMessage(e));
    }
    if (name !== '') save('name', name);
    this.resolve({ name, passcode, noticeVersion: this.notice.version, e2ee: this.encryption.announced });
  }
}

function setReason(c: DeviceControl, text: string | null): void {
  c.reason.textContent = text ?? '';
  c.reason.hidden = text === null;
}
