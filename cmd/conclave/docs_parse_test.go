package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// The parsing half of the docs test (docs_commands_test.go): Markdown
// fences and code spans, and just enough of the shell to split the
// documented command lines into words the way sh would.

// doc is one Markdown file of the repository.
type doc struct {
	name   string // path from the repository root
	fences []fence
	spans  []string // inline code spans, whitespace collapsed
}

// fence is a fenced code block; lines are its content.
type fence struct {
	line  int // of the opening fence, for messages
	lang  string
	lines []string
}

// readDocs reads README.md and docs/*.md, as the user reads them.
func readDocs(t *testing.T) []doc {
	t.Helper()
	names, err := filepath.Glob("../../docs/*.md")
	if err != nil || len(names) == 0 {
		t.Fatalf("docs: %v %v", names, err)
	}
	var docs []doc
	for _, path := range append([]string{"../../README.md"}, names...) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, parseDoc(strings.TrimPrefix(path, "../../"), string(b)))
	}
	return docs
}

var (
	fenceRE = regexp.MustCompile("^\\s*```+\\s*([A-Za-z0-9_-]*)")
	spanRE  = regexp.MustCompile("`([^`]+)`")
)

func parseDoc(name, text string) doc {
	d := doc{name: name}
	var prose strings.Builder
	var cur *fence
	for i, l := range strings.Split(text, "\n") {
		m := fenceRE.FindStringSubmatch(l)
		switch {
		case m != nil && cur == nil:
			cur = &fence{line: i + 1, lang: m[1]}
		case m != nil:
			d.fences = append(d.fences, *cur)
			cur = nil
		case cur != nil:
			cur.lines = append(cur.lines, l)
		default:
			prose.WriteString(l + "\n")
		}
	}
	for _, m := range spanRE.FindAllStringSubmatch(prose.String(), -1) {
		d.spans = append(d.spans, strings.Join(strings.Fields(m[1]), " "))
	}
	return d
}

// logicalLines joins lines continued with a trailing backslash.
func logicalLines(lines []string) []string {
	var out []string
	var cur strings.Builder
	for _, l := range lines {
		if strings.HasSuffix(l, "\\") {
			cur.WriteString(strings.TrimSuffix(l, "\\") + " ")
			continue
		}
		cur.WriteString(l)
		out = append(out, cur.String())
		cur.Reset()
	}
	return out
}

// stmt is one simple command of a shell line.
type stmt struct {
	words       []string
	unsupported string   // shell syntax the runner does not model (pipes, redirections, $(...))
	undefined   []string // variables used but not set
}

// shellSplit splits a logical line into statements at ;, && and &, with
// sh's quoting, comments and $VAR expansion from vars.
func shellSplit(line string, vars map[string]string) []stmt {
	s := &shellState{vars: vars}
	r := []rune(line)
	for i := 0; i < len(r); i++ {
		i = s.step(r, i)
		if s.comment {
			break
		}
	}
	s.endStmt()
	return s.out
}

type shellState struct {
	vars    map[string]string
	out     []stmt
	cur     stmt
	word    strings.Builder
	inWord  bool
	comment bool
}

// step consumes the token at r[i] and returns the index of its last rune.
func (s *shellState) step(r []rune, i int) int {
	c := r[i]
	switch {
	case unicode.IsSpace(c):
		s.endWord()
	case c == '#' && !s.inWord:
		s.comment = true
	case c == ';' || c == '&':
		s.endStmt()
		if c == '&' && i+1 < len(r) && r[i+1] == '&' {
			return i + 1
		}
	case c == '|' || c == '>' || c == '<' || c == '`':
		s.endWord()
		s.cur.unsupported = string(c)
	case c == '\\' && i+1 < len(r):
		s.add(string(r[i+1]))
		return i + 1
	case c == '\'':
		end := indexFrom(r, i+1, '\'')
		s.add(string(r[i+1 : end]))
		return end
	case c == '"':
		end := indexFrom(r, i+1, '"')
		s.add(s.expand(string(r[i+1 : end])))
		return end
	case c == '$':
		name, n := varName(r[i+1:])
		if n == 0 {
			s.cur.unsupported = "$" + string(r[min(i+1, len(r)-1)])
			return i
		}
		s.add(s.lookup(name))
		return i + n
	default:
		s.add(string(c))
	}
	return i
}

func indexFrom(r []rune, from int, c rune) int {
	for j := from; j < len(r); j++ {
		if r[j] == c {
			return j
		}
	}
	return len(r)
}

var varRE = regexp.MustCompile(`^(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))`)

// varName reads NAME or {NAME} after a $ and the runes it spans.
func varName(r []rune) (string, int) {
	m := varRE.FindStringSubmatch(string(r))
	if m == nil {
		return "", 0
	}
	return m[1] + m[2], len([]rune(m[0]))
}

// expand substitutes $VAR inside double quotes.
func (s *shellState) expand(text string) string {
	r := []rune(text)
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		if r[i] == '$' {
			if name, n := varName(r[i+1:]); n > 0 {
				b.WriteString(s.lookup(name))
				i += n
				continue
			}
		}
		b.WriteRune(r[i])
	}
	return b.String()
}

func (s *shellState) lookup(name string) string {
	v, ok := s.vars[name]
	if !ok {
		s.cur.undefined = append(s.cur.undefined, name)
	}
	return v
}

func (s *shellState) add(text string) {
	s.word.WriteString(text)
	s.inWord = true
}

func (s *shellState) endWord() {
	if s.inWord {
		s.cur.words = append(s.cur.words, s.word.String())
	}
	s.word.Reset()
	s.inWord = false
}

func (s *shellState) endStmt() {
	s.endWord()
	if len(s.cur.words) > 0 || s.cur.unsupported != "" {
		s.out = append(s.out, s.cur)
	}
	s.cur = stmt{}
}

var assignRE = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)

// splitAssignments separates leading NAME=value words from the command.
func splitAssignments(words []string) (assign map[string]string, rest []string) {
	assign = map[string]string{}
	for len(words) > 0 {
		m := assignRE.FindStringSubmatch(words[0])
		if m == nil {
			break
		}
		assign[m[1]] = m[2]
		words = words[1:]
	}
	return assign, words
}

// conclaveArgs returns the arguments of a conclave invocation: the
// installed binary, one built in the current directory, or go run.
func conclaveArgs(words []string) ([]string, bool) {
	switch {
	case len(words) > 0 && (words[0] == "conclave" || words[0] == "./conclave"):
		return words[1:], true
	case len(words) > 2 && words[0] == "go" && words[1] == "run" && words[2] == "./cmd/conclave":
		return words[3:], true
	}
	return nil, false
}

// where names a place in the docs for test messages.
func where(d doc, f fence) string { return fmt.Sprintf("%s (block at line %d)", d.name, f.line) }

func TestShellSplit(t *testing.T) {
	vars := map[string]string{"ID": "abc"}
	got := shellSplit(`A='x y' ./conclave run --t "W $ID" --m ${ID} # note`, vars)
	want := []string{"A=x y", "./conclave", "run", "--t", "W abc", "--m", "abc"}
	if len(got) != 1 || fmt.Sprint(got[0].words) != fmt.Sprint(want) {
		t.Fatalf("got %q", got)
	}
	got = shellSplit(`cd web && npm ci; x | y; serve &`, nil)
	if len(got) != 4 || got[2].unsupported != "|" || got[3].words[0] != "serve" {
		t.Fatalf("statements %+v", got)
	}
	if got := shellSplit(`c --p $NOPE`, nil); len(got[0].undefined) != 1 {
		t.Fatalf("undefined variable unnoticed: %+v", got)
	}
}
