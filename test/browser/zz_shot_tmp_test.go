package browser

import (
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestZZShot(t *testing.T) {
	if os.Getenv("SHOT") == "" {
		t.Skip()
	}
	srv := startModeratedServer(t)
	browser := newBrowser(t)
	host := hostJoins(t, browser, srv, devices{camera: true, mic: true})
	ada := guestArrives(t, browser, srv, "Ada Lovelace", devices{camera: true, mic: true})
	ada.waitStatus("waiting", 15*time.Second)
	bob := guestArrives(t, browser, srv, "Bob", devices{})
	bob.waitStatus("waiting", 15*time.Second)
	shot := func(p *person, name string) {
		var buf []byte
		p.do(chromedp.Sleep(500*time.Millisecond))
		ctx := p.ctx
		if err := chromedp.Run(ctx, chromedp.FullScreenshot(&buf, 80)); err != nil {
			t.Fatal(err)
		}
		os.WriteFile("/tmp/shot-"+name+".jpg", buf, 0o644)
	}
	shot(ada, "waiting")
	host.lobbyID("Bob")
	host.openPanel("lobby")
	shot(host, "lobby")
	host.click("#lobby-admit-all")
	ada.waitStatus("joined", 15*time.Second)
	bob.waitStatus("joined", 15*time.Second)
	host.openPersonActions(ada.id())
	shot(host, "people")
	host.openPanel("host")
	host.click("#lock-meeting")
	shot(host, "hostmenu")
	host.openPanel("chat")
	_ = eval[int](bob, `window.conclave.chat("hello everyone")`)
	_ = eval[int](ada, `window.conclave.chat("psst host", `+"`"+`${window.conclave.state().others.find(p=>p.role==="host").id}`+"`"+`)`)
	time.Sleep(time.Second)
	shot(host, "chat")
	shot(bob, "guest")
}
