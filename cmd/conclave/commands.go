package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one entry of the command line. The table below is the one
// list of commands: dispatch, the help text and the test that the docs name
// every command all read it, so a new command cannot be left out of any.
type command struct {
	name    string // "user add"
	flags   bool   // takes flags (shown as [flags] in the help)
	summary string
	run     func(context.Context, []string, env) error // nil: help, which prints this table
}

var commands = []command{
	{"serve", true, "run the server (conclave serve --help)", runServe},
	{"user add", true, "create an account (password from $CONCLAVE_PASSWORD or the terminal)", runUserAdd},
	{"user disable", true, "disable an account and sign out its sessions (--email E)", runUserDisable},
	{"user enable", true, "re-enable a disabled account (--email E)", runUserEnable},
	{"user role", true, "change an account's role and sign out its sessions (--email E --role R)", runUserRole},
	{"meeting create", true, "create a meeting and print its link", runMeetingCreate},
	{"meeting delete", true, "delete a meeting and erase its data (--id ID --yes)", runMeetingDelete},
	{"audit verify", true, "check the audit log's hash chain", runAuditVerify},
	{"audit export", true, "write the audit log as JSON (default) or CSV", runAuditExport},
	{"privacy report", true, "write the records of processing (--format md|html)", runPrivacyReport},
	{"privacy export", true, "write everything held on one person as a zip (--subject ID|--email E --out F)", runPrivacyExport},
	{"privacy erase", true, "erase one person's data (--subject ID|--email E --yes)", runPrivacyErase},
	{"keys status", true, "count data keys per master key", runKeysStatus},
	{"keys rotate", true, "re-wrap data keys under a new master key while the server runs", runKeysRotate},
	{"agent", true, "let the person you granted remote control drive this desktop (X11; --server URL --meeting ID --code-file F)", runAgent},
	{"transcribe-worker", true, "serve this machine's speech engine to Conclave servers (transcription_engine remote; --token-file F)", runTranscribeWorker},
	{"loadtest", true, "run synthetic participants against a server and measure it (docs/loadtest.md)", runLoadtest},
	{"version", false, "print the version", runVersion},
	{"help", false, "show this help", nil},
}

// aliases are the spellings of help and version that other tools accept.
var aliases = map[string]string{"--version": "version", "-h": "help", "--help": "help"}

// Layout of the help text: summaries start at summaryColumn and wrap
// before helpWidth.
const (
	summaryColumn = 38
	helpWidth     = 78
)

// usage is the general help, generated from the command table.
func usage() string {
	var b strings.Builder
	b.WriteString("Conclave: self-hosted, privacy-first video conferencing.\n\nUsage:\n")
	for _, c := range commands {
		synopsis := "  conclave " + c.name
		if c.flags {
			synopsis += " [flags]"
		}
		writeWrapped(&b, synopsis, c.summary)
	}
	b.WriteString("\nConfiguration and operations: docs/operations.md\n")
	return b.String()
}

// writeWrapped writes head padded to summaryColumn, then text wrapped to
// helpWidth with continuation lines indented to the same column.
func writeWrapped(w io.Writer, head, text string) {
	line := fmt.Sprintf("%-*s", summaryColumn, head)
	indent := strings.Repeat(" ", summaryColumn)
	for i, word := range strings.Fields(text) {
		if i > 0 && len(line)+1+len(word) > helpWidth {
			fmt.Fprintln(w, line)
			line = indent + word
			continue
		}
		if i > 0 {
			line += " "
		}
		line += word
	}
	fmt.Fprintln(w, line)
}

// lookup finds the command args name: a two-word command (user add) first,
// then a one-word one; rest are its arguments.
func lookup(args []string) (c command, rest []string, ok bool) {
	name := args[0]
	if a, found := aliases[name]; found {
		name = a
	}
	if len(args) > 1 {
		if c, ok := findCommand(name + " " + args[1]); ok {
			return c, args[2:], true
		}
	}
	if isGroup(name) {
		return command{}, nil, false
	}
	c, ok = findCommand(name)
	return c, args[1:], ok
}

func findCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// isGroup reports whether name is the first word of two-word commands.
func isGroup(name string) bool {
	for _, c := range commands {
		if strings.HasPrefix(c.name, name+" ") {
			return true
		}
	}
	return false
}

func dispatch(ctx context.Context, args []string, e env) error {
	if len(args) == 0 {
		return usageError{"no command given"}
	}
	c, rest, ok := lookup(args)
	switch {
	case !ok:
		sub := ""
		if len(args) > 1 {
			sub = args[1]
		}
		return usageError{fmt.Sprintf("unknown command %q", joinCmd(args[0], sub))}
	case c.run == nil:
		fmt.Fprint(e.stdout, usage())
		return nil
	}
	return c.run(ctx, rest, e)
}

func runVersion(_ context.Context, _ []string, e env) error {
	fmt.Fprintln(e.stdout, "conclave", versionString())
	return nil
}

// joinCmd names an unknown command as typed: both words for a group.
func joinCmd(cmd, sub string) string {
	if sub == "" || !isGroup(cmd) {
		return cmd
	}
	return cmd + " " + sub
}

// flagRef records the flag set of the command being run (newFlagSet fills
// it), so that a usage error found after parsing, such as a missing
// required flag, still shows that command's own flags.
type flagRef struct{ fs *flag.FlagSet }

// printUsageError explains a usage error: the command's own flags when it
// has a flag set, else the list of commands.
func printUsageError(w io.Writer, err error, fs *flag.FlagSet) {
	fmt.Fprintf(w, "conclave: %v\n", err)
	if fs == nil {
		fmt.Fprint(w, "\n"+usage())
		return
	}
	fs.SetOutput(w)
	fmt.Fprintln(w)
	fs.Usage()
	fmt.Fprintln(w, "\nRun `conclave help` for the list of commands.")
}
