// Package testbin builds the conclave binary for the tests that run it
// as an operator would (test/browser, test/cluster, test/bench).
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Conclave builds cmd/conclave into dir and returns the binary's path.
// The build's output goes to stderr, where a failing TestMain shows it.
func Conclave(dir string) (string, error) {
	bin := filepath.Join(dir, "conclave")
	build := exec.Command("go", "build", "-o", bin, "github.com/conclave-meet/conclave/cmd/conclave")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build conclave: %w", err)
	}
	return bin, nil
}
