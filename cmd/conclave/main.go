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
	"syscall"

	"github.com/conclave-meet/conclave/internal/release"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = ""

// env is the process environment, injected so tests run commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// flags is set by run; see flagRef.
	flags *flagRef
}

// usageError marks a mistake on the command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, restore the default handling so that a
		// second one ends a shutdown that hangs.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// run executes one command and returns the exit status.
func run(ctx context.Context, args []string, e env) int {
	e.flags = &flagRef{}
	err := dispatch(ctx, args, e)
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		printUsageError(e.stderr, err, e.flags.fs)
		return 2
	default:
		fmt.Fprintf(e.stderr, "conclave: %v\n", err)
		return 1
	}
}

// versionString is the version the binary reports: the linker's, else
// the module version, else the VCS revision the go command recorded
// (release.ReadBuild).
func versionString() string {
	return release.ReadBuild(version).Version
}
