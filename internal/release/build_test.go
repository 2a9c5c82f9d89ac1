package release

import (
	"runtime/debug"
	"testing"
	"time"
)

func TestFromInfo(t *testing.T) {
	stamped := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-11-30T10:15:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	b := fromInfo("", stamped)
	want := Build{Version: "devel-0123456789ab", Revision: "0123456789abcdef0123456789abcdef01234567",
		Time: time.Date(2026, 11, 30, 10, 15, 0, 0, time.UTC), Modified: true, GoVersion: "go1.26.8"}
	if b != want {
		t.Fatalf("got %+v\nwant %+v", b, want)
	}
	if b := fromInfo("v1.4.0", stamped); b.Version != "v1.4.0" || b.Revision == "" {
		t.Fatalf("the linker's version must win and keep the VCS stamp: %+v", b)
	}
	tagged := &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}
	if b := fromInfo("", tagged); b.Version != "v1.4.0" || !b.Time.IsZero() || b.Modified {
		t.Fatalf("module version: %+v", b)
	}
	if b := fromInfo("", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}); b.Version != "devel" {
		t.Fatalf("nothing stamped: %+v", b)
	}
	if b := ReadBuild("v9.9.9"); b.Version != "v9.9.9" || b.GoVersion == "" {
		t.Fatalf("ReadBuild: %+v", b)
	}
}
