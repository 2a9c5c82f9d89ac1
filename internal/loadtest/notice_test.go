package loadtest

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAcceptNoticeFetchesCurrentVersion(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/privacy/notice" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"version":7,"markdown":"# x"}`))
	}))
	defer srv.Close()
	cfg := Config{URL: "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws?x=1", Logger: slog.Default()}
	acceptNotice(context.Background(), &cfg)
	if cfg.NoticeVersion != 7 {
		t.Fatalf("NoticeVersion = %d, want 7", cfg.NoticeVersion)
	}
	cfg.URL = "ws" + strings.TrimPrefix(srv.URL, "http") + "/elsewhere/ws"
	cfg.NoticeVersion = 3 // set by the operator: not fetched
	acceptNotice(context.Background(), &cfg)
	if cfg.NoticeVersion != 3 {
		t.Fatalf("an explicit version was replaced by %d", cfg.NoticeVersion)
	}
}

func TestNoticeURL(t *testing.T) {
	for in, want := range map[string]string{
		"ws://127.0.0.1:8080/ws":  "http://127.0.0.1:8080/api/privacy/notice",
		"wss://meet.example/ws":   "https://meet.example/api/privacy/notice",
		"wss://meet.example/ws?a": "https://meet.example/api/privacy/notice",
	} {
		if got, err := noticeURL(in); err != nil || got != want {
			t.Errorf("noticeURL(%s) = %s %v, want %s", in, got, err, want)
		}
	}
}
