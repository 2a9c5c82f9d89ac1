package files

import (
	"context"
	"fmt"

	"github.com/conclave-meet/conclave/internal/clamav"
)

// ClamdScanner scans with clamd (config clamd_socket); nil when socket is
// empty, which leaves files unscanned.
func ClamdScanner(socket string) (Scanner, error) {
	if socket == "" {
		return nil, nil
	}
	c, err := clamav.New(socket)
	if err != nil {
		return nil, err
	}
	return clamdScanner{c}, nil
}

type clamdScanner struct{ c *clamav.Client }

func (s clamdScanner) String() string { return "clamd at " + s.c.String() }

// Ping checks that clamd answers (Service.CheckScanner).
func (s clamdScanner) Ping(ctx context.Context) error { return s.c.Ping(ctx) }

func (s clamdScanner) Begin(ctx context.Context) (Scan, error) {
	st, err := s.c.Stream(ctx)
	if err != nil {
		return nil, err
	}
	return clamdScan{st}, nil
}

type clamdScan struct{ s *clamav.Stream }

func (c clamdScan) Write(p []byte) (int, error) { return c.s.Write(p) }
func (c clamdScan) Close() error                { return c.s.Close() }

func (c clamdScan) Finish() (string, error) {
	res, err := c.s.Finish()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrScan, err)
	}
	if res.Infected {
		return res.Signature, nil
	}
	return "", nil
}
