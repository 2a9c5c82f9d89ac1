package files

import (
	"archive/zip"
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegBytes(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gifBytes(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.Black, color.White}), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// zipOf builds a ZIP with the given entries in order; stored entries are
// not compressed (as ODF's mimetype must be).
func zipOf(t *testing.T, entries ...[3]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range entries {
		method := zip.Deflate
		if e[2] == "store" {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e[0], Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func contentTypes(main string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="xml" ContentType="application/xml"/><Override PartName="/x" ContentType="application/vnd.openxmlformats-officedocument.` +
		main + `"/></Types>`
}

func TestSniffAllowed(t *testing.T) {
	docx := zipOf(t, [3]string{"[Content_Types].xml", contentTypes("wordprocessingml.document.main+xml"), ""},
		[3]string{"word/document.xml", "<w:document/>", ""})
	xlsx := zipOf(t, [3]string{"_rels/.rels", "<Relationships/>", ""},
		[3]string{"[Content_Types].xml", contentTypes("spreadsheetml.sheet.main+xml"), "store"})
	pptx := zipOf(t, [3]string{"[Content_Types].xml", contentTypes("presentationml.presentation.main+xml"), ""})
	odt := zipOf(t, [3]string{"mimetype", TypeODT, "store"}, [3]string{"content.xml", "<office:document-content/>", ""})
	ods := zipOf(t, [3]string{"mimetype", TypeODS, "store"})
	odp := zipOf(t, [3]string{"mimetype", TypeODP, "store"})
	cases := map[string]struct {
		data []byte
		want string
	}{
		"png":                {pngBytes(t), TypePNG},
		"jpeg":               {jpegBytes(t), TypeJPEG},
		"gif":                {gifBytes(t), TypeGIF},
		"webp":               {append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 "), make([]byte, 24)...), TypeWebP},
		"pdf":                {[]byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"), TypePDF},
		"text":               {[]byte("Meeting notes\n- item one\n- ünïcödé ✓\n"), TypeText},
		"text with BOM":      {[]byte("\xef\xbb\xbfnotes"), TypeText},
		"docx":               {docx, TypeDOCX},
		"xlsx (CT second)":   {xlsx, TypeXLSX},
		"pptx":               {pptx, TypePPTX},
		"odt":                {odt, TypeODT},
		"ods":                {ods, TypeODS},
		"odp":                {odp, TypeODP},
		"plain zip":          {zipOf(t, [3]string{"a.txt", "hello", ""}), TypeZIP},
		"odf mimetype wrong": {zipOf(t, [3]string{"mimetype", "application/x-evil", "store"}), TypeZIP},
	}
	for name, tc := range cases {
		got, err := Sniff(tc.data)
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, tc.want)
		}
	}
}

// TestSniffRefused: active content and unknown bytes are refused, whatever
// they are called.
func TestSniffRefused(t *testing.T) {
	for name, data := range map[string]string{
		"html":               "<!DOCTYPE html><html><script>alert(1)</script></html>",
		"html lower":         "<html><body onload=alert(1)>",
		"svg with xml decl":  `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`,
		"svg bare":           `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`,
		"svg after spaces":   "\n\n   <svg onload=alert(1)>",
		"markup after BOM":   "\xef\xbb\xbf<svg/>",
		"unknown tag":        "<template><img src=x onerror=alert(1)></template>",
		"text with NUL":      "notes\x00more",
		"invalid utf-8":      "caf\xe9 au lait",
		"utf-16":             "\xff\xfen\x00o\x00t\x00e\x00",
		"elf executable":     "\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00",
		"windows executable": "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff",
		"javascript-ish":     "\x00\x01\x02binary",
	} {
		if got, err := Sniff([]byte(data)); !errors.Is(err, ErrType) {
			t.Errorf("%s: %q, %v; want ErrType", name, got, err)
		}
	}
}

func TestTextCheckerAcrossWrites(t *testing.T) {
	text := []byte("zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich 🐟")
	for split := 1; split < len(text); split++ {
		var c TextChecker
		if _, err := c.Write(text[:split]); err != nil {
			t.Fatalf("split %d: %v", split, err)
		}
		if _, err := c.Write(text[split:]); err != nil {
			t.Fatalf("split %d: %v", split, err)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("split %d: %v", split, err)
		}
	}
	var c TextChecker
	c.Write([]byte("ok \xf0\x9f"))
	if err := c.Close(); !errors.Is(err, ErrType) {
		t.Fatalf("cut-off character: %v", err)
	}
}

func TestSafeName(t *testing.T) {
	long := strings.Repeat("é", 200) + ".pdf"
	cases := []struct{ in, ct, want string }{
		{"report.pdf", TypePDF, "report.pdf"},
		{"photo.txt", TypePNG, "photo.txt.png"}, // a PNG named .txt stays a PNG
		{`C:\fakepath\Invoice.PDF`, TypePDF, "Invoice.PDF"},
		{"../../etc/passwd", TypeText, "passwd.txt"},
		{"evil\u202Efdp.exe", TypePDF, "evilfdp.exe.pdf"},
		{"a\x00b\nc\x7f.txt", TypeText, "abc.txt"},
		{"...hidden", TypeText, "hidden.txt"},
		{"trailing. . ", TypeJPEG, "trailing.jpg"},
		{"photo.JPEG", TypeJPEG, "photo.JPEG"},
		{"   ", TypePDF, "file.pdf"},
		{"notes.md", TypeText, "notes.md"},
	}
	for _, tc := range cases {
		got, err := SafeName(tc.in, tc.ct)
		if err != nil || got != tc.want {
			t.Errorf("SafeName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	got, err := SafeName(long, TypePDF)
	if err != nil || len(got) > MaxNameBytes || !strings.HasSuffix(got, ".pdf") || !strings.HasPrefix(got, "éé") {
		t.Errorf("long name: %q (%d bytes), %v", got, len(got), err)
	}
	if _, err := SafeName("bad\xffname", TypePDF); !errors.Is(err, ErrName) {
		t.Errorf("invalid UTF-8: %v", err)
	}
}

func TestContentDisposition(t *testing.T) {
	got := ContentDisposition(`Résumé "final" 100%.pdf`)
	want := `attachment; filename="R_sum_ _final_ 100_.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22%20100%25.pdf`
	if got != want {
		t.Fatalf("\n got %s\nwant %s", got, want)
	}
}

func TestFileIDs(t *testing.T) {
	id, err := newFileID()
	if err != nil || !ValidID(id) {
		t.Fatalf("%q, %v", id, err)
	}
	for _, bad := range []string{"", "f_", "f_../../etc/passwd", "p_0123456789abcdefghjk", "f_0123456789ABCDEFGHJK", id + "x"} {
		if ValidID(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}
