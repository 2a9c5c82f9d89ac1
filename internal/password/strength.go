package password

import (
	"math"
	"strings"
	"unicode"
)

// Strength estimates how many guesses an attacker who knows common
// patterns needs for pw, as log10(guesses). It is a small cousin of
// zxcvbn: the password is split, at least cost, into pieces that are each
// a word of the common list or of userInputs, a repeat, a sequence, a
// keyboard run, a year, or characters guessed one by one; the estimate is
// the product of the pieces' guesses, so a phrase of common pieces scores
// low however long it is.
func Strength(pw string, userInputs ...string) float64 {
	runes := []rune(pw)
	if len(runes) > MaxLen {
		runes = runes[:MaxLen]
	}
	return estimate(runes, userWords(userInputs), 0)
}

// userWords splits the person's own details into words (an e-mail's local
// part and domain, a name's parts), which count as the commonest words.
func userWords(inputs []string) map[string]bool {
	words := map[string]bool{}
	for _, in := range inputs {
		for _, w := range strings.FieldsFunc(strings.ToLower(in), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		}) {
			if len([]rune(w)) >= 3 {
				words[w] = true
			}
		}
	}
	return words
}

// segmentFactor is what each piece beyond the first adds: the attacker
// must also guess how the pieces are put together.
const segmentFactor = 10

// estimate is the least-cost split of runes (log10 guesses), by dynamic
// programming over the end of the last piece. depth bounds the recursion
// of repeats.
func estimate(runes []rune, user map[string]bool, depth int) float64 {
	n := len(runes)
	if n == 0 {
		return 0
	}
	lower := []rune(strings.ToLower(string(runes)))
	best := make([]float64, n+1)
	for i := 1; i <= n; i++ {
		best[i] = math.Inf(1)
		for j := range i {
			cost := pieceCost(runes[j:i], lower[j:i], user, depth)
			if j > 0 {
				cost += math.Log10(segmentFactor)
			}
			best[i] = min(best[i], best[j]+cost)
		}
	}
	return best[n]
}

// pieceCost is the cheapest way to guess one piece (log10 guesses).
func pieceCost(orig, lower []rune, user map[string]bool, depth int) float64 {
	cost := bruteForce(orig)
	if len(lower) < 3 {
		return cost
	}
	s := string(lower)
	caseCost := 0.0
	if string(orig) != s {
		caseCost = math.Log10(2) // capitalised or upper-cased
	}
	if user[s] {
		cost = min(cost, caseCost)
	}
	if rank, ok := common()[s]; ok {
		cost = min(cost, math.Log10(float64(rank))+caseCost)
	}
	if rank, ok := common()[reverse(s)]; ok {
		cost = min(cost, math.Log10(float64(rank)*2)+caseCost)
	}
	if c, ok := sequenceCost(lower); ok {
		cost = min(cost, c)
	}
	if c, ok := keyboardCost(s); ok {
		cost = min(cost, c)
	}
	if c, ok := yearCost(s); ok {
		cost = min(cost, c)
	}
	if c, ok := repeatCost(orig, lower, user, depth); ok {
		cost = min(cost, c)
	}
	return cost
}

// bruteForce guesses character by character from each one's class.
func bruteForce(rs []rune) float64 {
	cost := 0.0
	for _, r := range rs {
		switch {
		case r >= '0' && r <= '9':
			cost += 1 // 10 digits
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			cost += math.Log10(26)
		case r < 128:
			cost += math.Log10(33) // ASCII punctuation and space
		default:
			cost += 2 // other scripts: at least 100
		}
	}
	return cost
}

// sequenceCost: "abcdef", "97531", "zyx" — a constant step of 1 or 2.
func sequenceCost(rs []rune) (float64, bool) {
	step := rs[1] - rs[0]
	if step == 0 || step > 2 || step < -2 {
		return 0, false
	}
	for i := 2; i < len(rs); i++ {
		if rs[i]-rs[i-1] != step {
			return 0, false
		}
	}
	return math.Log10(float64(26 * 4 * len(rs))), true
}

// keyboardRows are runs people type along the keyboard.
var keyboardRows = []string{"1234567890-=", "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./", "qwertzuiop", "azertyuiop", "1qaz2wsx3edc4rfv5tgb", "qazwsxedcrfvtgb"}

func keyboardCost(s string) (float64, bool) {
	if len(s) < 4 {
		return 0, false
	}
	for _, row := range keyboardRows {
		if strings.Contains(row, s) || strings.Contains(row, reverse(s)) {
			return math.Log10(float64(len(keyboardRows) * 2 * len(s) * 4)), true
		}
	}
	return 0, false
}

// yearCost: 1900–2099, the commonest digits in passwords.
func yearCost(s string) (float64, bool) {
	if len(s) != 4 || (!strings.HasPrefix(s, "19") && !strings.HasPrefix(s, "20")) {
		return 0, false
	}
	for _, r := range s[2:] {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	return math.Log10(200), true
}

// repeatCost: "aaaa", "abcabcabc", "passwordpassword" — a unit guessed
// once, then its count.
func repeatCost(orig, lower []rune, user map[string]bool, depth int) (float64, bool) {
	if depth > 2 {
		return 0, false
	}
	n := len(lower)
	for unit := 1; unit <= n/2; unit++ {
		if n%unit != 0 || !repeats(lower, unit) {
			continue
		}
		return estimate(orig[:unit], user, depth+1) + math.Log10(float64(n/unit)), true
	}
	return 0, false
}

func repeats(rs []rune, unit int) bool {
	for i := unit; i < len(rs); i++ {
		if rs[i] != rs[i-unit] {
			return false
		}
	}
	return true
}

func reverse(s string) string {
	rs := []rune(s)
	for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
		rs[i], rs[j] = rs[j], rs[i]
	}
	return string(rs)
}
