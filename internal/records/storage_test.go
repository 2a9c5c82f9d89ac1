package records

import (
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/config"
)

// TestReportSaysWhichDatabase: the storage section names the SQLite file
// by default, and on PostgreSQL says so without publishing the database's
// address or password.
func TestReportSaysWhichDatabase(t *testing.T) {
	md := markdown(t, Report(inputs(t, nil)))
	if !strings.Contains(md, "the SQLite database") || strings.Contains(md, "PostgreSQL") {
		t.Errorf("default report's storage section:\n%s", md)
	}
	md = markdown(t, Report(inputs(t, func(c *config.Config) {
		c.Store = "postgres://conclave:s3cret@db.internal.example.org/conclave"
	})))
	if !strings.Contains(md, "PostgreSQL server") || strings.Contains(md, "SQLite") ||
		strings.Contains(md, "db.internal.example.org") || strings.Contains(md, "s3cret") {
		t.Errorf("PostgreSQL report's storage section:\n%s", md)
	}
}

// TestReportDescribesACluster: on several nodes the storage section says
// so, names the shared content directory, and publishes no node or
// database address.
func TestReportDescribesACluster(t *testing.T) {
	md := markdown(t, Report(inputs(t, func(c *config.Config) {
		c.Store = "postgres://conclave:s3cret@db.internal.example.org/conclave"
		c.NodeURL = "http://10.0.0.11:8080"
		c.ContentDir = "/srv/conclave"
	})))
	for _, want := range []string{"several servers (nodes)", "PostgreSQL database", "/srv/conclave", "the one node that runs it"} {
		if !strings.Contains(md, want) {
			t.Errorf("cluster report lacks %q:\n%s", want, md)
		}
	}
	for _, leak := range []string{"10.0.0.11", "db.internal.example.org", "s3cret", "SQLite"} {
		if strings.Contains(md, leak) {
			t.Errorf("cluster report shows %q", leak)
		}
	}
}
