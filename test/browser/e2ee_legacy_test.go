package browser

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestEndToEndEncryptionEncodedStreams: Chromium's older path, for
// browsers that have createEncodedStreams but not RTCRtpScriptTransform.
// Both participants' pages lose RTCRtpScriptTransform before any script
// runs, so the client falls back to createEncodedStreams (peer connections
// made with encodedInsertableStreams, streams handed to the same worker);
// they still see each other and hear each other through it, decrypting
// every frame, and show the same safety code.
func TestEndToEndEncryptionEncodedStreams(t *testing.T) {
	srv := startServerWith(t, "--no-waiting-room", "--join-before-host", "--e2ee")
	browser := newBrowser(t)
	legacy := func(name string) *person {
		p := newPerson(t, browser, name)
		p.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument,
				page.AddScriptToEvaluateOnNewDocumentParams{Source: `delete window.RTCRtpScriptTransform;`})
			return err
		}))
		p.enter(srv, devices{camera: true, mic: true})
		p.waitFor("joined", `window.conclave && window.conclave.state().status === "joined"`, 15*time.Second)
		return p
	}
	ada, bob := legacy("Ada"), legacy("Bob")
	for _, p := range []*person{ada, bob} {
		if s := p.e2ee(); !s.On || s.Support != "encoded-streams" {
			t.Fatalf("%s: %+v, want encryption on through createEncodedStreams", p.name, s)
		}
	}
	ada.waitVideoFrom(bob.id(), "camera", 20*time.Second)
	bob.waitVideoFrom(ada.id(), "camera", 20*time.Second)
	ada.waitAudioStreams(1, 10*time.Second)
	bob.waitAudioStreams(1, 10*time.Second)
	for _, p := range []*person{ada, bob} {
		p.waitFor("frames through the worker", `(s => s.framesEncrypted > 50 && s.framesDecrypted > 50)(window.conclave.state().e2ee)`, 15*time.Second)
		if s := p.e2ee(); s.DecryptFailures != 0 || s.UnwrapFailures != 0 {
			t.Errorf("%s: %+v, want no failures", p.name, s)
		}
	}
	waitSameCode(t, "", ada, bob)
}
