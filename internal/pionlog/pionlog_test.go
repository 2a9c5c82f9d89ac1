package pionlog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLevels(t *testing.T) {
	var buf bytes.Buffer
	l := Factory(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))).NewLogger("ice")
	l.Trace("trace line")
	l.Debugf("debug %s", "line")
	l.Infof("info %s", "line")
	l.Warn("warn line")
	l.Errorf("error %s", "line")
	out := buf.String()
	for _, dropped := range []string{"trace line", "debug line"} {
		if strings.Contains(out, dropped) {
			t.Errorf("%q reached the log:\n%s", dropped, out)
		}
	}
	for line, level := range map[string]string{"info line": "DEBUG", "warn line": "DEBUG", "error line": "WARN"} {
		found := false
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, line) {
				found = true
				if !strings.Contains(l, "level="+level) || !strings.Contains(l, "pion=ice") {
					t.Errorf("%q logged as %q, want level %s with its scope", line, l, level)
				}
			}
		}
		if !found {
			t.Errorf("%q missing:\n%s", line, out)
		}
	}
}
