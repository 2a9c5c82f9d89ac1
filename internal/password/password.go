// Package password is the password policy of docs/security.md
// ("Passwords"), after NIST SP 800-63B: a length of 12 to 256 characters
// and no composition rules; instead a password is refused when it is one of
// the most common passwords (a built-in list), when a strength estimate
// finds it guessable (words from that list, repeats, sequences, keyboard
// runs, years, the person's own name or address), or when it appears in a
// breached-password list the operator keeps on local disk (Breached). No
// check ever makes an outside request.
package password

import (
	"bufio"
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// Length limits, in characters (runes).
const (
	MinLen = 12
	MaxLen = 256
)

// MinGuessesLog10 is the strength a password needs: an estimated 10^10
// guesses (zxcvbn's "very unguessable" score 4), so that an attacker who
// stole the argon2id hashes still needs years per password.
const MinGuessesLog10 = 10

// commonText is the 10,000 most common passwords, most common first: the
// head of the "passwords" frequency list of zxcvbn 4.4.2 (npm package
// zxcvbn, MIT licence, © Dropbox; compiled from Mark Burnett's and Xato's
// public password dumps). See docs/security.md, "Passwords".
//
//go:embed common.txt
var commonText string

// common maps each common password to its rank (1 = most common). It is
// built on the first password checked, not at start-up: a media server
// that never sets a password keeps its megabyte out of the heap.
var common = sync.OnceValue(func() map[string]int { return loadCommon(commonText) })

func loadCommon(text string) map[string]int {
	m := make(map[string]int, 10000)
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" {
			if _, dup := m[w]; !dup {
				m[w] = len(m) + 1
			}
		}
	}
	return m
}

// Error is an unacceptable password. Its message is safe to show and
// never contains the password.
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

func refuse(format string, args ...any) error { return &Error{Message: fmt.Sprintf(format, args...)} }

// Check applies the policy without the breached list: length, the common
// list and the strength estimate. userInputs are words the password must
// not be built from (the person's e-mail address and name).
func Check(pw string, userInputs ...string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinLen:
		return refuse("password must be at least %d characters", MinLen)
	case n > MaxLen:
		return refuse("password must be at most %d characters", MaxLen)
	case !utf8.ValidString(pw):
		return refuse("password must be valid text")
	}
	if _, ok := common()[strings.ToLower(pw)]; ok {
		return refuse("this password is one of the most common passwords; choose another")
	}
	if Strength(pw, userInputs...) < MinGuessesLog10 {
		return refuse("this password is too easy to guess (it is built from common words, repeats or sequences); " +
			"a longer phrase of unrelated words works well")
	}
	return nil
}

// IsCommon reports whether pw (case-insensitively) is on the built-in
// list of common passwords.
func IsCommon(pw string) bool {
	_, ok := common()[strings.ToLower(pw)]
	return ok
}
