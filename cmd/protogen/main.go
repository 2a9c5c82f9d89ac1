// Command protogen generates, from the protocol registry in
// internal/protocol, the browser's wire types and validators
// (web/src/wire.gen.ts) and the message reference in docs/protocol.md
// (between the BEGIN/END GENERATED markers).
//
//	go generate ./internal/protocol   # runs protogen
//	go run ./cmd/protogen             # the same, from the repository root
//	go run ./cmd/protogen -check      # exit 1 when an output is stale
//
// The output is deterministic: same registry, same bytes.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

const (
	modulePath = "github.com/conclave-meet/conclave"
	tsFile     = "web/src/wire.gen.ts"
	docFile    = "docs/protocol.md"
)

func main() {
	check := flag.Bool("check", false, "generate in memory and fail if "+tsFile+" or "+docFile+" differs")
	root := flag.String("root", "", "repository root (default: nearest parent directory whose go.mod declares "+modulePath+")")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: protogen [-check] [-root DIR]\n\nGenerates %s and the message reference in %s from internal/protocol.\n\n", tsFile, docFile)
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*root, *check); err != nil {
		fmt.Fprintln(os.Stderr, "protogen:", err)
		os.Exit(1)
	}
}

// output is one generated file and its fresh contents.
type output struct {
	path string // relative to the root, slash-separated
	data []byte
}

// generate builds every output from the registry and the current docs.
func generate(root string) ([]output, error) {
	m, err := load()
	if err != nil {
		return nil, err
	}
	doc, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(docFile)))
	if err != nil {
		return nil, err
	}
	newDoc, err := splice(doc, markdown(m))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", docFile, err)
	}
	return []output{
		{path: tsFile, data: []byte(typeScript(m))},
		{path: docFile, data: newDoc},
	}, nil
}

func run(root string, check bool) error {
	if root == "" {
		r, err := findRoot()
		if err != nil {
			return err
		}
		root = r
	}
	outs, err := generate(root)
	if err != nil {
		return err
	}
	var stale []string
	for _, o := range outs {
		dest := filepath.Join(root, filepath.FromSlash(o.path))
		old, err := os.ReadFile(dest)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if err == nil && bytes.Equal(old, o.data) {
			continue
		}
		if check {
			stale = append(stale, o.path)
			continue
		}
		if err := writeAtomic(dest, o.data); err != nil {
			return err
		}
		fmt.Printf("protogen: wrote %s\n", o.path)
	}
	if len(stale) > 0 {
		return fmt.Errorf("stale: %v: run `go generate ./internal/protocol` and commit the result", stale)
	}
	return nil
}

// findRoot walks up from the working directory to the module root, so the
// command works both from the repository root and via go:generate in
// internal/protocol.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(data, []byte("module "+modulePath+"\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod for %s found above the working directory; pass -root", modulePath)
		}
		dir = parent
	}
}

func writeAtomic(dest string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".protogen.*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dest)
}
