package transcribe

import (
	"strings"
	"unicode"
)

// Normalize lowers text and keeps only its words: letters, digits and
// apostrophes inside words, separated by single spaces. Engines differ in
// case and punctuation; comparisons should not.
func Normalize(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
}

// WordErrorRate is the word-level edit distance (substitutions, deletions,
// insertions) from reference to hypothesis, divided by the reference's
// length, after Normalize. It is 0 for a perfect transcript and may exceed
// 1 when the hypothesis adds many words. An empty reference gives 0 for an
// empty hypothesis and 1 otherwise.
func WordErrorRate(reference, hypothesis string) float64 {
	ref, hyp := Normalize(reference), Normalize(hypothesis)
	if len(ref) == 0 {
		if len(hyp) == 0 {
			return 0
		}
		return 1
	}
	prev := make([]int, len(hyp)+1)
	cur := make([]int, len(hyp)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ref); i++ {
		cur[0] = i
		for j := 1; j <= len(hyp); j++ {
			sub := prev[j-1]
			if ref[i-1] != hyp[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return float64(prev[len(hyp)]) / float64(len(ref))
}
