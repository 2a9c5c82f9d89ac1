package main

import (
	"encoding/xml"
	"strings"
	"testing"
)

// TestDrawsOneLinePerSeriesAndPanel: two series give two polylines in
// each of the two panels, every point placed, and the output is XML.
func TestDrawsOneLinePerSeriesAndPanel(t *testing.T) {
	in := `{"series":"webinar","participants":10,"fwd_pkts_per_cpu_s":40000,"peak_rss_mib":70}
{"series":"webinar","participants":2,"fwd_pkts_per_cpu_s":9000,"peak_rss_mib":50}

{"series":"meeting","participants":4,"fwd_pkts_per_cpu_s":20000,"peak_rss_mib":60}
{"series":"meeting","participants":8,"fwd_pkts_per_cpu_s":30000}
`
	pts, err := read(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	svg := draw(pts)
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	if n := strings.Count(svg, "<polyline"); n != 4 {
		t.Fatalf("%d polylines, want 4", n)
	}
	// The meeting's memory line has one point: its second run has no RSS.
	for _, want := range []string{"webinar", "meeting", "participants", "50k"} {
		if !strings.Contains(svg, want) {
			t.Errorf("no %q in the figure", want)
		}
	}
}

// TestBadInputIsAnError: a malformed line or no points at all is refused
// with the line number, not drawn as an empty figure.
func TestBadInputIsAnError(t *testing.T) {
	if _, err := read(strings.NewReader("{\"series\":\"a\"}\nnot json\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("malformed line: %v", err)
	}
	if _, err := read(strings.NewReader("\n")); err == nil {
		t.Fatal("no points: no error")
	}
}

func TestNiceCeil(t *testing.T) {
	for v, want := range map[float64]float64{0: 1, 3: 5, 47000: 50000, 81.4: 100, 100: 100, 120: 200} {
		if got := niceCeil(v); got != want {
			t.Errorf("niceCeil(%v) = %v, want %v", v, got, want)
		}
	}
}
