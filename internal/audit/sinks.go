package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync"
)

// FileSink appends one sealed head per line to a file, which ReadHeadFile
// reads back. It only helps if the file is out of reach of whoever can
// write the database: on another volume, a mount that only allows
// appending (chattr +a), or a file shipped elsewhere.
type FileSink struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

// OpenFileSink opens path for appending, creating it with mode 0600.
func OpenFileSink(path string) (*FileSink, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: open anchor file: %w", err)
	}
	return &FileSink{path: path, f: f}, nil
}

// Name names the file; a path is no secret.
func (s *FileSink) Name() string { return "anchor file " + s.path }

// Publish writes the head as one line in one write and syncs it: a head
// that was logged as published must survive a crash.
func (s *FileSink) Publish(_ context.Context, h SealedHead) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.f.WriteString(h.String() + "\n"); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	return nil
}

// Close closes the file.
func (s *FileSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Close()
}

// WebhookSink POSTs every head as JSON to an operator-configured URL. It
// exists only when the operator sets one: Conclave never calls out on its
// own.
type WebhookSink struct {
	url    string
	host   string
	client *http.Client
}

// NewWebhookSink returns a sink posting to rawURL (http or https). Redirects
// are not followed: the heads go to the configured receiver or nowhere.
func NewWebhookSink(rawURL string) (*WebhookSink, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("audit: webhook must be an absolute http(s) URL")
	}
	client := &http.Client{
		Timeout:       sinkTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &WebhookSink{url: rawURL, host: u.Host, client: client}, nil
}

// Name names the host only: the URL's path or query may hold a token.
func (s *WebhookSink) Name() string { return "webhook " + s.host }

// Publish posts the head; any status but 2xx is a failure.
func (s *WebhookSink) Publish(ctx context.Context, h SealedHead) error {
	body, err := json.Marshal(h.toJSON())
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return errors.New("build request") // the error would quote the URL
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // *url.Error quotes the URL, and with it any token
		}
		return fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096)) // lets the connection be reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("post: status %d", resp.StatusCode)
	}
	return nil
}
