package files

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Content types recognised by their bytes. The name a participant gives a
// file and the Content-Type their browser sends are never consulted: both
// are whatever the sender wants them to be.
const (
	TypePDF  = "application/pdf"
	TypePNG  = "image/png"
	TypeJPEG = "image/jpeg"
	TypeGIF  = "image/gif"
	TypeWebP = "image/webp"
	TypeText = "text/plain"
	TypeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	TypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	TypePPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	TypeODT  = "application/vnd.oasis.opendocument.text"
	TypeODS  = "application/vnd.oasis.opendocument.spreadsheet"
	TypeODP  = "application/vnd.oasis.opendocument.presentation"
	// TypeZIP is any other ZIP archive. It is recognised but not in the
	// default allow-list: an archive can carry anything, including types
	// the list keeps out.
	TypeZIP = "application/zip"
)

// DefaultTypes is the allow-list used when none is configured: documents
// and pictures people share in a meeting, in formats browsers and office
// suites open without running code. Not in it, on purpose: HTML, SVG and
// XML (active content if ever rendered), executables and scripts, and
// archives.
var DefaultTypes = []string{TypePDF, TypePNG, TypeJPEG, TypeGIF, TypeWebP, TypeText,
	TypeDOCX, TypeXLSX, TypePPTX, TypeODT, TypeODS, TypeODP}

// typeNames are the words the refusal message uses.
var typeNames = map[string]string{
	TypePDF: "PDF", TypePNG: "PNG", TypeJPEG: "JPEG", TypeGIF: "GIF", TypeWebP: "WebP", TypeText: "plain text",
	TypeDOCX: "Word (.docx)", TypeXLSX: "Excel (.xlsx)", TypePPTX: "PowerPoint (.pptx)",
	TypeODT: "OpenDocument text", TypeODS: "OpenDocument spreadsheet", TypeODP: "OpenDocument presentation",
	TypeZIP: "ZIP",
}

// extensions are the file name endings that fit each type; the first is
// added to a name that has none of them (SafeName).
var extensions = map[string][]string{
	TypePDF: {".pdf"}, TypePNG: {".png"}, TypeJPEG: {".jpg", ".jpeg"}, TypeGIF: {".gif"}, TypeWebP: {".webp"},
	TypeText: {".txt", ".md", ".csv", ".log", ".text"},
	TypeDOCX: {".docx"}, TypeXLSX: {".xlsx"}, TypePPTX: {".pptx"},
	TypeODT: {".odt"}, TypeODS: {".ods"}, TypeODP: {".odp"}, TypeZIP: {".zip"},
}

// SniffSize is how much of the start of a file Sniff is given: the first
// chunk, enough for ZIP-based documents' leading entries.
const SniffSize = ChunkSize

// ErrType is wrapped by refusals of a file's type.
var ErrType = errors.New("file type not allowed")

// Sniff returns the content type of a file whose first bytes are head
// (at most SniffSize; all of it when the file is shorter). It returns an
// error wrapping ErrType for content it does not recognise or that is
// active content (HTML, SVG, XML). Plain text is only provisionally text:
// the rest of the stream must pass a TextChecker too.
func Sniff(head []byte) (string, error) {
	switch ct := http.DetectContentType(head); {
	case ct == TypePDF, ct == TypePNG, ct == TypeJPEG, ct == TypeGIF, ct == TypeWebP:
		return ct, nil
	case ct == "application/zip":
		return sniffZIP(head), nil
	case strings.HasPrefix(ct, "text/plain"):
		return sniffText(head)
	case strings.HasPrefix(ct, "text/html"), strings.HasPrefix(ct, "text/xml"):
		return "", fmt.Errorf("%w: HTML, SVG and XML can carry scripts", ErrType)
	default:
		return "", fmt.Errorf("%w: unrecognised content (%s)", ErrType, ct)
	}
}

// sniffText accepts UTF-8 (with or without a byte order mark) that holds
// no NUL and does not start like markup. DetectContentType calls text
// what has no binary bytes and none of its HTML signatures, which lets
// through SVG without an XML declaration and HTML it does not know
// (<svg onload=…>, <math>, <template>): anything whose first character is
// "<" is refused instead. UTF-16 text is refused too: it is rare in
// shared notes and needs a decoder to check.
func sniffText(head []byte) (string, error) {
	body := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(body, []byte("\xfe\xff")) || bytes.HasPrefix(body, []byte("\xff\xfe")) {
		return "", fmt.Errorf("%w: UTF-16 text", ErrType)
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n\f")
	if len(trimmed) > 0 && trimmed[0] == '<' {
		return "", fmt.Errorf("%w: markup (HTML, SVG or XML)", ErrType)
	}
	var tc TextChecker
	if _, err := tc.Write(head); err != nil {
		return "", err
	}
	return TypeText, nil
}

// TextChecker checks that a stream is UTF-8 without NUL bytes, across
// writes that split characters.
type TextChecker struct {
	pending []byte // the start of a character split by the last write
}

// Write implements io.Writer; it fails with ErrType at the first bad byte.
func (c *TextChecker) Write(p []byte) (int, error) {
	b := p
	if len(c.pending) > 0 {
		b = append(c.pending, p...)
		c.pending = nil
	}
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			if !utf8.FullRune(b) {
				c.pending = append([]byte(nil), b...)
				return len(p), nil
			}
			return 0, fmt.Errorf("%w: not UTF-8 text", ErrType)
		}
		if r == 0 {
			return 0, fmt.Errorf("%w: text with NUL bytes", ErrType)
		}
		b = b[size:]
	}
	return len(p), nil
}

// Close reports a character cut off at the end of the stream.
func (c *TextChecker) Close() error {
	if len(c.pending) > 0 {
		return fmt.Errorf("%w: not UTF-8 text (cut off)", ErrType)
	}
	return nil
}

// sniffZIP tells ZIP-based documents from other archives by their leading
// entries (local file headers), which is all a stream shows before its
// end. OpenDocument requires its first entry to be "mimetype", stored
// uncompressed, holding the type. Office Open XML has a
// "[Content_Types].xml" entry declaring the main part's type; every
// producer we know writes it first or among the first few, so it is
// looked for within head. A document where it comes later is an ordinary
// ZIP (refused by default).
func sniffZIP(head []byte) string {
	entries := localEntries(head)
	if len(entries) > 0 && entries[0].name == "mimetype" && entries[0].method == 0 {
		switch strings.TrimSpace(string(entries[0].data)) {
		case TypeODT:
			return TypeODT
		case TypeODS:
			return TypeODS
		case TypeODP:
			return TypeODP
		}
	}
	for _, e := range entries {
		if e.name != "[Content_Types].xml" {
			continue
		}
		ct := e.content()
		switch {
		case bytes.Contains(ct, []byte("wordprocessingml.document.main+xml")):
			return TypeDOCX
		case bytes.Contains(ct, []byte("spreadsheetml.sheet.main+xml")):
			return TypeXLSX
		case bytes.Contains(ct, []byte("presentationml.presentation.main+xml")):
			return TypePPTX
		}
	}
	return TypeZIP
}

type zipEntry struct {
	name   string
	method uint16
	data   []byte // compressed bytes within head (possibly cut off)
}

// maxContentTypes bounds how much of [Content_Types].xml is inflated.
const maxContentTypes = 64 << 10

// content returns the entry's bytes, inflated where needed, as far as head
// holds them.
func (e zipEntry) content() []byte {
	switch e.method {
	case 0:
		return e.data
	case 8:
		out, _ := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(e.data)), maxContentTypes))
		return out // a cut-off stream still yields its start
	}
	return nil
}

// localEntries walks the local file headers at the start of a ZIP file.
// An entry whose sizes follow its data (flag bit 3, as streaming writers
// do) is measured by inflating it, or for a stored one by finding its
// data descriptor; the walk ends where head does.
func localEntries(b []byte) []zipEntry {
	var out []zipEntry
	for len(out) < 32 && len(b) >= 30 && binary.LittleEndian.Uint32(b) == 0x04034b50 {
		flags := binary.LittleEndian.Uint16(b[6:])
		method := binary.LittleEndian.Uint16(b[8:])
		csize := int(binary.LittleEndian.Uint32(b[18:]))
		nameLen := int(binary.LittleEndian.Uint16(b[26:]))
		extraLen := int(binary.LittleEndian.Uint16(b[28:]))
		start := 30 + nameLen + extraLen
		if start > len(b) {
			return out
		}
		e := zipEntry{name: string(b[30 : 30+nameLen]), method: method}
		rest := b[start:]
		next := -1 // offset in rest of the next local header
		switch {
		case flags&8 == 0:
			e.data = rest[:min(csize, len(rest))]
			if csize <= len(rest) {
				next = csize
			}
		case method == 8:
			e.data = rest
			if n, ok := deflatedLen(rest); ok {
				e.data = rest[:n]
				next = skipDescriptor(rest, n)
			}
		case method == 0:
			e.data = rest
			if i := bytes.Index(rest, []byte("PK\x07\x08")); i >= 0 {
				e.data = rest[:i]
				next = skipDescriptor(rest, i)
			}
		}
		out = append(out, e)
		if next < 0 || next > len(rest) {
			return out
		}
		b = rest[next:]
	}
	return out
}

// maxInflate bounds what measuring one entry inflates: a small document
// part is far below it, and a bomb stops there.
const maxInflate = 4 << 20

// deflatedLen returns how many bytes of b the deflate stream at its start
// takes, when the stream ends within b.
func deflatedLen(b []byte) (int, bool) {
	r := bytes.NewReader(b) // an io.ByteReader: flate reads no further than the stream
	n, err := io.Copy(io.Discard, io.LimitReader(flate.NewReader(r), maxInflate))
	if err != nil || n >= maxInflate {
		return 0, false
	}
	return len(b) - r.Len(), true
}

// skipDescriptor returns the offset after the data descriptor at b[at:]:
// an optional signature, CRC-32 and two 4-byte sizes (ZIP64's 8-byte
// sizes are not expected this early in a document).
func skipDescriptor(b []byte, at int) int {
	if at+4 <= len(b) && binary.LittleEndian.Uint32(b[at:]) == 0x08074b50 {
		at += 4
	}
	return at + 12
}

// describeTypes lists types in words for a refusal message.
func describeTypes(types []string) string {
	names := make([]string, 0, len(types))
	for _, t := range types {
		if n, ok := typeNames[t]; ok {
			names = append(names, n)
		} else {
			names = append(names, t)
		}
	}
	return strings.Join(names, ", ")
}
