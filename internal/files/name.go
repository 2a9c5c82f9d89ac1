package files

import (
	"crypto/rand"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameBytes bounds a shared file's name, as most file systems do.
const MaxNameBytes = 255

// ErrName is returned for a name that is not valid UTF-8.
var ErrName = errors.New("file name must be UTF-8 text")

// SafeName cleans the name a participant gave a file of type ct so that it
// is harmless wherever a recipient saves it: the last element of any path
// (browsers send "C:\fakepath\x.pdf"), without control characters or the
// bidirectional overrides that make "evil‮fdp.exe" look like a PDF,
// without leading dots (hidden files) or trailing dots and spaces, at most
// MaxNameBytes bytes, and ending in an extension that fits the type found
// in its content: a PNG called "notes.txt" is saved as "notes.txt.png", so
// that what opens it is what the content is.
func SafeName(name, ct string) (string, error) {
	if !utf8.ValidString(name) {
		return "", ErrName
	}
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || isBidiControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimRight(strings.TrimLeft(strings.TrimSpace(name), "."), ". ")
	if name == "" {
		name = "file"
	}
	ext := ""
	if exts := extensions[ct]; len(exts) > 0 && !slices.Contains(exts, strings.ToLower(path.Ext(name))) {
		ext = exts[0]
	}
	return truncateName(name, MaxNameBytes-len(ext)) + ext, nil
}

// isBidiControl: explicit embeddings, overrides and isolates, and the
// marks, which reorder how a name is displayed.
func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

// truncateName shortens name to max bytes at a character boundary,
// keeping its extension where that is short.
func truncateName(name string, max int) string {
	if len(name) <= max {
		return name
	}
	ext := path.Ext(name)
	if len(ext) > 16 || len(ext) >= max {
		ext = ""
	}
	stem := name[:len(name)-len(ext)]
	limit := max - len(ext)
	for limit > 0 && !utf8.RuneStart(stem[limit]) {
		limit--
	}
	return stem[:limit] + ext
}

// ContentDisposition is the header value that makes browsers save the
// file rather than show it: an ASCII fallback name for old clients and
// the exact UTF-8 name (RFC 6266, RFC 8187).
func ContentDisposition(name string) string {
	fallback := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' {
			return '_'
		}
		return r
	}, name)
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, fallback, rfc8187(name))
}

// rfc8187 percent-encodes everything but the attr-chars of RFC 8187.
func rfc8187(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$&+-.^_`|~", c) >= 0) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// idAlphabet is Crockford-like base 32 in lower case, as participant IDs.
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// newFileID returns "f_" and 20 random base-32 characters (100 bits).
func newFileID() (string, error) {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("files: file id: %w", err)
	}
	var sb strings.Builder
	sb.WriteString("f_")
	for _, c := range b {
		sb.WriteByte(idAlphabet[c&31])
	}
	return sb.String(), nil
}

// ValidID reports whether id has the form newFileID makes; anything else
// is refused before it reaches a path or a query.
func ValidID(id string) bool {
	if len(id) != 22 || !strings.HasPrefix(id, "f_") {
		return false
	}
	for _, c := range []byte(id[2:]) {
		if strings.IndexByte(idAlphabet, c) < 0 {
			return false
		}
	}
	return true
}
