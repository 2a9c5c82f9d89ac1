package browser

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/webmtest"
)

// Recording as the people in the meeting meet it (docs/privacy.md,
// "Recording"): the host records with a purpose; everyone is asked in a
// dialog; Ada agrees, Bob declines with Escape, the host declines too; the
// banner tells each whether they are recorded. The server is then killed
// (kill -9) mid-recording: after a restart the recording, cut short, holds
// Ada's camera and microphone and nothing of anyone else's, and plays.

func TestRecordingWithConsent(t *testing.T) {
	t.Setenv("CONCLAVE_RECORDING", "true")
	srv := startServerWith(t, "--host", hostEmail, "--no-waiting-room", "--join-before-host", "--recording")
	browser := newBrowser(t)
	host := hostJoins(t, browser, srv, devices{})
	ada := join(t, browser, srv, "Ada", devices{camera: true, mic: true})
	bob := join(t, browser, srv, "Bob", devices{camera: true, mic: true})
	if eval[bool](ada, `!document.querySelector("#recording-start").hidden`) {
		t.Fatal("a guest is offered to record")
	}

	host.waitFor("the Record button", `!document.querySelector("#recording-start").hidden`, 10*time.Second)
	host.click("#recording-start")
	host.waitFor("the purpose dialog", `document.querySelector("#recording-purpose-dialog")?.open === true`, 5*time.Second)
	host.do(chromedp.SendKeys("#recording-purpose", "Minutes of the browser test"))
	host.click("#recording-purpose-start")

	for _, p := range []*person{host, ada, bob} {
		p.waitFor("the consent request", `document.querySelector("#recording-consent")?.open === true`, 10*time.Second)
		if !p.hasText("#recording-consent-text", "Minutes of the browser test") || !p.hasText("#recording-consent-text", "Host is recording") {
			t.Fatalf("%s was asked without the purpose or who records", p.name)
		}
		if eval[string](p, `document.activeElement.id`) != "recording-consent-no" {
			t.Fatalf("%s: focus is not on a choice in the dialog", p.name)
		}
	}
	ada.click("#recording-consent-yes")
	bob.do(chromedp.KeyEvent(kb.Escape))
	host.click("#recording-consent-no")
	ada.waitText("#recording-status", "you are recorded", 10*time.Second)
	bob.waitText("#recording-status", "you are not recorded", 10*time.Second)
	host.waitText("#recording-status", "you are not recorded", 10*time.Second)
	if eval[string](bob, `document.querySelector("#recording-banner").getAttribute("role")`) != "status" {
		t.Fatal("the banner is not announced")
	}

	// Ada's media on disk, sealed; then the server dies as a crash would.
	dir := filepath.Join(srv.data, "recordings")
	waitDisk(t, dir, 2, 2000, 150000)
	if err := syscall.Kill(srv.pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	adaID := strings.Trim(ada.state("selfId"), `"`)
	base := srv.restart(t)

	c := apiSignIn(t, base)
	var list struct {
		Recordings []struct {
			ID        string `json:"id"`
			EndReason string `json:"end_reason"`
			Tracks    []struct {
				ID    string `json:"id"`
				Owner string `json:"owner"`
				Kind  string `json:"kind"`
			} `json:"tracks"`
		} `json:"recordings"`
	}
	getJSON(t, c, base+"/api/recordings", &list)
	if len(list.Recordings) != 1 || list.Recordings[0].EndReason != "interrupted" {
		t.Fatalf("recordings after the crash: %+v", list)
	}
	rec := list.Recordings[0]
	kinds := map[string]bool{}
	for _, tr := range rec.Tracks {
		if tr.Owner != adaID {
			t.Fatalf("track %+v is not Ada's (%s)", tr, adaID)
		}
		kinds[tr.Kind] = true
		body := get(t, c, base+"/api/recordings/"+rec.ID+"/tracks/"+tr.ID+"/download")
		if n := webmFrames(t, body); n < 5 {
			t.Fatalf("%s track plays %d frames", tr.Kind, n)
		}
	}
	if !kinds["audio"] || !kinds["video"] {
		t.Fatalf("kinds recorded: %v", kinds)
	}

	// The host plays it in the recordings page.
	viewer := signIn(t, browser, srv, hostEmail)
	viewer.do(chromedp.Navigate(base + "/recordings"))
	viewer.waitFor("the recording's tracks listed", `document.querySelectorAll("#recordings-list video").length === 1`, 20*time.Second)
	// Play, as a person presses play (muted: no autoplay policy applies),
	// until frames are decoded from the decrypted stream.
	viewer.waitFor("Ada's video playing", `(async () => {
		const v = document.querySelector("#recordings-list video");
		v.muted = true;
		await v.play().catch(() => {});
		return v.readyState >= 2 && v.videoWidth > 0;
	})()`, 20*time.Second)
}

// waitDisk waits until n sealed files under dir hold at least size bytes
// each and total bytes together: a second of Ada's audio and several
// seconds of her video (one keyframe alone can pass size).
func waitDisk(t *testing.T, dir string, n int, size, total int64) {
	t.Helper()
	eventually.True(t, "the recording on disk", func() bool {
		big, sum := 0, int64(0)
		_ = filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				sum += info.Size()
				if info.Size() >= size {
					big++
				}
			}
			return nil
		})
		return big >= n && sum >= total
	})
}

func apiSignIn(t *testing.T, base string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	body, _ := json.Marshal(map[string]string{"email": hostEmail, "password": hostPassword})
	res, err := c.Post(base+"/api/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("login: %s", res.Status)
	}
	return c
}

func get(t *testing.T, c *http.Client, url string) []byte {
	t.Helper()
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v %s", url, res.Status, err, b)
	}
	return b
}

func getJSON(t *testing.T, c *http.Client, url string, v any) {
	t.Helper()
	if err := json.Unmarshal(get(t, c, url), v); err != nil {
		t.Fatal(err)
	}
}

// webmFrames counts the blocks of a WebM file (one cut by the crash
// included: what precedes the cut is read).
func webmFrames(t *testing.T, b []byte) int {
	t.Helper()
	return len(webmtest.Decode(t, b).Frames)
}
