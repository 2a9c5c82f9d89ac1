package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Limits of one fetch: the feed is a short list, so anything larger is a
// mistake or hostile, and a feed that does not answer within the timeout
// is tried again later.
const (
	MaxFeedSize         = 64 << 10
	DefaultFetchTimeout = 30 * time.Second
)

// UserAgent is the whole of what the request says about its sender.
const UserAgent = "Conclave"

// Release is one entry of the feed.
type Release struct {
	Version  string // as the feed writes it, "1.5.0" or "v1.5.0"
	Date     string // YYYY-MM-DD, empty when the feed gave none or a malformed one
	URL      string // release notes, absolute http(s); empty when absent or unusable
	Security bool   // the release fixes security problems
	parsed   Version
}

// feedJSON is the feed's format (docs/operations.md, "Updates"). Unknown
// fields are ignored, so that a feed may carry more than Conclave reads.
type feedJSON struct {
	Releases []struct {
		Version  string `json:"version"`
		Date     string `json:"date"`
		URL      string `json:"url"`
		Security bool   `json:"security"`
	} `json:"releases"`
}

// ParseFeed reads a feed. Entries whose version is not a semantic version
// are skipped; a date that is not YYYY-MM-DD or a link that is not an
// absolute http(s) URL is dropped from its entry (the link is shown to
// administrators, so a javascript: URL must never get through). A feed
// with no usable entry is an error.
func ParseFeed(data []byte) ([]Release, error) {
	var f feedJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("not a release feed: %w", err)
	}
	var out []Release
	for _, e := range f.Releases {
		v, ok := ParseVersion(e.Version)
		if !ok {
			continue
		}
		r := Release{Version: strings.TrimSpace(e.Version), Security: e.Security, parsed: v}
		if _, err := time.Parse(time.DateOnly, e.Date); err == nil {
			r.Date = e.Date
		}
		if u, err := url.Parse(e.URL); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
			r.URL = u.String()
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, errors.New("the feed lists no release with a semantic version")
	}
	return out, nil
}

// Fetcher gets the feed from one URL.
type Fetcher struct {
	url     string
	host    string
	timeout time.Duration
	client  *http.Client
}

// NewFetcher returns a fetcher for rawURL, which must be https, or http to
// a loopback address (tests, or a feed mirrored on the same machine).
// timeout bounds one fetch (DefaultFetchTimeout when 0). Errors do not
// quote the URL: it may carry a token.
func NewFetcher(rawURL string, timeout time.Duration) (*Fetcher, error) {
	if err := CheckURL(rawURL); err != nil {
		return nil, err
	}
	u, _ := url.Parse(rawURL)
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	tr := http.DefaultTransport.(*http.Transport).Clone() // keeps HTTPS_PROXY
	// No Accept-Encoding either: the request is exactly what the docs say.
	tr.DisableCompression = true
	client := &http.Client{
		Transport: tr,
		// No cookie jar: nothing the feed's server sets comes back to it.
		// No redirects: the feed comes from the configured URL or not at all.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Fetcher{url: rawURL, host: u.Host, timeout: timeout, client: client}, nil
}

// CheckURL accepts an absolute https URL, or http to loopback. The error
// does not quote the URL.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("release_feed must be an absolute https URL")
	}
	if u.User != nil {
		return errors.New("release_feed must not hold a user name or password")
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return errors.New("release_feed must use https unless it points at loopback")
	}
	return nil
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Host names the feed in logs and on the admin page: the host only, since
// the path or query may hold a token.
func (f *Fetcher) Host() string { return f.host }

// Fetch gets and parses the feed. The request is a GET with the headers
// User-Agent: Conclave and Accept: application/json and nothing else: no
// cookies, no version, no address or name of this server.
func (f *Fetcher) Fetch(ctx context.Context) ([]Release, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url, nil)
	if err != nil {
		return nil, errors.New("build request") // the error would quote the URL
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Accept", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // *url.Error quotes the URL, and with it any token
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("no answer within %s", f.timeout)
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096)) // lets the connection be reused
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxFeedSize+1))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("no complete answer within %s", f.timeout)
		}
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(data) > MaxFeedSize {
		return nil, fmt.Errorf("the feed is larger than %d KiB", MaxFeedSize>>10)
	}
	return ParseFeed(data)
}
