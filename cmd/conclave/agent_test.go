package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAgentRefusals: every mistake on the agent's command line is refused
// before anything connects anywhere, with a message naming it.
func TestAgentRefusals(t *testing.T) {
	dir := t.TempDir()
	codeFile := filepath.Join(dir, "code")
	if err := os.WriteFile(codeFile, []byte("AlVleZLT4dw26m8NdrJw-w\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	long := filepath.Join(dir, "long")
	if err := os.WriteFile(long, []byte(strings.Repeat("a", 5000)), 0o600); err != nil {
		t.Fatal(err)
	}
	badCA := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(badCA, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	const code = "AlVleZLT4dw26m8NdrJw-w"
	for _, tc := range []struct {
		args  []string
		stdin string
		exit  int
		want  string
	}{
		{[]string{"--code", code}, "", 2, "--server is required"},
		{[]string{"--server", "http://meet.example.org", "--code", code}, "", 2, "not encrypted"},
		{[]string{"--server", "ftp://meet.example.org", "--code", code}, "", 2, "scheme must be https"},
		{[]string{"--server", "https://u:p@meet.example.org", "--code", code}, "", 2, "only the scheme, host and path"},
		{[]string{"--server", "https://meet.example.org"}, "", 2, "--code or --code-file is required"},
		{[]string{"--server", "https://meet.example.org", "--code", code, "--code-file", codeFile}, "", 2, "not both"},
		{[]string{"--server", "https://meet.example.org", "--code-file", "-"}, "", 2, "empty"},
		{[]string{"--server", "https://meet.example.org", "--code-file", long}, "", 1, "longer than any pairing code"},
		{[]string{"--server", "https://meet.example.org", "--code-file", filepath.Join(dir, "none")}, "", 1, "no such file"},
		{[]string{"--server", "https://meet.example.org", "--code", code + ".!!"}, "", 2, "key part is damaged"},
		{[]string{"--server", "https://meet.example.org", "--code", code, "--bounds", "big"}, "", 2, "--bounds"},
		{[]string{"--server", "https://meet.example.org", "--code", code, "--ca-file", badCA}, "", 1, "no PEM certificate"},
		{[]string{"--server", "https://meet.example.org", "--code-file", "-"}, code, 1, "no X display"},
		{[]string{"--server", "https://meet.example.org", "--meeting", "weekly-sync", "--code-file", "-"}, code, 1, "no X display"},
		{[]string{"--server", "https://meet.example.org/?meeting=weekly-sync", "--code", code}, "", 2, "only the scheme, host and path"},
		{[]string{"--server", "http://127.0.0.1:1", "--code", code, "--display", ":99999"}, "", 1, "X display"},
	} {
		r := cli(t, nil, tc.stdin, append([]string{"agent"}, tc.args...)...)
		if r.code != tc.exit || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q: exit %d, want %d with %q:\n%s", tc.args, r.code, tc.exit, tc.want, r.stderr)
		}
		if strings.Contains(r.stderr+r.stdout, code) {
			t.Errorf("%q: the pairing code was printed", tc.args)
		}
	}
}
