package x11

import (
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/eventually"
)

// timeout is how long a test waits for something the X server sends.
func timeout() <-chan time.Time { return time.After(eventually.Limit) }

func containsText(s, sub string) bool { return strings.Contains(s, sub) }
