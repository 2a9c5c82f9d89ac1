package main

import (
	"strings"
	"testing"
)

// TestUsageErrorShowsCommandFlags: a mistake in a command's flags prints
// the error, that command's own flags and a pointer to `conclave help`,
// not the list of every command, and exits 2.
func TestUsageErrorShowsCommandFlags(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args      []string
		msg, flag string
	}{
		{[]string{"user", "add", "--data", dir, "--email", "a@example.org"}, "user add: --email and --name are required", "-name"},
		{[]string{"user", "add", "--bogus"}, "user add: flag provided but not defined: -bogus", "-role"},
		{[]string{"meeting", "create", "--starts", "tomorrow"}, "--starts", "-title"},
		{[]string{"audit", "export", "--format", "xml"}, "--format", "-since"},
		{[]string{"privacy", "erase", "--email", "a@example.org"}, "--yes", "-subject"},
		{[]string{"keys", "status", "extra"}, `keys status: unexpected argument "extra"`, "-data"},
		{[]string{"loadtest"}, "--meeting is required", "-video-kbps"},
		{[]string{"serve", "--bogus"}, "serve: flag provided but not defined: -bogus", "-listen"},
		{[]string{"serve", "extra"}, `serve: unexpected argument "extra"`, "-media-port"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(cmdWords(tc.args), " "), func(t *testing.T) {
			r := cli(t, nil, "", tc.args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2: %s", r.code, r.stderr)
			}
			first, _, _ := strings.Cut(r.stderr, "\n")
			if !strings.HasPrefix(first, "conclave: ") || !strings.Contains(first, tc.msg) {
				t.Errorf("first line %q does not report %q", first, tc.msg)
			}
			if strings.Count(r.stderr, tc.msg) != 1 {
				t.Errorf("error reported more than once:\n%s", r.stderr)
			}
			usageLine := "Usage: conclave " + strings.Join(cmdWords(tc.args), " ") + " [flags]"
			for _, want := range []string{usageLine, "\n  " + tc.flag + " ", "Run `conclave help`"} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "conclave privacy report [flags]") {
				t.Errorf("the general help was printed:\n%s", r.stderr)
			}
		})
	}
}

// cmdWords are the command's words at the start of args.
func cmdWords(args []string) []string {
	if isGroup(args[0]) {
		return args[:2]
	}
	return args[:1]
}

// TestUnknownCommandShowsCommands: without a command there are no flags
// to show, so the list of commands is the help.
func TestUnknownCommandShowsCommands(t *testing.T) {
	for _, args := range [][]string{{}, {"bogus"}, {"privacy"}, {"privacy", "bogus"}} {
		r := cli(t, nil, "", args...)
		if r.code != 2 || !strings.Contains(r.stderr, "conclave privacy report [flags]") {
			t.Errorf("%q: %d %q", args, r.code, r.stderr)
		}
	}
	if r := cli(t, nil, "", "privacy", "bogus"); !strings.Contains(r.stderr, `unknown command "privacy bogus"`) {
		t.Errorf("unknown subcommand: %q", r.stderr)
	}
}

// TestHelpFlagPrintsCommandUsage: -h is not an error and prints the
// command's usage once.
func TestHelpFlagPrintsCommandUsage(t *testing.T) {
	r := cli(t, nil, "", "privacy", "export", "-h")
	if r.code != 0 || strings.Count(r.stderr, "Usage: conclave privacy export [flags]") != 1 || !strings.Contains(r.stderr, "-out") {
		t.Fatalf("privacy export -h: %+v", r)
	}
}

// TestHelpListsEveryCommand: the general help is generated from the
// command table, every dispatchable command is in it, and its lines fit
// a terminal.
func TestHelpListsEveryCommand(t *testing.T) {
	r := cli(t, nil, "", "help")
	for _, c := range commands {
		if !strings.Contains(r.stdout, "  conclave "+c.name+" ") {
			t.Errorf("help lacks %q", c.name)
		}
		if c.run == nil && c.name != "help" {
			t.Errorf("%s has nothing to run", c.name)
		}
	}
	for _, l := range strings.Split(r.stdout, "\n") {
		if len(l) > helpWidth {
			t.Errorf("help line longer than %d: %q", helpWidth, l)
		}
	}
	for alias, name := range aliases {
		if a, b := cli(t, nil, "", alias), cli(t, nil, "", name); a.code != 0 || a.stdout != b.stdout {
			t.Errorf("%s is not %s: %+v", alias, name, a)
		}
	}
}
