// "/m/{id}": the meeting page. Owns the page chrome (status, errors), and
// moves between pre-join, the call (MeetingSession) and the ended panel.

import { getMe, getMediaDefaults } from './api';
import type { User } from './api';
import { announce, clear, copyText, h, showError } from './dom';
import { FINAL_ENDINGS } from './endings';
import { guestProofPanel } from './guestproof';
import { emptyState, installHook } from './hook';
import type { ConclavePcs, ConclaveState, MeetingStatus, TileState } from './hook';
import { icon } from './icons';
import { LocalMedia } from './media';
import { PrejoinView } from './prejoin';
import { Rejoiner } from './rejoin';
import type { CallView } from './callview';
import type { MediaDefaults } from './prejoin';
import type { GuestProof } from './protocol';
import { isConnected } from './rtc';
import { MeetingSession } from './session';
import type { SessionEnd } from './session';
import { installShortcuts } from './shortcuts';
import { WaitingView } from './waiting';

export function passcodeFromHash(hash: string): string | null {
  const v = new URLSearchParams(hash.replace(/^#/, '')).get('pwd');
  return v === null || v === '' ? null : v;
}

/** What the status pill says: plain words, never the state's name. */
export function statusText(status: MeetingStatus, detail: { code?: string; hostAbsent?: boolean; wasIn?: boolean } = {}): string {
  switch (status) {
    case 'prejoin':
      return 'Ready to join';
    case 'connecting':
      return 'Connecting…';
    case 'waiting':
      return detail.hostAbsent ? 'Waiting for the host' : 'Waiting to be let in';
    case 'joined':
      return 'In the meeting';
    case 'ended':
      switch (detail.code) {
        case 'left':
          return 'You left';
        case 'meeting_ended':
        case 'meeting_expired':
          return 'The meeting ended';
        case 'denied':
          return 'Not let in';
        case 'removed':
        case 'banned':
          return 'Removed from the meeting';
        case 'replaced':
          return 'Joined elsewhere';
        default:
          return 'Disconnected';
      }
    case 'error':
      return detail.wasIn ? 'Disconnected' : 'Could not join';
  }
}

export class MeetingPage {
  private status: MeetingStatus = 'prejoin';
  private statusDetail: { code?: string; hostAbsent?: boolean } = {};
  private readonly statusEl: HTMLElement;
  private readonly errorEl: HTMLElement;
  private readonly titleEl: HTMLElement;
  private readonly countEl: HTMLElement;
  /** Copy invite link: pointless, and misleading, once the call is over. */
  private readonly copyEl: HTMLElement;
  private readonly main: HTMLElement;
  private readonly media = new LocalMedia();
  private me: User | null = null;
  private mediaDefaults: MediaDefaults = { cameraOn: true, microphoneOn: true };
  private passcode: string | null;
  private prejoin: PrejoinView | null = null;
  /** The privacy notice version accepted on the pre-join screen. */
  private noticeVersion = 0;
  /** What the pre-join screen said about end-to-end encryption; a rejoin keeps it. */
  private announcedE2EE: boolean | null = null;
  private session: MeetingSession | null = null;
  private lastEnd: SessionEnd | null = null;
  /** The name given on the pre-join screen; a rejoin says it again. */
  private joinName = '';
  /** Joining again on our own after bye moved or resume_failed (rejoin.ts). */
  private readonly rejoiner = new Rejoiner<SessionEnd>();
  /** The ended session's call view, up saying "Reconnecting…" while the rejoin runs. */
  private staleView: CallView | null = null;
  /**
   * The title, once the server accepted the passcode (welcome): the page
   * shows "Meeting" before that, never the ID, and never the title to
   * anyone who has not been let in.
   */
  private knownTitle: string | null = null;
  /** The current session got as far as the call. */
  private wasIn = false;
  /**
   * The guest proofs of this page's sessions (one per participant ID, so
   * a rejoin does not lose the earlier one); in memory only.
   */
  private readonly guestProofs: GuestProof[] = [];

  constructor(
    root: HTMLElement,
    private readonly meetingId: string,
  ) {
    this.passcode = passcodeFromHash(location.hash);
    this.statusEl = h('span', { id: 'meeting-status', class: 'status-pill', role: 'status' });
    this.errorEl = h('div', { id: 'error-message', class: 'error-box', role: 'alert' });
    this.errorEl.hidden = true;
    this.titleEl = h('h1', { class: 'meeting-title', id: 'meeting-title', text: 'Meeting' });
    this.countEl = h('span', { class: 'participant-count', id: 'participant-count' });
    const copy = h('button', { type: 'button', id: 'copy-link', class: 'button subtle', title: 'Copy the invite link (contains the passcode)' }, [
      icon('link'),
      h('span', { text: 'Copy invite link' }),
    ]);
    this.copyEl = copy;
    copy.addEventListener('click', async () => {
      const ok = await copyText(this.inviteUrl());
      announce(ok ? 'Invite link copied to the clipboard.' : 'Could not copy the invite link.');
    });
    this.main = h('main', { class: 'meeting-main', id: 'main' });
    clear(root);
    root.appendChild(
      h('div', { class: 'meeting-page' }, [
        h('header', { class: 'topbar' }, [
          h('a', { class: 'brand', href: '/', 'aria-label': 'Conclave home' }, [h('span', { class: 'brand-mark', 'aria-hidden': 'true' })]),
          this.titleEl,
          this.statusEl,
          this.countEl,
          h('div', { class: 'topbar-actions' }, [copy]),
        ]),
        this.errorEl,
        this.main,
      ]),
    );
    this.setStatus('prejoin');
    document.title = 'Meeting · Conclave';
  }

  async start(): Promise<void> {
    installHook('meeting', {
      state: () => this.state(),
      pcs: () => this.pcs(),
      restartIce: (pc) => {
        const conn = pc === 'publish' ? this.session?.publisher : this.session?.subscriber;
        if (!conn || this.status !== 'joined') return false;
        conn.restartNow();
        return true;
      },
      command: (type, data) => this.session?.command(type, data) ?? 0,
      dropSignaling: (hold) => this.session?.dropSignaling(hold) ?? false,
      releaseSignaling: () => this.session?.releaseReconnect() ?? false,
      shareFile: (body, name, to) => this.session?.view?.panels.shareFile(body, name, to) ?? null,
      fetchFile: (id) => this.session?.files?.download(id) ?? null,
      openChat: (msg) => this.session?.e2ee?.chat.open(msg, false).then((r) => ({ text: r.msg.text, seal: r.seal })) ?? null,
    });
    installShortcuts({
      m: () => (this.session && this.status === 'joined' ? void this.session.toggleMic() : this.prejoin?.toggle('audio')),
      v: () => (this.session && this.status === 'joined' ? void this.session.toggleCamera() : this.prejoin?.toggle('video')),
      s: () => {
        if (this.session && this.status === 'joined') void this.session.toggleScreen();
      },
    });
    window.addEventListener('pagehide', () => {
      this.session?.leaveNow();
      this.media.stopAll();
    });
    const defaults = getMediaDefaults();
    try {
      this.me = await getMe();
    } catch {
      this.me = null;
    }
    this.mediaDefaults = await defaults;
    this.showPrejoin();
  }

  private setStatus(status: MeetingStatus, detail: { code?: string; hostAbsent?: boolean } = {}): void {
    this.status = status;
    this.statusDetail = detail;
    this.copyEl.hidden = status === 'ended' || status === 'error';
    this.statusEl.dataset['state'] = status;
    this.showStatusText();
    document.body.dataset['meetingState'] = status;
  }

  /** The pill says "Reconnecting…" while the connection is being resumed or the meeting rejoined. */
  private showStatusText(): void {
    const resuming = this.session?.reconnecting === true && (this.status === 'joined' || this.status === 'waiting');
    const reconnecting = resuming || (this.rejoiner.active && this.status === 'connecting');
    this.statusEl.dataset['reconnecting'] = reconnecting ? 'true' : 'false';
    this.statusEl.textContent = reconnecting ? 'Reconnecting…' : statusText(this.status, { ...this.statusDetail, wasIn: this.wasIn });
  }

  private showTitle(): void {
    const title = this.knownTitle || 'Meeting';
    this.titleEl.textContent = title;
    document.title = `${title} · Conclave`;
  }

  private showError(message: string | null): void {
    showError(this.errorEl, message);
  }

  private inviteUrl(): string {
    const base = location.origin + '/m/' + encodeURIComponent(this.meetingId);
    return this.passcode ? base + '#pwd=' + encodeURIComponent(this.passcode) : base;
  }

  private updateCount(): void {
    const n = this.session && this.status === 'joined' ? this.session.participants.size + 1 : 0;
    this.countEl.textContent = n === 0 ? '' : n === 1 ? '1 participant' : `${n} participants`;
    this.countEl.hidden = n === 0;
  }

  private showPrejoin(): void {
    clear(this.main);
    this.setStatus('prejoin');
    this.updateCount();
    const askPasscode = this.passcode === null || this.lastEnd?.code === 'join_refused';
    // A passcode asked for again may be a different one: forget the title.
    if (askPasscode) this.knownTitle = null;
    this.showTitle();
    const view = new PrejoinView({
      meetingId: this.meetingId,
      passcode: askPasscode ? null : this.passcode,
      me: this.me,
      media: this.media,
      defaults: this.mediaDefaults,
      showError: (m) => this.showError(m),
    });
    this.prejoin = view;
    this.main.appendChild(view.el);
    view.focus();
    void view.result.then((r) => {
      if (this.prejoin !== view) return;
      view.destroy();
      this.prejoin = null;
      this.passcode = r.passcode;
      this.noticeVersion = r.noticeVersion;
      this.announcedE2EE = r.e2ee;
      this.joinName = r.name || this.me?.name || '';
      this.join(this.joinName, r.passcode);
    });
  }

  /**
   * Starts a session. A rejoin (rejoin.ts) keeps the ended session's call
   * view up in place of the spinner, as a resume would, until the new
   * session enters or ends.
   */
  private join(name: string, passcode: string): void {
    const rejoining = this.rejoiner.active;
    if (!rejoining || !this.staleView) clear(this.main);
    this.showError(null);
    this.lastEnd = null;
    if (!rejoining) this.wasIn = false;
    this.setStatus('connecting');
    const text = rejoining ? 'Reconnecting…' : 'Connecting…';
    let pending: HTMLElement =
      this.staleView?.el ?? h('div', { class: 'connecting card', 'aria-hidden': 'true' }, [h('div', { class: 'spinner' }), h('p', { text })]);
    if (!this.staleView) this.main.appendChild(pending);
    announce(rejoining ? 'Connection to the server lost. Reconnecting…' : 'Connecting to the meeting.');
    let waitingView: WaitingView | null = null;
    const session: MeetingSession = new MeetingSession({
      meetingId: this.meetingId,
      passcode,
      name,
      noticeVersion: this.noticeVersion,
      announcedE2EE: this.announcedE2EE,
      me: this.me,
      media: this.media,
      container: this.main,
      onWaiting: (info) => {
        if (!waitingView) {
          waitingView = new WaitingView(() => this.session?.leave());
          pending.replaceWith(waitingView.el);
          pending = waitingView.el;
          waitingView.update(info);
          waitingView.focus();
        } else {
          waitingView.update(info);
        }
        // After the replaceWith: pending may be the stale view this removes.
        this.rejoined();
        this.setStatus('waiting', { hostAbsent: info.reason === 'host_absent' });
      },
      onJoined: (title) => {
        pending.remove();
        this.rejoined();
        this.wasIn = true;
        this.setStatus('joined');
        this.knownTitle = title || null;
        this.showTitle();
        this.updateCount();
      },
      onReconnecting: () => this.showStatusText(),
      onChange: () => this.updateCount(),
      onEnd: (end) => this.onEnd(end),
      // The stale view's leave button belongs to the ended session: it
      // leaves the one that replaced it.
      onLeaveAfterEnd: () => {
        if (this.session !== session) this.session?.leave();
      },
    });
    this.session = session;
  }

  /** The new session entered: a rejoin under way is over, its stale view goes. */
  private rejoined(): void {
    this.rejoiner.entered();
    this.staleView?.destroy();
    this.staleView = null;
    this.showStatusText();
  }

  private onEnd(ended: SessionEnd): void {
    this.keepGuestProof();
    const end = this.rejoiner.ended(ended);
    if (end === null) {
      // The same hello again on a new session (first-join path: new peer
      // connections after its welcome), the old view up meanwhile.
      this.staleView = ended.rejoin?.view ?? null;
      this.join(this.joinName, this.passcode ?? '');
      return;
    }
    this.staleView?.destroy();
    this.staleView = null;
    if (ended.rejoin) this.media.stopAll(); // handed over, but no rejoin follows
    if (end.code === 'notice_required') {
      // A new notice was published: show it again (the pre-join screen
      // fetches the current version) instead of an error page.
      this.session = null;
      this.showPrejoin();
      this.showError(end.message);
      return;
    }
    this.lastEnd = end;
    this.setStatus(end.status, { code: end.code });
    this.updateCount();
    clear(this.main);
    if (end.status === 'error') this.showError(end.message);
    else this.showError(null);
    const proofEl = guestProofPanel(this.guestProofs);
    announce(proofEl ? `${end.message} Your participant ID and one-time code for asking about your data are shown below.` : end.message);
    // After a denial or a ban, trying again cannot help: no button for it.
    const final = FINAL_ENDINGS.has(end.code);
    const again = final
      ? null
      : h('button', {
          type: 'button',
          id: 'rejoin',
          class: 'button primary',
          text: end.code === 'join_refused' || end.code === 'meeting_locked' ? 'Try again' : 'Rejoin',
        });
    again?.addEventListener('click', () => {
      this.session = null;
      this.showError(null);
      this.showPrejoin();
    });
    const home = h('a', { class: 'button', href: '/', text: 'Home' });
    const panel = h('section', { class: 'card ended', id: 'ended-panel', 'aria-labelledby': 'ended-title' }, [
      h('h2', { id: 'ended-title', text: end.status === 'error' ? 'Could not stay in the meeting' : 'You are not in the meeting' }),
      h('p', { id: 'ended-message', text: end.message }),
      h('div', { class: 'actions' }, [again, home]),
      proofEl,
    ]);
    this.main.appendChild(panel);
    (again ?? home).focus();
  }

  /** The ending session's guest proof joins the page's list (a rejoin does not lose it). */
  private keepGuestProof(): void {
    const proof = this.session?.guestProof ?? null;
    if (proof && !this.guestProofs.some((p) => p.token === proof.token)) this.guestProofs.push(proof);
  }

  private pcs(): ConclavePcs {
    return { publish: this.session?.publisher?.pc ?? null, subscribe: this.session?.subscriber?.pc ?? null };
  }

  private state(): ConclaveState {
    const st = emptyState('meeting');
    st.status = this.status;
    st.meetingId = this.meetingId;
    st.local = { audio: this.media.mic !== null, video: this.media.cam !== null, screen: this.media.screen !== null };
    st.effect = { chosen: this.media.effect, active: this.media.effectActive, error: this.media.effectError };
    st.error = this.errorEl.hidden ? null : this.errorEl.textContent;
    st.endCode = this.lastEnd?.code ?? null;
    const s = this.session;
    if (!s) return st;
    st.title = s.title;
    st.selfId = s.selfId || null;
    st.others = Array.from(s.participants.values(), (p) => ({ ...p }));
    st.participants = s.selfId ? [s.selfId, ...s.participants.keys()] : [];
    st.activeSpeaker = s.activeSpeaker;
    st.role = s.role;
    st.waiting = s.waiting ? { ...s.waiting } : null;
    st.lobby = s.lobby.map((e) => ({ ...e }));
    st.settings = s.status === 'joined' ? { ...s.settings } : null;
    st.canShare = s.status === 'joined' && s.canShare;
    st.chat = s.chat.entries.map((e) => ({ ...e.msg, file: e.msg.file ? { ...e.msg.file } : null, deleted_by: e.deletedBy, history: e.n === 0, seal: e.seal }));
    st.fileSharing = s.files !== null;
    st.guestProof = s.guestProof ? { participantId: s.guestProof.participant_id, expires: s.guestProof.expires } : null;
    st.byeReason = s.byeReason;
    st.errors = s.errors.map((e) => ({ ...e }));
    st.reconnecting = s.reconnecting || this.rejoiner.active;
    st.reconnectAttempts = s.reconnectAttempts;
    st.resumes = s.resumes;
    st.resumable = s.canResume;
    st.lastSeq = s.sig.lastSeq;
    if (s.e2ee) st.e2ee = { on: true, ...s.e2ee.status() };
    const view = s.view;
    if (view) {
      st.tiles = view.allTiles().map(
        (t): TileState => {
          const size = view.measure(t);
          return {
            participantId: t.participantId,
            source: t.source,
            self: t.self,
            hasVideo: t.showsVideo,
            hasTrack: t.hasTrack,
            videoWidth: t.video.videoWidth,
            videoHeight: t.video.videoHeight,
            speaking: t.isSpeaking,
            reportedWidth: size.width,
            reportedHeight: size.height,
          };
        },
      );
    }
    for (const [pid, r] of s.remote) {
      for (const source of ['audio', 'camera', 'screen'] as const) {
        const t = r[source];
        if (t) st.remoteTracks.push({ participantId: pid, source, kind: t.kind, readyState: t.readyState, muted: t.muted });
      }
    }
    const pub = s.publisher;
    const sub = s.subscriber;
    st.connected = { websocket: s.sig.isOpen && !s.reconnecting, publish: isConnected(pub?.pc ?? null), subscribe: isConnected(sub?.pc ?? null) };
    st.ice = { publish: pub?.pc.iceConnectionState ?? null, subscribe: sub?.pc.iceConnectionState ?? null };
    st.iceRestarts = { publish: pub?.restarts ?? 0, subscribe: sub?.restarts ?? 0 };
    return st;
  }
}

export async function renderMeeting(root: HTMLElement, meetingId: string): Promise<void> {
  const page = new MeetingPage(root, meetingId);
  await page.start();
}
