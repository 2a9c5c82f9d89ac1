package sfu

import "testing"

func TestLevelMeterDrain(t *testing.T) {
	var m levelMeter
	if _, ok := m.drain(); ok {
		t.Fatal("empty meter reported a sample")
	}
	m.observe(27)  // loudness 100
	m.observe(127) // silence
	m.observe(200) // out of range clamps to silence
	got, ok := m.drain()
	if !ok || got < 33.3 || got > 33.4 {
		t.Fatalf("drain = %v, %v; want 33.3, true", got, ok)
	}
	if _, ok := m.drain(); ok {
		t.Fatal("drain did not reset the meter")
	}
}

func TestSpeakerDetector(t *testing.T) {
	d := newSpeakerDetector()
	steps := []struct {
		samples map[string]float64
		want    string
		changed bool
	}{
		{map[string]float64{"a": 10, "b": 5}, "", false},     // nobody above threshold
		{map[string]float64{"a": 100}, "", false},            // smoothing: one loud window is not enough
		{map[string]float64{"a": 100}, "", false},            // a = 76.25, just below
		{map[string]float64{"a": 100}, "a", true},            // a = 88.1 speaks
		{map[string]float64{"a": 100, "b": 103}, "a", false}, // b ramps up
		{map[string]float64{"a": 100, "b": 103}, "a", false}, // b not clearly louder than a
		{map[string]float64{"b": 110}, "b", true},            // a stops, b takes over
	}
	for i, s := range steps {
		id, changed := d.update(s.samples)
		if id != s.want || changed != s.changed {
			t.Fatalf("step %d: update = %q, %v; want %q, %v", i, id, changed, s.want, s.changed)
		}
	}
	// Silence: the speaker decays below the threshold and the highlight clears.
	var id string
	for i := 0; i < 3; i++ {
		id, _ = d.update(map[string]float64{})
	}
	if id != "" {
		t.Fatalf("after silence the speaker is %q, want none", id)
	}
	d.forget("a")
	d.forget("b")
	if len(d.smoothed) != 0 {
		t.Fatalf("forget left %v", d.smoothed)
	}
}
