package metrics_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/conclave-meet/conclave/internal/metrics"
)

// The readiness verdict is exported for alerting: conclave_store_ready
// (1 or 0) and conclave_data_free_bytes, left out while free space is
// unknown.
func TestReadinessGauges(t *testing.T) {
	ready, free := true, int64(5<<30)
	reg := metrics.New(metrics.Sources{Ready: func(context.Context) (bool, int64) { return ready, free }})
	srv := httptest.NewServer(reg.Handler(""))
	defer srv.Close()
	_, body := scrape(t, srv.URL, "")
	if value(body, "conclave_store_ready") != 1 || value(body, "conclave_data_free_bytes") != float64(free) {
		t.Fatalf("ready store:\n%s", grepConclave(body))
	}
	ready, free = false, -1
	_, body = scrape(t, srv.URL, "")
	if value(body, "conclave_store_ready") != 0 || value(body, "conclave_data_free_bytes") != -1 {
		t.Fatalf("failing store, free space unknown:\n%s", grepConclave(body))
	}
}
