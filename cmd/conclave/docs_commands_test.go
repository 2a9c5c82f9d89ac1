package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The docs' commands are run as written (issue: a README line that failed
// as written). The rules the docs follow:
//
//   - Commands to run go in ```sh blocks. Each file's sh blocks run in
//     order, as one shell session, in a fresh directory: relative paths
//     land there and absolute ones (/var/lib/conclave, /tmp/...) are moved
//     under it. `meeting create --json` sets $ID and $PASS to the meeting's
//     id and passcode, as docs/loadtest.md describes.
//   - Synopses (with [optional] parts and placeholders) go in ```text
//     blocks or inline code; they are not run, but their commands and
//     flags must exist.
//   - A plain ``` block must not hold a conclave command: say which of the
//     two it is.

// skipCommands are the documented commands that are not run, and why. A
// new command that cannot run here must be added deliberately.
var skipCommands = map[string]string{
	"serve":    "runs until stopped and binds ports; TestServe runs it",
	"loadtest": "needs a running server and a network; loadtest_test covers its flags",
	"agent":    "needs a running server, a grant and an X display; agent_test covers it",
}

// otherPrograms are the programs besides conclave that sh blocks call,
// and why the test leaves them alone.
var otherPrograms = map[string]string{
	"go":        "the Go toolchain; building and testing is this suite's own job",
	"./test.sh": "runs the whole test suite",
	"cd":        "only ever followed by the web client's npm steps",
	"npm":       "the web client's toolchain, which test.sh runs",
	"npx":       "the web client's toolchain, which test.sh runs",
	"sha256sum": "checks a downloaded release against its SHA256SUMS; cmd/release's tests run it",
	"diff":      "compares a rebuilt release's SHA256SUMS with the published one",
}

func TestDocsCommandsRun(t *testing.T) {
	used := map[string]bool{}
	for _, d := range readDocs(t) {
		t.Run(d.name, func(t *testing.T) {
			s := &docSession{t: t, root: t.TempDir(), vars: map[string]string{}, used: used}
			t.Chdir(s.root)
			for _, f := range d.fences {
				if f.lang != "sh" {
					continue
				}
				for _, line := range logicalLines(f.lines) {
					for _, st := range shellSplit(line, s.vars) {
						s.exec(where(d, f), st)
					}
				}
			}
		})
	}
	for name := range skipCommands {
		if !used[name] {
			t.Errorf("skipCommands lists %q, which no doc runs any more: remove it", name)
		}
	}
}

// docSession is the shell session of one file's sh blocks.
type docSession struct {
	t    *testing.T
	root string            // the fresh directory standing in for /
	vars map[string]string // shell variables and exports
	used map[string]bool   // skipCommands entries met
}

func (s *docSession) exec(at string, st stmt) {
	t := s.t
	assign, words := splitAssignments(st.words)
	if len(words) == 0 || words[0] == "export" {
		s.setVars(assign, words)
		return
	}
	args, ok := conclaveArgs(words)
	if !ok {
		if _, known := otherPrograms[words[0]]; !known {
			t.Errorf("%s: %q is neither conclave nor in otherPrograms", at, strings.Join(words, " "))
		}
		return
	}
	c, _, ok := lookup(args)
	if !ok {
		t.Errorf("%s: %q is not a conclave command", at, strings.Join(args, " "))
		return
	}
	if _, skip := skipCommands[c.name]; skip {
		s.used[c.name] = true
		return
	}
	if st.unsupported != "" || len(st.undefined) > 0 {
		t.Errorf("%s: %q uses %q or unset %v, which the test cannot run", at, strings.Join(words, " "), st.unsupported, st.undefined)
		return
	}
	s.runConclave(at, c, args, assign)
}

func (s *docSession) setVars(assign map[string]string, words []string) {
	for k, v := range assign {
		s.vars[k] = v
	}
	if len(words) > 0 {
		more, _ := splitAssignments(words[1:])
		for k, v := range more {
			s.vars[k] = v
		}
	}
}

func (s *docSession) runConclave(at string, c command, args []string, assign map[string]string) {
	t := s.t
	vars := map[string]string{}
	for k, v := range s.vars {
		vars[k] = s.inRoot(v)
	}
	for k, v := range assign {
		vars[k] = s.inRoot(v)
	}
	moved := make([]string, len(args))
	for i, a := range args {
		moved[i] = s.inRoot(a)
	}
	r := cli(t, vars, "", moved...)
	if r.code != 0 {
		t.Errorf("%s: conclave %s: exit %d\n%s", at, strings.Join(args, " "), r.code, r.stderr)
		return
	}
	if c.name == "meeting create" && slices.Contains(args, "--json") {
		var m meetingOutput
		if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
			t.Errorf("%s: meeting create --json: %v", at, err)
		}
		s.vars["ID"], s.vars["PASS"] = m.ID, m.Passcode
	}
}

// inRoot moves an absolute path, alone or as --flag=value, under the
// session's directory, so that documented paths are used but not touched.
func (s *docSession) inRoot(v string) string {
	prefix := ""
	if strings.HasPrefix(v, "-") {
		if name, val, ok := strings.Cut(v, "="); ok {
			prefix, v = name+"=", val
		}
	}
	if strings.HasPrefix(v, "/") {
		return prefix + filepath.Join(s.root, v)
	}
	return prefix + v
}

// TestDocsNoUnmarkedCommands: a plain ``` block holding a conclave
// command is either to be run (sh) or a synopsis (text); the docs say so.
func TestDocsNoUnmarkedCommands(t *testing.T) {
	for _, d := range readDocs(t) {
		for _, f := range d.fences {
			if f.lang != "" {
				continue
			}
			for _, line := range logicalLines(f.lines) {
				for _, st := range shellSplit(line, nil) {
					if _, words := splitAssignments(st.words); isConclave(words) {
						t.Errorf("%s: %q: mark the block sh (to run) or text (a synopsis)", where(d, f), line)
					}
				}
			}
		}
	}
}

func isConclave(words []string) bool {
	_, ok := conclaveArgs(words)
	return ok
}

// TestDocsSynopses: every conclave command the docs name, in text blocks
// and inline code, exists and has the flags the docs give it.
func TestDocsSynopses(t *testing.T) {
	flags := map[string][]string{}
	for _, d := range readDocs(t) {
		for _, syn := range synopses(d) {
			words := strings.Fields(syn)
			c, _, ok := lookup(words[1:])
			if !ok {
				t.Errorf("%s: %q names no command", d.name, syn)
				continue
			}
			if _, seen := flags[c.name]; !seen {
				flags[c.name] = flagNames(t, c.name)
			}
			for _, m := range flagRE.FindAllStringSubmatch(syn, -1) {
				if name := m[1]; name == strings.ToLower(name) && !slices.Contains(flags[c.name], name) {
					t.Errorf("%s: %q: conclave %s has no --%s", d.name, syn, c.name, name)
				}
			}
		}
	}
}

var (
	flagRE        = regexp.MustCompile(`(?:^|[\s\[|])--([A-Za-z0-9][A-Za-z0-9-]*)`)
	usageFlagRE   = regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)
	synopsisStart = regexp.MustCompile(`^conclave [a-z]`)
)

// synopses are the conclave commands of a doc's text blocks (with their
// indented continuation lines) and inline code.
func synopses(d doc) []string {
	var out []string
	for _, s := range d.spans {
		if synopsisStart.MatchString(s) {
			out = append(out, s)
		}
	}
	for _, f := range d.fences {
		if f.lang != "text" {
			continue
		}
		for _, l := range f.lines {
			switch {
			case synopsisStart.MatchString(l):
				out = append(out, l)
			case strings.HasPrefix(l, " ") && len(out) > 0 && strings.TrimSpace(l) != "":
				out[len(out)-1] += " " + strings.TrimSpace(l)
			}
		}
	}
	return out
}

// flagNames are the flags of the command name as its -h prints them.
func flagNames(t *testing.T, name string) []string {
	r := cli(t, nil, "", append(strings.Fields(name), "-h")...)
	names := []string{"h", "help"}
	for _, m := range usageFlagRE.FindAllStringSubmatch(r.stdout+r.stderr, -1) {
		names = append(names, m[1])
	}
	return names
}

// TestOperationsListsEveryCommand: docs/operations.md's command list has a
// line, with its description, for every command of the command table.
func TestOperationsListsEveryCommand(t *testing.T) {
	for _, d := range readDocs(t) {
		if d.name != "docs/operations.md" {
			continue
		}
		listed := map[string]bool{}
		for _, syn := range synopses(d) {
			for _, c := range commands {
				if regexp.MustCompile(`^conclave ` + c.name + `( \[flags\])?\s{2,}\S`).MatchString(syn) {
					listed[c.name] = true
				}
			}
		}
		for _, c := range commands {
			if !listed[c.name] {
				t.Errorf("docs/operations.md does not list `conclave %s` with a description", c.name)
			}
		}
		return
	}
	t.Fatal("docs/operations.md not found")
}
