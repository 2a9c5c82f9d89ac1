// Command conclave is the Conclave video conferencing server and its
// administration commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = ""

// env is the process environment, injected so tests run commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// usageError marks a mistake on the command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `Conclave: self-hosted, privacy-first video conferencing.

Usage:
  conclave serve [flags]              run the server (conclave serve --help)
  conclave user add [flags]           create an account (password from
                                      $CONCLAVE_PASSWORD or the terminal)
  conclave meeting create [flags]     create a meeting and print its link
  conclave audit verify [flags]       check the audit log's hash chain
  conclave audit export [flags]       write the audit log as CSV or JSON
  conclave privacy report [flags]     write the records of processing
                                      (--format md|html)
  conclave privacy export [flags]     write everything held on one person as
                                      a zip (--subject ID|--email E --out F)
  conclave privacy erase [flags]      erase one person's data (--subject
                                      ID|--email E --yes)
  conclave keys status [flags]        count data keys per master key
  conclave keys rotate [flags]        re-wrap data keys under a new master
                                      key while the server runs
  conclave loadtest [flags]           run synthetic participants against a
                                      server and measure it (docs/loadtest.md)
  conclave version                    print the version
  conclave help                       show this help

Configuration and operations: docs/operations.md
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, restore the default handling so that a
		// second one ends a shutdown that hangs.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], env{os.Stdin, os.Stdout, os.Stderr, os.Getenv})
	stop()
	os.Exit(code)
}

// run executes one command and returns the exit status.
func run(ctx context.Context, args []string, e env) int {
	err := dispatch(ctx, args, e)
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "conclave: %v\n\n%s", err, usage)
		return 2
	default:
		fmt.Fprintf(e.stderr, "conclave: %v\n", err)
		return 1
	}
}

func dispatch(ctx context.Context, args []string, e env) error {
	if len(args) == 0 {
		return usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	sub := ""
	if len(rest) > 0 {
		sub = rest[0]
	}
	switch {
	case cmd == "serve":
		return runServe(ctx, rest, e)
	case cmd == "user" && sub == "add":
		return runUserAdd(ctx, rest[1:], e)
	case cmd == "meeting" && sub == "create":
		return runMeetingCreate(ctx, rest[1:], e)
	case cmd == "privacy" && sub == "report":
		return runPrivacyReport(ctx, rest[1:], e)
	case cmd == "privacy" && sub == "export":
		return runPrivacyExport(ctx, rest[1:], e)
	case cmd == "privacy" && sub == "erase":
		return runPrivacyErase(ctx, rest[1:], e)
	case cmd == "audit" && sub != "":
		return runAudit(ctx, sub, rest[1:], e)
	case cmd == "keys" && sub != "":
		return runKeys(ctx, sub, rest[1:], e)
	case cmd == "loadtest":
		return runLoadtest(ctx, rest, e)
	case cmd == "version" || cmd == "--version":
		fmt.Fprintln(e.stdout, "conclave", versionString())
		return nil
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		fmt.Fprint(e.stdout, usage)
		return nil
	default:
		return usageError{fmt.Sprintf("unknown command %q", joinCmd(cmd, sub))}
	}
}

func joinCmd(cmd, sub string) string {
	if sub == "" || (cmd != "user" && cmd != "meeting" && cmd != "audit" && cmd != "keys") {
		return cmd
	}
	return cmd + " " + sub
}

// versionString prefers the linker-set version, then the module version,
// then the VCS revision recorded by the go command.
func versionString() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "devel-" + s.Value[:12]
		}
	}
	return "devel"
}
