package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strings"

	"github.com/jezek/xgb"

	"github.com/conclave-meet/conclave/internal/remotecontrol"
	"github.com/conclave-meet/conclave/internal/remotecontrol/agent"
	"github.com/conclave-meet/conclave/internal/remotecontrol/x11"
)

// runAgent is `conclave agent`: the program a sharer runs on their own
// computer so that the controller they granted may drive it, for one
// grant (docs/operations.md, "Remote control agent"). It connects out to
// the server; nothing connects in.
func runAgent(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("agent", e)
	server := fs.String("server", "", "the Conclave server, https://host[:port] (required)")
	meeting := fs.String("meeting", "", "the meeting's ID, as the meeting page's command gives it: a cluster of nodes passes the agent to the node running the meeting")
	code := fs.String("code", "", "the pairing code the meeting page shows (visible to other local users in the process list; prefer --code-file)")
	codeFile := fs.String("code-file", "", "read the pairing code from this file, or - for standard input")
	caFile := fs.String("ca-file", "", "PEM file of the certificate authority that signed the server's certificate, when it is private")
	display := fs.String("display", "", "X display to drive (default $DISPLAY)")
	bounds := fs.String("bounds", "", "the shared part of the screen, WxH+X+Y (default the whole screen)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *server == "" {
		return usageError{"agent: --server is required"}
	}
	if _, err := agent.Endpoint(*server, *meeting); err != nil {
		return usageError{err.Error()}
	}
	pc, err := readPairingCode(*code, *codeFile, e.stdin)
	if err != nil {
		return err
	}
	var rect x11.Rect
	if *bounds != "" {
		if rect, err = x11.ParseBounds(*bounds); err != nil {
			return usageError{"agent: --bounds: " + err.Error()}
		}
	}
	client, err := agentHTTPClient(*caFile)
	if err != nil {
		return err
	}
	if runtime.GOOS != "linux" {
		return fmt.Errorf("agent: this build drives X11 desktops on Linux only, not %s", runtime.GOOS)
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	if *display == "" {
		*display = e.getenv("DISPLAY")
	}
	desk, err := openDesktop(*display, rect, logger)
	if err != nil {
		return err
	}
	defer desk.Close()
	fmt.Fprintf(e.stderr, "conclave agent: waiting for the grant; press Ctrl+Alt+Escape on this computer to stop control at any time\n")
	cause, err := agent.Run(ctx, agent.Config{Server: *server, Meeting: *meeting, Code: pc, HTTPClient: client, Injector: desk, Logger: logger})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "remote control ended: %s\n", cause)
	return nil
}

// readPairingCode takes the code from --code or --code-file (exactly one).
func readPairingCode(code, file string, stdin io.Reader) (remotecontrol.PairingCode, error) {
	switch {
	case code != "" && file != "":
		return remotecontrol.PairingCode{}, usageError{"agent: give --code or --code-file, not both"}
	case code == "" && file == "":
		return remotecontrol.PairingCode{}, usageError{"agent: --code or --code-file is required"}
	case file != "":
		b, err := readCodeFile(file, stdin)
		if err != nil {
			return remotecontrol.PairingCode{}, fmt.Errorf("agent: --code-file: %w", err)
		}
		code = string(b)
	}
	pc, err := remotecontrol.ParsePairingCode(code)
	if err != nil {
		return remotecontrol.PairingCode{}, usageError{"agent: " + err.Error()}
	}
	return pc, nil
}

// maxCodeFile bounds what --code-file reads: a code is under 200 bytes.
const maxCodeFile = 4096

func readCodeFile(name string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxCodeFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxCodeFile {
		return nil, errors.New("longer than any pairing code")
	}
	return []byte(strings.TrimSpace(string(b))), nil
}

// agentHTTPClient trusts the system's roots, or only caFile's when given.
func agentHTTPClient(caFile string) (*http.Client, error) {
	if caFile == "" {
		return http.DefaultClient, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("agent: --ca-file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("agent: --ca-file %s holds no PEM certificate", caFile)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr}, nil
}

// openDesktop connects to the X display (never empty: xgb would read
// $DISPLAY behind the caller's back). xgb's own logger writes to
// stderr unasked; its unrecoverable errors reach us as a closed
// connection anyway, so it is silenced.
func openDesktop(display string, bounds x11.Rect, logger *slog.Logger) (*x11.Desktop, error) {
	xgb.Logger = log.New(io.Discard, "", 0)
	if display == "" {
		return nil, errors.New("agent: no X display: run it in your desktop session, or give --display (Wayland sessions are not supported yet)")
	}
	d, err := x11.Open(x11.Options{Display: display, Bounds: bounds, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	return d, nil
}
