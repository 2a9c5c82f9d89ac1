package sfu

import (
	"slices"
	"testing"
)

func TestAllocate(t *testing.T) {
	two := func(want int) videoDemand {
		return videoDemand{rates: []int{250_000, 1_200_000}, heights: []int{240, 480}, wantHeight: want}
	}
	cases := []struct {
		name    string
		demands []videoDemand
		budget  int
		want    []int
	}{
		{"no hint, no budget: top layer", []videoDemand{two(-1)}, 0, []int{1}},
		{"hidden tile is paused", []videoDemand{two(0)}, 0, []int{layerPaused}},
		{"small tile gets the low layer", []videoDemand{two(180)}, 0, []int{0}},
		{"tile between layers gets the taller", []videoDemand{two(300)}, 0, []int{1}},
		{"tile above all layers gets the top", []videoDemand{two(1080)}, 0, []int{1}},
		{"budget fits both high", []videoDemand{two(-1), two(-1)}, 3_000_000, []int{1, 1}},
		{"budget forces one down", []videoDemand{two(-1), two(-1)}, 1_500_000, []int{0, 1}},
		{"budget forces both down", []videoDemand{two(-1), two(-1)}, 600_000, []int{0, 0}},
		{"lowest layer kept even over budget", []videoDemand{two(-1)}, 10_000, []int{0}},
		{"missing top layer falls back", []videoDemand{{rates: []int{250_000, 0}, heights: []int{240, 0}, wantHeight: 1080}}, 0, []int{0}},
		{"missing low layer never chosen by budget", []videoDemand{{rates: []int{0, 1_200_000}, wantHeight: -1}}, 10_000, []int{1}},
		{"nothing measured yet asks for top", []videoDemand{{rates: []int{0, 0}, wantHeight: -1}}, 0, []int{1}},
		{"single layer", []videoDemand{{rates: []int{2_000_000}, wantHeight: 720}}, 100_000, []int{0}},
	}
	for _, c := range cases {
		if got := allocate(c.demands, c.budget); !slices.Equal(got, c.want) {
			t.Errorf("%s: allocate = %v, want %v", c.name, got, c.want)
		}
	}
}
