// Package release tells administrators which Conclave they run and, only
// when the operator names a release feed, whether a newer release is out.
// Nothing here contacts anything unless a feed URL is configured; the
// request it then makes carries nothing about the installation
// (docs/operations.md, "Updates").
package release

import (
	"runtime/debug"
	"time"
)

// Build is what the binary knows about itself: the version it was given at
// build time and what the Go toolchain stamped into it from version control.
type Build struct {
	// Version is the release version (the linker's -X value, else the
	// module version the go command derived from a tag), "devel-<rev>"
	// for an untagged build, or "devel".
	Version string
	// Revision is the VCS commit (vcs.revision), empty when unknown.
	Revision string
	// Time is the commit's time (vcs.time), the build's date for a
	// reproducible build; zero when unknown.
	Time time.Time
	// Modified is true when the working tree had uncommitted changes.
	Modified bool
	// GoVersion is the toolchain that built the binary.
	GoVersion string
}

// ReadBuild reads the running binary's build information. linkerVersion is
// the value set with -ldflags "-X main.version=v1.4.0", preferred when set.
func ReadBuild(linkerVersion string) Build {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return Build{Version: orDefault(linkerVersion, "unknown")}
	}
	return fromInfo(linkerVersion, info)
}

// fromInfo is ReadBuild on given build information, for tests.
func fromInfo(linkerVersion string, info *debug.BuildInfo) Build {
	b := Build{GoVersion: info.GoVersion}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
				b.Time = t.UTC()
			}
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	switch {
	case linkerVersion != "":
		b.Version = linkerVersion
	case info.Main.Version != "" && info.Main.Version != "(devel)":
		b.Version = info.Main.Version
	case len(b.Revision) >= 12:
		b.Version = "devel-" + b.Revision[:12]
	default:
		b.Version = "devel"
	}
	return b
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
