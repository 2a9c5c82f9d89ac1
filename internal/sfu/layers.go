package sfu

// Simulcast layer allocation. Each subscriber has a bandwidth estimate (from
// transport-wide congestion control feedback) and, per video it shows, a tile
// size hint. allocate turns those into one layer per video; it is pure so the
// policy can be tested without media.

// layerPaused means the subscriber gets nothing from this video (hidden tile).
const layerPaused = -1

// videoDemand describes one video a subscriber receives.
type videoDemand struct {
	// rates are the measured bitrates (bit/s) of the publisher's layers,
	// lowest quality first. A layer with rate 0 is not arriving.
	rates []int
	// heights are the layers' frame heights (0 when not yet known), lowest first.
	heights []int
	// wantHeight is the tile height in device pixels: -1 unknown (no hint
	// yet), 0 hidden.
	wantHeight int
}

// allocate chooses a layer index for every demand so that the sum of rates
// fits budget (bit/s, 0 = unknown: no limit). Each video first gets the
// smallest layer that fills its tile; then, while over budget, the most
// expensive video steps down a layer. The lowest arriving layer is never
// dropped for bandwidth: a frozen-but-live picture beats none.
func allocate(demands []videoDemand, budget int) []int {
	choice := make([]int, len(demands))
	for i, d := range demands {
		choice[i] = preferredLayer(d)
	}
	if budget <= 0 {
		return choice
	}
	for total(demands, choice) > budget {
		worst, worstRate := -1, 0
		for i, d := range demands {
			c := choice[i]
			if c <= lowestActive(d) {
				continue
			}
			if r := d.rates[c]; r > worstRate {
				worst, worstRate = i, r
			}
		}
		if worst < 0 {
			break
		}
		choice[worst] = nextLowerActive(demands[worst], choice[worst])
	}
	return choice
}

// preferredLayer is the smallest arriving layer at least as tall as the tile,
// or the best arriving layer when none is (or heights are unknown).
func preferredLayer(d videoDemand) int {
	if d.wantHeight == 0 {
		return layerPaused
	}
	best := layerPaused
	for i := range d.rates {
		if d.rates[i] <= 0 {
			continue
		}
		best = i
		if d.wantHeight > 0 && i < len(d.heights) && d.heights[i] > 0 && d.heights[i] >= d.wantHeight {
			return i
		}
	}
	if best == layerPaused && len(d.rates) > 0 {
		// Nothing measured yet (just started): ask for the top layer; the
		// forwarder falls back as soon as rates are known.
		return len(d.rates) - 1
	}
	return best
}

func lowestActive(d videoDemand) int {
	for i, r := range d.rates {
		if r > 0 {
			return i
		}
	}
	return 0
}

func nextLowerActive(d videoDemand, c int) int {
	for i := c - 1; i >= 0; i-- {
		if d.rates[i] > 0 {
			return i
		}
	}
	return c
}

func total(demands []videoDemand, choice []int) int {
	sum := 0
	for i, d := range demands {
		if c := choice[i]; c >= 0 && c < len(d.rates) {
			sum += d.rates[c]
		}
	}
	return sum
}
