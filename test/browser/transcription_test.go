package browser

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Transcription as the people in the meeting meet it (docs/transcripts.md):
// the host transcribes with a purpose; everyone is asked, told where the
// audio goes; Ada (whose microphone plays a sentence Flite spoke) agrees,
// Bob declines with Escape; Vic, who speaks not, turns captions on and
// sees Ada's words under her name, and nothing of Bob's.

const adaSays = "please open the door and close the window"

// speechWAV is adaSays spoken by Flite, followed by two seconds of
// silence, as a WAV file Chromium's fake microphone loops.
func speechWAV(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"flite", "ffmpeg", "pocketsphinx_continuous"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s not installed (test.sh installs it)", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
	dir := t.TempDir()
	raw, wav := filepath.Join(dir, "flite.wav"), filepath.Join(dir, "speech.wav")
	if out, err := exec.Command("flite", "-voice", "slt", "-t", adaSays, "-o", raw).CombinedOutput(); err != nil {
		t.Fatalf("flite: %v\n%s", err, out)
	}
	if out, err := exec.Command("ffmpeg", "-v", "error", "-i", raw, "-af", "apad=pad_dur=2", "-ar", "48000", "-ac", "1",
		"-c:a", "pcm_s16le", wav).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	return wav
}

func TestTranscriptionWithConsentAndCaptions(t *testing.T) {
	wav := speechWAV(t)
	t.Setenv("CONCLAVE_TRANSCRIPTION", "true") // and no recording: transcription is an option of its own
	srv := startServerWith(t, "--host", hostEmail, "--no-waiting-room", "--join-before-host", "--transcription")
	browser := newBrowser(t)
	speaking := newBrowser(t, chromedp.Flag("use-file-for-fake-audio-capture", wav))
	host := hostJoins(t, browser, srv, devices{})
	ada := join(t, speaking, srv, "Ada", devices{mic: true})
	bob := join(t, browser, srv, "Bob", devices{mic: true})
	vic := join(t, browser, srv, "Vic", devices{})
	if eval[bool](ada, `!document.querySelector("#transcription-start").hidden`) {
		t.Fatal("a guest is offered to transcribe")
	}

	host.waitFor("the Transcribe button", `!document.querySelector("#transcription-start").hidden`, 10*time.Second)
	host.click("#transcription-start")
	host.waitFor("the purpose dialog", `document.querySelector("#transcription-purpose-dialog")?.open === true`, 5*time.Second)
	host.do(chromedp.SendKeys("#transcription-purpose", "Captions for the browser test"))
	host.click("#transcription-purpose-start")

	for _, p := range []*person{host, ada, bob, vic} {
		p.waitFor("the consent request", `document.querySelector("#transcription-consent")?.open === true`, 10*time.Second)
		if !p.hasText("#transcription-consent-text", "Captions for the browser test") || !p.hasText("#transcription-consent-text", "on this server") {
			t.Fatalf("%s was asked without the purpose or where the audio goes", p.name)
		}
	}
	ada.click("#transcription-consent-yes")
	bob.do(chromedp.KeyEvent(kb.Escape))
	host.click("#transcription-consent-no")
	vic.click("#transcription-consent-no")
	ada.waitText("#transcription-status", "you are transcribed", 10*time.Second)
	bob.waitText("#transcription-status", "you are not transcribed", 10*time.Second)

	vic.click("#toggle-captions")
	if eval[string](vic, `document.querySelector("#toggle-captions").getAttribute("aria-pressed")`) != "true" {
		t.Fatal("the captions switch does not say it is on")
	}
	vic.waitFor("Ada's words in the captions", `[...document.querySelectorAll("#captions .caption")].some(
		(c) => c.dataset.final === "true" && c.textContent.startsWith("Ada: ") && c.textContent.includes("window"))`, 60*time.Second)
	adaID := eval[string](ada, `window.conclave.state().selfId`)
	if others := eval[int](vic, `[...document.querySelectorAll("#captions .caption")].filter((c) => c.dataset.participant !== `+
		strconv.Quote(adaID)+`).length`); others != 0 {
		t.Fatalf("%d captions are not Ada's", others)
	}
	if eval[bool](bob, `document.querySelectorAll("#captions .caption").length > 0 || !document.querySelector("#captions").hidden`) {
		t.Fatal("Bob sees captions he did not turn on")
	}

	// The host finds the stored transcript on the recordings page,
	// searches it and has both downloads offered.
	viewer := signIn(t, browser, srv, hostEmail)
	viewer.do(chromedp.Navigate(srv.base + "/recordings"))
	viewer.waitFor("the transcripts section", `!!document.querySelector("#transcripts-meeting")`, 15*time.Second)
	viewer.do(chromedp.SendKeys("#transcripts-meeting", srv.meetingID+kb.Enter))
	viewer.waitFor("the meeting's transcript listed", `!!document.querySelector("#transcripts-list [data-transcript]")`, 15*time.Second)
	viewer.do(chromedp.SendKeys(`#transcripts-list input[type="search"]`, "window"+kb.Enter))
	viewer.waitFor("Ada's line found", `[...document.querySelectorAll("#transcripts-list .transcript-lines li")].some(
		(l) => l.textContent.includes("Ada: ") && l.textContent.includes("window"))`, 15*time.Second)
	for _, format := range []string{"txt", "vtt"} {
		if !eval[bool](viewer, `!!document.querySelector('#transcripts-list a[href$="/download?format=`+format+`"]')`) {
			t.Fatalf("no %s download link", format)
		}
	}
}
