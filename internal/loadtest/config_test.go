package loadtest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNormalizeTargets(t *testing.T) {
	one := Config{URL: "ws://a/ws", MeetingID: "m", Passcode: "p", MetricsURL: "http://a/metrics"}
	if err := one.normalizeTargets(); err != nil {
		t.Fatal(err)
	}
	if len(one.URLs) != 1 || one.URLs[0] != "ws://a/ws" || len(one.Meetings) != 1 ||
		one.Meetings[0] != (Meeting{ID: "m", Passcode: "p"}) || len(one.MetricsURLs) != 1 {
		t.Fatalf("single targets not folded into the lists: %+v", one)
	}
	none := Config{URL: "ws://a/ws", MeetingID: "m"}
	if err := none.normalizeTargets(); err != nil || len(none.MetricsURLs) != 0 {
		t.Fatalf("no metrics URL: %v %v", err, none.MetricsURLs)
	}
	two := []Meeting{{ID: "m1"}, {ID: "m2"}}
	for name, tc := range map[string]struct {
		cfg  Config
		want string
	}{
		"no URL":             {Config{MeetingID: "m"}, `URL "" is not`},
		"http URL":           {Config{URL: "http://a/ws", MeetingID: "m"}, "not a ws://"},
		"bad URL in list":    {Config{URLs: []string{"ws://a/ws", "a:80"}, MeetingID: "m"}, `"a:80" is not`},
		"URL and URLs":       {Config{URL: "ws://a/ws", URLs: []string{"ws://b/ws"}, MeetingID: "m"}, "not both"},
		"no meeting":         {Config{URL: "ws://a/ws"}, "no meeting ID"},
		"empty meeting":      {Config{URL: "ws://a/ws", Meetings: []Meeting{{ID: "m1"}, {}}}, "meeting 2 has no ID"},
		"meeting twice":      {Config{URL: "ws://a/ws", Meetings: []Meeting{{ID: "m1"}, {ID: "m1"}}}, "m1 given twice"},
		"ID and Meetings":    {Config{URL: "ws://a/ws", MeetingID: "m", Meetings: two}, "not both"},
		"metrics both":       {Config{URL: "ws://a/ws", MeetingID: "m", MetricsURL: "http://a", MetricsURLs: []string{"http://b"}}, "not both"},
		"metrics not http":   {Config{URL: "ws://a/ws", MeetingID: "m", MetricsURLs: []string{"a:9090/metrics"}}, "not an http://"},
		"ws metrics in list": {Config{URL: "ws://a/ws", MeetingID: "m", MetricsURLs: []string{"http://a", "ws://b"}}, `"ws://b"`},
	} {
		if err := tc.cfg.normalizeTargets(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, tc.want)
		}
	}
}

func TestTooManyParticipantsInAllMeetings(t *testing.T) {
	ms := make([]Meeting, 3)
	for i := range ms {
		ms[i].ID = fmt.Sprint("m", i)
	}
	cfg := Config{URL: "ws://a/ws", Meetings: ms, Scenario: ScenarioWebinar, Publishers: 1, Subscribers: 200}
	if err := cfg.normalize(); err == nil || !strings.Contains(err.Error(), "603 participants in all") {
		t.Fatalf("%v, want the total over the meetings refused", err)
	}
}

// TestRolesSpreadRoundRobin: meetings join one after another, each with
// the full set of participants, and consecutive participants go through
// consecutive URLs.
func TestRolesSpreadRoundRobin(t *testing.T) {
	cfg := Config{URLs: []string{"ws://a/ws", "ws://b/ws", "ws://c/ws"}, Meetings: []Meeting{{ID: "x"}, {ID: "y"}},
		Scenario: ScenarioWebinar, Publishers: 1, Subscribers: 2}
	if err := cfg.normalizeTargets(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range cfg.roles() {
		got = append(got, fmt.Sprintf("%s@%d:%s:%v", r.name, r.meeting, r.url[5:6], r.video))
	}
	want := "m1-pub-1@0:a:true m1-sub-1@0:b:false m1-sub-2@0:c:false m2-pub-1@1:a:true m2-sub-1@1:b:false m2-sub-2@1:c:false"
	if strings.Join(got, " ") != want {
		t.Fatalf("roles\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
	single := Config{URL: "ws://a/ws", MeetingID: "m", Publishers: 2}
	if err := single.normalizeTargets(); err != nil {
		t.Fatal(err)
	}
	if rs := single.roles(); rs[0].name != "pub-1" || rs[1].name != "pub-2" || rs[1].url != "ws://a/ws" {
		t.Fatalf("one meeting, one URL: %+v", rs)
	}
}

// TestScraperSumsNodes: with one endpoint per node, a sample holds every
// node's series, so the figures are sums; one failing node fails the
// sample rather than mixing a sum over three nodes with one over two.
func TestScraperSumsNodes(t *testing.T) {
	node := func(cpu, rss, fwd float64) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, exposition(cpu, rss, fwd, [3]int{1, 2, 4}))
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	a, b := node(1, 10e6, 100), node(2, 20e6, 300)
	s := newScraper([]string{a.URL, b.URL}, "").scrape(t.Context())
	if s.err != nil {
		t.Fatal(s.err)
	}
	for name, want := range map[string]float64{metricCPU: 3, metricRSS: 30e6, metricFwdPackets: 400, metricParticipants: 12} {
		if got, ok := value(s.fams, name); !ok || got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if h, ok := histogram(s.fams, metricFwdLatency); !ok || h.count != 8 || h.buckets[0.001] != 2 {
		t.Errorf("latency histogram not merged: %+v", h)
	}
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	if s := newScraper([]string{a.URL, gone.URL}, "").scrape(t.Context()); s.err == nil {
		t.Fatal("a node that does not answer must fail the sample")
	}
}
