// The participant's own microphone, camera and screen share during a call:
// turning them on and off (one change at a time per source), a host's
// mute, background effects. The session (session.ts) owns the call; this
// owns what the toggles are doing.

import type { CallView } from './callview';
import { announce } from './dom';
import type { Effect } from './effects';
import { describeMediaError, errorName } from './media';
import type { LocalMedia } from './media';
import type { Source } from './protocol';
import type { Publisher } from './rtc';
import { confirmScreenShare } from './sharereminder';

const SOURCE_NAME: Record<Source, string> = { audio: 'microphone', camera: 'camera', screen: 'screen share' };
const TOGGLE_OF: Record<Source, 'mic' | 'camera' | 'screen'> = { audio: 'mic', camera: 'camera', screen: 'screen' };

/** What the controls need of the session. */
export interface ControlsHost {
  readonly media: LocalMedia;
  publisher(): Publisher | null;
  view(): CallView | null;
  /** In the meeting (not waiting, not ended): toggles work only then. */
  joined(): boolean;
  ended(): boolean;
  /** The participant's role lets them share their screen. */
  canShare(): boolean;
  sendMediaState(): void;
  changed(): void;
}

export class LocalControls {
  private readonly busy = { mic: false, camera: false, screen: false };
  /** Sources a host muted while a toggle of them was under way. */
  private readonly pendingOff = new Set<'mic' | 'camera' | 'screen'>();

  constructor(private readonly host: ControlsHost) {}

  /**
   * A host turned one of our sources off. The server already stopped
   * forwarding it; turning it off here is the user's own toggle path, so
   * the device light goes out and media_state tells the truth.
   */
  async muted(source: Source): Promise<void> {
    const which = TOGGLE_OF[source];
    const on = source === 'audio' ? this.host.media.mic : source === 'camera' ? this.host.media.cam : this.host.media.screen;
    this.host.view()?.prompts.show(`The host turned off your ${SOURCE_NAME[source]}.`);
    if (this.busy[which]) {
      this.pendingOff.add(which); // the running toggle turns it off when done
    } else if (on) {
      await this.turnOff(which);
    } else {
      this.host.sendMediaState();
    }
  }

  private async turnOff(which: 'mic' | 'camera' | 'screen'): Promise<void> {
    const m = this.host.media;
    if (which === 'mic' && m.mic) await this.toggleMic();
    else if (which === 'camera' && m.cam) await this.toggleCamera();
    else if (which === 'screen' && m.screen) await this.stopScreen();
  }

  /** The person accepted a host's request to turn a source on. */
  async turnOn(source: 'audio' | 'camera'): Promise<void> {
    if (source === 'audio' && !this.host.media.mic) await this.toggleMic();
    if (source === 'camera' && !this.host.media.cam) await this.toggleCamera();
  }

  async toggleMic(): Promise<void> {
    await this.toggle('mic', async () => {
      const media = this.host.media;
      if (media.mic) {
        await this.host.publisher()?.setTrack('audio', null);
        media.stopMic();
        announce('Microphone off.');
      } else {
        const track = await this.startOr('microphone', () => media.startMic());
        if (!track) return;
        await this.attach('audio', track, () => media.stopMic());
        announce('Microphone on.');
      }
    });
  }

  async toggleCamera(): Promise<void> {
    await this.toggle('camera', async () => {
      const media = this.host.media;
      if (media.cam) {
        await this.host.publisher()?.setTrack('camera', null);
        media.stopCamera(); // the camera light goes off
        announce('Camera off.');
      } else {
        const track = await this.startOr('camera', () => media.startCamera());
        if (!track) return;
        await this.attach('camera', track, () => media.stopCamera());
        announce('Camera on.');
      }
    });
  }

  async toggleScreen(): Promise<void> {
    if (this.host.media.screen) {
      await this.stopScreen();
      return;
    }
    if (!this.host.canShare()) {
      announce('Only presenters can share their screen.');
      return;
    }
    if (!(await confirmScreenShare(this.host.view()?.share.el ?? null))) {
      announce('Screen sharing was cancelled.');
      return;
    }
    await this.toggle('screen', async () => {
      const media = this.host.media;
      let track: MediaStreamTrack;
      try {
        track = await media.startScreen();
      } catch (e) {
        // Cancelling the browser's picker (or a refusal without asking) is
        // said quietly; anything else is an error worth explaining.
        announce(errorName(e) === 'NotAllowedError'
          ? 'Screen sharing was cancelled.'
          : `Could not share the screen: ${describeMediaError(e)}.`);
        return;
      }
      // Stopping from the browser's own "Stop sharing" UI ends the track.
      track.addEventListener('ended', () => {
        if (this.host.media.screen === track) void this.stopScreen();
      });
      await this.attach('screen', track, () => media.stopScreen());
      announce('You are sharing your screen.');
    });
  }

  /** A background effect was picked in the call: the sent camera changes with the preview. */
  async setEffect(effect: Effect): Promise<void> {
    const media = this.host.media;
    if (!media.rawCam) {
      await media.setEffect(effect);
      this.host.changed();
      return;
    }
    await this.toggle('camera', async () => {
      await media.setEffect(effect, async (track) => {
        await this.host.publisher()?.setTrack('camera', track);
      });
      announce(media.effectError !== null ? `The background effect is not available: ${media.effectError}.` : 'Background effect changed.');
    });
  }

  async stopScreen(): Promise<void> {
    await this.toggle('screen', async () => {
      if (!this.host.media.screen) return;
      await this.host.publisher()?.setTrack('screen', null);
      this.host.media.stopScreen();
      announce('You stopped sharing your screen.');
    });
  }

  private async toggle(which: 'mic' | 'camera' | 'screen', work: () => Promise<void>): Promise<void> {
    if (!this.host.joined() || this.busy[which]) return;
    this.busy[which] = true;
    this.host.view()?.setBusy(which, true);
    try {
      await work();
    } catch (e) {
      console.warn('conclave: toggle failed', e);
      announce(`Something went wrong: ${describeMediaError(e)}.`);
    } finally {
      this.busy[which] = false;
      this.host.view()?.setBusy(which, false);
      if (!this.host.ended()) {
        this.host.sendMediaState();
        this.host.changed();
      }
    }
    if (this.pendingOff.delete(which) && !this.host.ended()) await this.turnOff(which);
  }

  private async startOr(what: string, start: () => Promise<MediaStreamTrack>): Promise<MediaStreamTrack | null> {
    try {
      return await start();
    } catch (e) {
      announce(`Could not turn on the ${what}: ${describeMediaError(e)}.`);
      return null;
    }
  }

  private async attach(source: Source, track: MediaStreamTrack, undo: () => void): Promise<void> {
    if (this.host.ended()) {
      undo();
      return;
    }
    try {
      await this.host.publisher()?.setTrack(source, track);
    } catch (e) {
      undo();
      throw e;
    }
  }
}
