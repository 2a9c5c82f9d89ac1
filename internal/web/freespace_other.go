//go:build !linux

package web

import "errors"

// errNoStatfs is freeSpace's answer where the platform cannot tell.
var errNoStatfs = errors.New("free space unknown on this platform")

// freeSpace is unknown off Linux: the readiness check then relies on the
// write probe alone.
func freeSpace(string) (uint64, error) { return 0, errNoStatfs }
