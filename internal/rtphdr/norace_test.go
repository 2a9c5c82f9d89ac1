//go:build !race

package rtphdr

const raceEnabled = false
