package x11

import (
	"io"
	"log"
	"os"
	"testing"

	"github.com/jezek/xgb"
)

func TestMain(m *testing.M) {
	// xgb logs to stderr that Xvfb has no ~/.Xauthority and that its
	// connections end when a test's Xvfb does; neither is news.
	xgb.Logger = log.New(io.Discard, "", 0)
	os.Exit(m.Run())
}
