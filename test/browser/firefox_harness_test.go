package browser

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func firefoxPath() string {
	if p := os.Getenv("CONCLAVE_FIREFOX"); p != "" {
		return p
	}
	for _, name := range []string{"firefox-esr", "firefox"} {
		if _, err := exec.LookPath(name); err == nil {
			return name
		}
	}
	return "firefox-esr"
}

// firefoxPrefs go into the fresh profile's user.js: fake camera and
// microphone without prompts (Firefox has no fake screen), autoplay
// allowed, plain host ICE candidates, and nothing that talks to the
// Internet (updates, telemetry, Safe Browsing, remote settings, captive
// portal and connectivity checks, plugin downloads, prefetching).
var firefoxPrefs = map[string]any{
	// media
	"media.navigator.streams.fake":             true,
	"media.navigator.permission.disabled":      true,
	"media.getusermedia.screensharing.enabled": true,
	"media.autoplay.default":                   0,
	"media.autoplay.blocking_policy":           0,
	// Asks for loopback host candidates, but Firefox 153 gathers none
	// anyway: it uses the machine's other interface addresses and reaches
	// the server's 127.0.0.1 candidate from them, over loopback.
	"media.peerconnection.ice.loopback":                 true,
	"media.peerconnection.ice.obfuscate_host_addresses": false, // no mDNS names
	"media.peerconnection.ice.default_address_only":     false,
	"media.peerconnection.ice.proxy_only":               false,
	"media.peerconnection.ice.relay_only":               false,
	"media.peerconnection.ice.link_local":               false,
	"media.peerconnection.identity.enabled":             false,
	// Firefox turns on a 1280x720 simulcast layer only once its bandwidth
	// estimate covers that layer's minimum, 1.2 Mbit/s (Chromium's is about
	// half), on top of layer l: left to ramp up from 300 kbit/s, that took
	// 4 to 22 s on loopback. A floor of 2 Mbit/s, what any LAN offers,
	// makes layer h start at once, so the test need not wait for it.
	"media.peerconnection.video.min_bitrate_estimate": 2000, // kbit/s
	"media.gmp-manager.updateEnabled":                 false,
	"media.gmp-manager.url":                           "",
	"media.gmp-gmpopenh264.enabled":                   false,
	"media.gmp-gmpopenh264.autoupdate":                false,
	"media.gmp-widevinecdm.enabled":                   false,
	"media.eme.enabled":                               false,
	// startup and UI
	"browser.shell.checkDefaultBrowser":        false,
	"browser.startup.page":                     0,
	"browser.startup.homepage":                 "about:blank",
	"browser.startup.homepage_override.mstone": "ignore",
	"startup.homepage_welcome_url":             "about:blank",
	"startup.homepage_welcome_url.additional":  "",
	"browser.aboutwelcome.enabled":             false,
	"browser.newtabpage.enabled":               false,
	"browser.sessionstore.resume_from_crash":   false,
	"browser.tabs.warnOnClose":                 false,
	"browser.warnOnQuit":                       false,
	"toolkit.startup.max_resumed_crashes":      -1,
	"browser.translations.enable":              false,
	"dom.disable_beforeunload":                 true,
	// no phoning home
	"app.update.enabled":                                         false,
	"app.update.auto":                                            false,
	"app.update.disabledForTesting":                              true,
	"app.normandy.enabled":                                       false,
	"app.shield.optoutstudies.enabled":                           false,
	"datareporting.healthreport.uploadEnabled":                   false,
	"datareporting.policy.dataSubmissionEnabled":                 false,
	"datareporting.usage.uploadEnabled":                          false,
	"toolkit.telemetry.enabled":                                  false,
	"toolkit.telemetry.unified":                                  false,
	"toolkit.telemetry.archive.enabled":                          false,
	"toolkit.telemetry.server":                                   "",
	"toolkit.coverage.endpoint.base":                             "",
	"browser.ping-centre.telemetry":                              false,
	"browser.discovery.enabled":                                  false,
	"network.captive-portal-service.enabled":                     false,
	"network.connectivity-service.enabled":                       false,
	"network.trr.mode":                                           5,
	"network.dns.disablePrefetch":                                true,
	"network.prefetch-next":                                      false,
	"network.predictor.enabled":                                  false,
	"network.http.speculative-parallel-limit":                    0,
	"extensions.update.enabled":                                  false,
	"extensions.getAddons.cache.enabled":                         false,
	"extensions.blocklist.enabled":                               false,
	"browser.safebrowsing.malware.enabled":                       false,
	"browser.safebrowsing.phishing.enabled":                      false,
	"browser.safebrowsing.blockedURIs.enabled":                   false,
	"browser.safebrowsing.downloads.enabled":                     false,
	"browser.safebrowsing.downloads.remote.enabled":              false,
	"browser.safebrowsing.provider.google4.updateURL":            "",
	"browser.safebrowsing.provider.mozilla.updateURL":            "",
	"services.settings.server":                                   "data:,#remote-settings-dummy/v1",
	"messaging-system.rsexperimentloader.enabled":                false,
	"security.remote_settings.crlite_filters.enabled":            false,
	"security.remote_settings.intermediates.enabled":             false,
	"security.OCSP.enabled":                                      0,
	"browser.region.network.url":                                 "",
	"browser.region.update.enabled":                              false,
	"browser.search.update":                                      false,
	"geo.enabled":                                                false,
	"geo.provider.network.url":                                   "",
	"dom.push.connection.enabled":                                false,
	"dom.push.serverURL":                                         "",
	"identity.fxaccounts.enabled":                                false,
	"browser.topsites.contile.enabled":                           false,
	"browser.newtabpage.activity-stream.feeds.system.topstories": false,
}

// writeUserJS writes prefs as a user.js into the profile directory.
func writeUserJS(profile string, prefs map[string]any) error {
	keys := make([]string, 0, len(prefs))
	for k := range prefs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v, err := json.Marshal(prefs[k])
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "user_pref(%q, %s);\n", k, v)
	}
	return os.WriteFile(filepath.Join(profile, "user.js"), []byte(b.String()), 0o600)
}

// firefox is a headless Firefox with a fresh profile, driven over
// WebDriver BiDi.
type firefox struct {
	*bidiConn
	version string
	tab     string // the first tab's browsing context
	log     *lockedLog
	pid     int // also the process group of all its processes
}

var bidiListening = regexp.MustCompile(`WebDriver BiDi listening on (ws://\S+)`)

// startFirefox starts Firefox headless with its BiDi server on a free
// loopback port and opens a session. It is stopped when the test ends.
func startFirefox(t *testing.T) *firefox {
	t.Helper()
	return startFirefoxAsync(t)()
}

// startFirefoxAsync is startFirefox in the background, so that other set-up
// can run meanwhile: the function it returns waits until Firefox is ready.
func startFirefoxAsync(t *testing.T) func() *firefox {
	t.Helper()
	path, err := exec.LookPath(firefoxPath())
	if err != nil {
		t.Fatalf("Firefox not found (%v): apt-get install firefox-esr (./test.sh does this)", err)
	}
	profile := t.TempDir()
	if err := writeUserJS(profile, firefoxPrefs); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, "--headless", "--remote-debugging-port=0",
		"-profile", profile, "-no-remote", "--window-size=1280,800", "about:blank")
	cmd.Env = append(os.Environ(), "MOZ_HEADLESS=1", "MOZ_CRASHREPORTER_DISABLE=1")
	// Its own process group, so that the whole tree can be stopped; and
	// killed should the test binary die without cleaning up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedLog{}
	cmd.Stdout = logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start firefox: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()

	ff := &firefox{log: logs, pid: cmd.Process.Pid}
	var connectErr error
	connected := make(chan struct{})
	go func() {
		defer close(connected)
		connectErr = ff.connect(stderr, exited)
	}()

	t.Cleanup(func() {
		<-connected // bounded by connect's own time limits
		closed := false
		if ff.bidiConn != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			closed = ff.closeBrowser(ctx) == nil
			cancel()
			ff.close()
		}
		if !closed { // no session (ended, or never started): ask the process
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		}
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Logf("firefox did not exit in 10 s; killing it")
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // leftover child processes
		<-exited
		if t.Failed() {
			t.Logf("firefox output (tail):\n%s", tail(logs.String(), 4000))
		}
	})

	return func() *firefox {
		t.Helper()
		<-connected
		if connectErr != nil {
			t.Fatal(connectErr)
		}
		return ff
	}
}

// connect waits for Firefox to print its BiDi address on stderr, opens a
// session and finds the first tab.
func (ff *firefox) connect(stderr io.Reader, exited <-chan struct{}) error {
	wsURL := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			_, _ = io.WriteString(ff.log, line+"\n")
			if m := bidiListening.FindStringSubmatch(line); m != nil {
				select {
				case wsURL <- m[1]:
				default:
				}
			}
		}
	}()
	var url string
	select {
	case url = <-wsURL:
	case <-exited:
		return fmt.Errorf("firefox exited before its BiDi server started:\n%s", tail(ff.log.String(), 4000))
	case <-time.After(30 * time.Second):
		return fmt.Errorf("firefox's BiDi server did not start in 30 s:\n%s", tail(ff.log.String(), 4000))
	}
	// Generous: on a loaded 2-core machine Firefox's first session takes
	// tens of seconds.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := dialBiDi(ctx, url+"/session")
	if err != nil {
		return fmt.Errorf("connect to firefox BiDi at %s: %w", url, err)
	}
	ff.bidiConn = conn
	info, err := conn.newSession(ctx)
	if err != nil {
		return fmt.Errorf("firefox session.new: %w", err)
	}
	ff.version = info.Capabilities.BrowserName + " " + info.Capabilities.BrowserVersion
	tree, err := conn.getTree(ctx)
	if err != nil {
		return err
	}
	if len(tree) == 0 {
		return fmt.Errorf("firefox has no browsing context")
	}
	ff.tab = tree[0].Context
	return nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// offLoopback lists the sockets of every process in process group pgid
// that are connected to an address other than loopback: TCP connections
// (any state but LISTEN) and connected UDP sockets, as "proto local ->
// remote". Unconnected sockets bound to another interface (Firefox's ICE
// host candidates) are not connections and are not listed.
func offLoopback(pgid int) ([]string, error) {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid pgrp …; comm may hold spaces.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) < 3 || f[2] != strconv.Itoa(pgid) {
			continue
		}
		dir := filepath.Dir(st)
		inodes := map[string]bool{}
		fds, _ := filepath.Glob(dir + "/fd/*")
		for _, fd := range fds {
			if target, err := os.Readlink(fd); err == nil && strings.HasPrefix(target, "socket:[") {
				inodes[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")] = true
			}
		}
		for _, proto := range []string{"tcp", "tcp6", "udp", "udp6"} {
			data, err := os.ReadFile(dir + "/net/" + proto)
			if err != nil {
				continue
			}
			for _, line := range strings.Split(string(data), "\n")[1:] {
				fields := strings.Fields(line)
				if len(fields) < 10 || !inodes[fields[9]] {
					continue
				}
				local, remote, state := decodeAddr(fields[1]), decodeAddr(fields[2]), fields[3]
				host, port, _ := net.SplitHostPort(remote)
				ip := net.ParseIP(host)
				if state == "0A" || port == "0" || ip == nil || ip.IsLoopback() || ip.IsUnspecified() {
					continue
				}
				out = append(out, fmt.Sprintf("%s %s -> %s (pid %s)", proto, local, remote, filepath.Base(dir)))
			}
		}
	}
	return out, nil
}
