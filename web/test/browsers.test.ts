// Checks web/src/browsers.ts: which browser a user agent names, when the
// pre-join screen warns, and what it says. Run by cmd/buildweb's
// TestWebUnitTests (esbuild bundle, then `node --test`).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MINIMUM, REQUIRED, browserProblem, detectBrowser, missingFeatures, problemText, updateHint } from '../src/browsers';

const UA = {
  firefox102: 'Mozilla/5.0 (X11; Linux x86_64; rv:102.0) Gecko/20100101 Firefox/102.0',
  firefox115: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0',
  firefoxAndroid: 'Mozilla/5.0 (Android 13; Mobile; rv:109.0) Gecko/109.0 Firefox/109.0',
  chrome119: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36',
  chrome156: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
  chromium118: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chromium/118.0.5993.70 Chrome/118.0.5993.70 Safari/537.36',
  edge109: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36 Edg/109.0.1518.78',
  opera105: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 OPR/105.0.0.0',
  samsung: 'Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36',
  safari16: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Safari/605.1.15',
  safari17: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
  iphone16: 'Mozilla/5.0 (iPhone; CPU iPhone OS 16_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
  crios: 'Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1',
  ipad17: 'Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1',
  unknown: 'Lynx/2.9.0dev.10 libwww-FM/2.14 SSL-MM/1.4.1 GNUTLS/3.7.1',
};

describe('detectBrowser', () => {
  const cases: [string, string, number, string, number][] = [
    [UA.firefox102, 'Firefox', 102, 'firefox', 102],
    [UA.firefoxAndroid, 'Firefox', 109, 'firefox', 109],
    [UA.chrome156, 'Chrome', 156, 'chromium', 156],
    [UA.chromium118, 'Chromium', 118, 'chromium', 118],
    [UA.edge109, 'Edge', 109, 'chromium', 109],
    [UA.opera105, 'Opera', 105, 'chromium', 119],
    [UA.samsung, 'Samsung Internet', 23, 'chromium', 115],
    [UA.safari16, 'Safari', 16, 'webkit', 16],
    [UA.iphone16, 'Safari', 16, 'webkit', 16],
    [UA.crios, 'Chrome', 120, 'webkit', 16],
    [UA.ipad17, 'Safari', 17, 'webkit', 17],
  ];
  for (const [ua, name, version, engine, engineVersion] of cases) {
    test(`${name} ${version}`, () => {
      const b = detectBrowser(ua);
      assert.ok(b, ua);
      assert.equal(b?.name, name);
      assert.equal(b?.version, version);
      assert.equal(b?.engine, engine);
      assert.equal(b?.engineVersion, engineVersion);
    });
  }
  test('an unknown browser', () => assert.equal(detectBrowser(UA.unknown), null));
  test('platforms', () => {
    assert.equal(detectBrowser(UA.crios)?.platform, 'ios');
    assert.equal(detectBrowser(UA.samsung)?.platform, 'android');
    assert.equal(detectBrowser(UA.safari17)?.platform, 'desktop');
  });
});

describe('browserProblem', () => {
  test('old by user agent', () => {
    for (const ua of [UA.firefox102, UA.chrome119, UA.chromium118, UA.edge109, UA.opera105, UA.safari16, UA.iphone16, UA.crios]) {
      assert.equal(browserProblem(ua, [])?.reason, 'old', ua);
    }
  });
  test('supported', () => {
    for (const ua of [UA.firefox115, UA.chrome156, UA.safari17, UA.ipad17, UA.unknown]) {
      assert.equal(browserProblem(ua, []), null, ua);
    }
  });
  test('feature tests come first', () => {
    const p = browserProblem(UA.chrome156, ['WebRTC']);
    assert.equal(p?.reason, 'missing');
    assert.equal(p?.browser?.name, 'Chrome');
    assert.equal(browserProblem(UA.unknown, ['WebSocket'])?.reason, 'missing');
  });
  test('the minimums', () => {
    assert.equal(MINIMUM.chromium, 120);
    assert.equal(MINIMUM.firefox, 115);
    assert.equal(MINIMUM.webkit, 17);
  });
});

describe('the notice', () => {
  const text = (ua: string, missing: string[] = []): { summary: string; hint: string } => {
    const p = browserProblem(ua, missing);
    assert.ok(p, ua);
    return p ? problemText(p) : { summary: '', hint: '' };
  };
  test('Firefox 102', () => {
    const t = text(UA.firefox102);
    assert.ok(t.summary.startsWith('Your browser (Firefox 102) is older than Conclave supports: it needs Firefox 115 or later.'), t.summary);
    assert.ok(t.summary.includes('You can still join'), t.summary);
    assert.ok(t.hint.includes('Help → About Firefox'), t.hint);
  });
  test('Opera numbers its own versions', () => {
    assert.ok(text(UA.opera105).summary.includes('(Opera 105)') && text(UA.opera105).summary.includes('built on Chromium 120 or later'));
  });
  test('Edge', () => assert.ok(text(UA.edge109).summary.includes('it needs Edge 120 or later')));
  test('iOS', () => {
    const t = text(UA.crios);
    assert.ok(t.summary.includes('(Chrome 120)') && t.summary.includes('iOS 17 or later'), t.summary);
    assert.ok(t.hint.includes('Settings → General → Software Update'), t.hint);
  });
  test('missing features are named', () => {
    const t = text(UA.unknown, ['WebRTC', 'WebSocket']);
    assert.ok(t.summary.startsWith('This browser lacks features Conclave needs (WebRTC, WebSocket).'), t.summary);
    assert.ok(t.hint.includes('current version of Firefox, Chrome, Edge or Safari'), t.hint);
  });
  test('every desktop browser has its own hint', () => {
    for (const ua of [UA.firefox102, UA.chrome119, UA.edge109, UA.opera105, UA.safari16, UA.chromium118]) {
      assert.notEqual(updateHint(detectBrowser(ua)), updateHint(null), ua);
    }
  });
});

describe('missingFeatures', () => {
  class Sender {
    replaceTrack(): void {}
    setParameters(): void {}
    getParameters(): void {}
  }
  class PeerConnection {
    addTransceiver(): void {}
  }
  const modern = {
    RTCPeerConnection: PeerConnection,
    RTCRtpSender: Sender,
    WebSocket: class {},
    ResizeObserver: class {},
    Object: { hasOwn: () => true },
    CSS: { supports: (c: string) => c === 'height: 1dvh' },
  };
  test('a modern scope lacks nothing', () => assert.equal(missingFeatures(modern).length, 0));
  test('an empty scope lacks everything', () => assert.equal(missingFeatures({}).length, REQUIRED.length));
  test('one missing method is named', () => {
    class OldSender {
      replaceTrack(): void {}
    }
    assert.equal(missingFeatures({ ...modern, RTCRtpSender: OldSender }).join(), 'simulcast video');
    assert.equal(missingFeatures({ ...modern, CSS: { supports: () => false } }).join(), 'dynamic viewport units');
  });
  test('a throwing test counts as missing', () => {
    const scope = { ...modern, CSS: { supports: (): boolean => { throw new Error('no'); } } };
    assert.equal(missingFeatures(scope).join(), 'dynamic viewport units');
  });
});
