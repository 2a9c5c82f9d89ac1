//go:build !race

package bwe

const raceEnabled = false
