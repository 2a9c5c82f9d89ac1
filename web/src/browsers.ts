// Which browsers this release supports, in one place, and the pre-join
// screen's notice for a browser that is older (#browser-warning). It is
// worked out in the browser alone: no request, nothing reported. The
// notice never blocks joining: an old browser may still work, and the
// person decides.
//
// Why these minimums (docs/client.md, "Browser support"): the client
// publishes through three unified-plan transceivers, the camera's with
// two simulcast encodings given to addTransceiver (sendEncodings with
// rid, scaleResolutionDownBy, maxBitrate), switches devices with
// RTCRtpSender.replaceTrack instead of renegotiating, and expects the
// encodings back from getParameters/setParameters; the generated protocol
// validators use Object.hasOwn (ES2022) and the call layout dynamic
// viewport units (dvh). Firefox honours sendEncodings in addTransceiver
// only in recent releases, and all three engines fixed simulcast and
// replaceTrack bugs through 2023. The minimums are the oldest releases
// the client is meant for and was checked against: Chromium 120 (Chrome,
// Edge, Opera and the rest, December 2023), Firefox 115 (the ESR of July
// 2023) and Safari 17 (September 2023, on iOS every browser's engine).

import { h } from './dom';

export type Engine = 'chromium' | 'firefox' | 'webkit';

/** Oldest supported major version per engine. */
export const MINIMUM: Readonly<Record<Engine, number>> = { chromium: 120, firefox: 115, webkit: 17 };

const ENGINE_NAME: Record<Engine, string> = { chromium: 'Chromium', firefox: 'Firefox', webkit: 'Safari' };

export type Platform = 'desktop' | 'android' | 'ios';

export interface Detected {
  /** The browser's own name: "Firefox", "Edge", "Safari", "Chrome" … */
  name: string;
  /** Its own major version, as the person sees it in its About page. */
  version: number;
  engine: Engine;
  /** The engine's major version, compared with MINIMUM (on iOS, the system's). */
  engineVersion: number;
  platform: Platform;
}

function major(re: RegExp, ua: string): number | null {
  const m = re.exec(ua);
  return m?.[1] ? Number(m[1]) : null;
}

// Chromium-based browsers name themselves besides "Chrome/NNN"; the
// engine's version is Chrome's, the brand's own may differ (Opera).
const CHROMIUM_BRANDS: [RegExp, string][] = [
  [/\bEdg(?:e|A)?\/(\d+)/, 'Edge'],
  [/\bOPR\/(\d+)/, 'Opera'],
  [/\bSamsungBrowser\/(\d+)/, 'Samsung Internet'],
  [/\bVivaldi\/(\d+)/, 'Vivaldi'],
  [/\bYaBrowser\/(\d+)/, 'Yandex Browser'],
];

// On iOS every browser runs the system's WebKit: the engine is as old as iOS.
const IOS_BRANDS: [RegExp, string][] = [
  [/\bCriOS\/(\d+)/, 'Chrome'],
  [/\bFxiOS\/(\d+)/, 'Firefox'],
  [/\bEdgiOS\/(\d+)/, 'Edge'],
  [/\bOPiOS\/(\d+)/, 'Opera'],
];

/** Reads the browser from its user agent string; null when it is not one we know. */
export function detectBrowser(ua: string): Detected | null {
  if (/\b(iPhone|iPad|iPod)\b/.test(ua)) {
    const os = major(/\bOS (\d+)[_.]\d+/, ua);
    if (os === null) return null;
    for (const [re, name] of IOS_BRANDS) {
      const v = major(re, ua);
      if (v !== null) return { name, version: v, engine: 'webkit', engineVersion: os, platform: 'ios' };
    }
    return { name: 'Safari', version: major(/\bVersion\/(\d+)/, ua) ?? os, engine: 'webkit', engineVersion: os, platform: 'ios' };
  }
  const platform: Platform = /\bAndroid\b/.test(ua) ? 'android' : 'desktop';
  const firefox = major(/\bFirefox\/(\d+)/, ua);
  if (firefox !== null) return { name: 'Firefox', version: firefox, engine: 'firefox', engineVersion: firefox, platform };
  const chrome = major(/\b(?:Chrome|Chromium)\/(\d+)/, ua);
  if (chrome !== null) {
    for (const [re, name] of CHROMIUM_BRANDS) {
      const v = major(re, ua);
      if (v !== null) return { name, version: v, engine: 'chromium', engineVersion: chrome, platform };
    }
    const name = /\bChromium\//.test(ua) ? 'Chromium' : 'Chrome';
    return { name, version: chrome, engine: 'chromium', engineVersion: chrome, platform };
  }
  const safari = major(/\bVersion\/(\d+)[.\d]*(?: Mobile\/\w+)? Safari\//, ua);
  if (safari !== null) return { name: 'Safari', version: safari, engine: 'webkit', engineVersion: safari, platform };
  return null;
}

type Scope = Record<string, unknown>;

function proto(scope: Scope, ctor: string): Record<string, unknown> | null {
  const c = scope[ctor];
  return typeof c === 'function' ? ((c as { prototype?: Record<string, unknown> }).prototype ?? null) : null;
}

/** What the client cannot do without, each with the words the notice uses. */
export const REQUIRED: readonly { name: string; present(scope: Scope): boolean }[] = [
  { name: 'WebRTC', present: (s) => typeof s['RTCPeerConnection'] === 'function' },
  { name: 'WebRTC transceivers', present: (s) => typeof proto(s, 'RTCPeerConnection')?.['addTransceiver'] === 'function' },
  {
    name: 'switching devices during a call',
    present: (s) => typeof proto(s, 'RTCRtpSender')?.['replaceTrack'] === 'function',
  },
  {
    name: 'simulcast video',
    present: (s) => typeof proto(s, 'RTCRtpSender')?.['setParameters'] === 'function' && typeof proto(s, 'RTCRtpSender')?.['getParameters'] === 'function',
  },
  { name: 'WebSocket', present: (s) => typeof s['WebSocket'] === 'function' },
  { name: 'ResizeObserver', present: (s) => typeof s['ResizeObserver'] === 'function' },
  { name: 'Object.hasOwn', present: (s) => typeof (s['Object'] as { hasOwn?: unknown } | undefined)?.hasOwn === 'function' },
  {
    name: 'dynamic viewport units',
    present: (s) => {
      const css = s['CSS'] as { supports?: (condition: string) => boolean } | undefined;
      return typeof css?.supports === 'function' && css.supports('height: 1dvh');
    },
  },
];

/** The required features scope lacks (the page's globalThis by default). */
export function missingFeatures(scope: Scope = globalThis as unknown as Scope): string[] {
  return REQUIRED.filter((f) => {
    try {
      return !f.present(scope);
    } catch {
      return true;
    }
  }).map((f) => f.name);
}

export interface BrowserProblem {
  /** 'missing': a feature test failed (decisive); 'old': the user agent is older than MINIMUM. */
  reason: 'missing' | 'old';
  browser: Detected | null;
  missing: string[];
}

/**
 * Decides whether to warn. Feature tests come first: a browser that lacks
 * something is warned whatever its user agent says. Otherwise the user
 * agent decides; one we do not recognise gets no warning, since it passed
 * the feature tests.
 */
export function browserProblem(ua: string, missing: string[]): BrowserProblem | null {
  const browser = detectBrowser(ua);
  if (missing.length > 0) return { reason: 'missing', browser, missing };
  if (browser && browser.engineVersion < MINIMUM[browser.engine]) return { reason: 'old', browser, missing };
  return null;
}

/** How this browser is updated, in its own menus' words. */
export function updateHint(b: Detected | null): string {
  if (!b) return 'Install the current version of Firefox, Chrome, Edge or Safari.';
  if (b.platform === 'ios') {
    return 'On iPhone and iPad every browser uses the system’s Safari engine: update iOS in Settings → General → Software Update.';
  }
  if (b.platform === 'android') return `Update ${b.name} from your device’s app store (Google Play, or Galaxy Store for Samsung Internet).`;
  switch (b.name) {
    case 'Firefox':
      return 'Open the menu ☰ → Help → About Firefox; Firefox downloads the update and asks you to restart.';
    case 'Chrome':
      return 'Open the menu ⋮ → Help → About Google Chrome; Chrome updates itself and asks you to relaunch.';
    case 'Edge':
      return 'Open the menu … → Help and feedback → About Microsoft Edge; Edge updates itself.';
    case 'Opera':
      return 'Open the Opera menu → Update & Recovery → Check for update.';
    case 'Safari':
      return 'Safari is updated with the system: on a Mac, System Settings → General → Software Update.';
    case 'Chromium':
      return 'Install your system’s updates: Chromium comes with your Linux distribution.';
  }
  return `Check ${b.name}’s About page for an update, or install the current version of Firefox, Chrome, Edge or Safari.`;
}

/** The notice's two sentences: what is wrong, and how to update. */
export function problemText(p: BrowserProblem): { summary: string; hint: string } {
  const b = p.browser;
  const consequence = 'You can still join, but sound, video or screen sharing may not work.';
  let summary: string;
  if (p.reason === 'old' && b) {
    const min = MINIMUM[b.engine];
    // Chrome, Edge, Firefox and Safari number their releases as their
    // engine; Opera and the like do not, and on iOS the system decides.
    let needs = `${b.name} ${min} or later`;
    if (b.platform === 'ios') needs = `iOS ${min} or later`;
    else if (b.version !== b.engineVersion) needs = `a version built on ${ENGINE_NAME[b.engine]} ${min} or later`;
    summary = `Your browser (${b.name} ${b.version}) is older than Conclave supports: it needs ${needs}. ${consequence}`;
  } else {
    const which = b ? `Your browser (${b.name} ${b.version})` : 'This browser';
    summary = `${which} lacks features Conclave needs (${p.missing.join(', ')}). ${consequence}`;
  }
  const cannot = ' If you cannot update it yourself, ask whoever looks after this device.';
  return { summary, hint: `How to update: ${updateHint(b)}${cannot}` };
}

/**
 * The pre-join notice for this browser, or null when it is supported. It
 * is a polite status region, so that it is read without taking focus.
 */
export function browserWarning(ua: string = navigator.userAgent, missing: string[] = missingFeatures()): HTMLElement | null {
  const p = browserProblem(ua, missing);
  if (!p) return null;
  const { summary, hint } = problemText(p);
  const el = h('div', { id: 'browser-warning', class: 'warning-box', role: 'status', 'data-reason': p.reason }, [
    h('p', { id: 'browser-warning-text', text: summary }),
    h('p', { id: 'browser-warning-hint', text: hint }),
  ]);
  if (p.browser) {
    el.dataset['browser'] = p.browser.name;
    el.dataset['version'] = String(p.browser.version);
  }
  return el;
}
