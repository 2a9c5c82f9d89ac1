// Command plot draws BenchmarkScaling's results (JSON lines on stdin, see
// test/bench/scaling.sh) as an SVG on stdout: forwarded packets per server
// CPU-second and peak RSS against participants, one line per series. It
// needs nothing outside the standard library, so the figure in docs/ can
// be redrawn anywhere the benchmark runs.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
)

type point struct {
	Series       string   `json:"series"`
	Participants int      `json:"participants"`
	FwdPerCPUSec *float64 `json:"fwd_pkts_per_cpu_s"`
	PeakRSSMiB   *float64 `json:"peak_rss_mib"`
}

func main() {
	pts, err := read(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
	fmt.Print(draw(pts))
}

func read(r io.Reader) ([]point, error) {
	var pts []point
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var p point
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		pts = append(pts, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(pts) == 0 {
		return nil, fmt.Errorf("no points on stdin")
	}
	return pts, nil
}

// panel is one chart: a value of each point against participants.
type panel struct {
	title string
	value func(point) *float64
}

const (
	panelW, panelH = 420, 300
	marginL        = 64
	marginB        = 40
	marginT        = 30
)

var colours = []string{"#1f6feb", "#d9730d", "#2da44e", "#8250df"}

func draw(pts []point) string {
	panels := []panel{
		{"forwarded packets per server CPU-second", func(p point) *float64 { return p.FwdPerCPUSec }},
		{"peak RSS, MiB", func(p point) *float64 { return p.PeakRSSMiB }},
	}
	var series []string
	maxX := 0
	for _, p := range pts {
		if !slices.Contains(series, p.Series) {
			series = append(series, p.Series)
		}
		maxX = max(maxX, p.Participants)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n", 2*panelW, panelH+24)
	for i, pn := range panels {
		drawPanel(&b, pts, series, pn, i*panelW, maxX)
	}
	for i, s := range series {
		x := marginL + i*140
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/><text x="%d" y="%d">%s</text>`+"\n",
			x, panelH+12, x+20, panelH+12, colours[i%len(colours)], x+26, panelH+16, s)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func drawPanel(b *strings.Builder, pts []point, series []string, pn panel, left, maxX int) {
	maxY := 0.0
	for _, p := range pts {
		if v := pn.value(p); v != nil {
			maxY = max(maxY, *v)
		}
	}
	maxY = niceCeil(maxY)
	w, h := float64(panelW-marginL-16), float64(panelH-marginT-marginB)
	x := func(n int) float64 { return float64(left+marginL) + w*float64(n)/float64(max(maxX, 1)) }
	y := func(v float64) float64 { return float64(marginT) + h*(1-v/maxY) }
	fmt.Fprintf(b, `<text x="%d" y="18" font-weight="bold">%s</text>`+"\n", left+marginL, pn.title)
	for i := 0; i <= 4; i++ {
		v := maxY * float64(i) / 4
		fmt.Fprintf(b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#ddd"/><text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n",
			x(0), y(v), x(maxX), y(v), x(0)-4, y(v)+4, label(v))
	}
	for n := 0; n <= maxX; n += 10 {
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%d</text>`+"\n", x(n), panelH-marginB+14, n)
	}
	fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">participants</text>`+"\n", x(maxX/2), panelH-marginB+28)
	for i, s := range series {
		var coords []string
		for _, p := range sorted(pts, s) {
			if v := pn.value(p); v != nil {
				coords = append(coords, fmt.Sprintf("%.1f,%.1f", x(p.Participants), y(*v)))
			}
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", colours[i%len(colours)], strings.Join(coords, " "))
	}
}

func sorted(pts []point, series string) []point {
	var out []point
	for _, p := range pts {
		if p.Series == series {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b point) int { return a.Participants - b.Participants })
	return out
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func label(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.0fk", v/1000)
	}
	return fmt.Sprintf("%.0f", v)
}
