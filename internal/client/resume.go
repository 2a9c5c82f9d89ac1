package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/coder/websocket"
)

// Resume (docs/protocol.md, "Resume"): the client keeps the newest resume
// token and the highest server seq it handled; after a drop it opens a new
// socket, sends resume, and resends what the server had not processed.

// keptFrames bounds the client messages kept for resending after a resume.
const keptFrames = 256

type sentFrame struct {
	seq   int64
	frame []byte
}

// keepSentLocked remembers a numbered message for resending; hello,
// resume and ping never need it. Called under writeMu.
func (c *Client) keepSentLocked(typ string, seq int64, frame []byte) {
	switch typ {
	case "hello", "resume", "ping", "leave":
		return
	}
	c.sent = append(c.sent, sentFrame{seq: seq, frame: frame})
	if len(c.sent) > keptFrames {
		c.sent = c.sent[len(c.sent)-keptFrames:]
	}
}

func (c *Client) keepToken(data json.RawMessage) {
	var t struct {
		Token        string `json:"token"`
		GraceSeconds int    `json:"grace_seconds"`
	}
	if json.Unmarshal(data, &t) != nil || t.Token == "" {
		return
	}
	c.resumeMu.Lock()
	defer c.resumeMu.Unlock()
	c.token, c.grace = t.Token, time.Duration(t.GraceSeconds)*time.Second
}

// ResumeToken returns the newest resume token the server handed out.
func (c *Client) ResumeToken() string {
	c.resumeMu.Lock()
	defer c.resumeMu.Unlock()
	return c.token
}

// LastSeq is the highest server seq the client has handled. Call it only
// from OnMessage or after the read loop stopped.
func (c *Client) LastSeq() int64 { return c.lastSeq }

// DropSignal cuts the signalling socket without a close handshake, as a
// network failure would; with Options.Resume the client then resumes.
func (c *Client) DropSignal() {
	c.dropped.Store(true)
	c.socket().CloseNow()
}

// ErrResumeFailed is returned when the server refuses a resume.
var ErrResumeFailed = errors.New("client: resume refused")

// resumeAfter tries to resume after the read error err, with backoff,
// until the grace period is over. It reports whether the client is back.
func (c *Client) resumeAfter(ctx context.Context, err error) bool {
	if errors.Is(err, errClosed) || websocket.CloseStatus(err) != -1 && !c.dropped.Load() {
		return false // the server closed it on purpose
	}
	c.dropped.Store(false)
	c.resumeMu.Lock()
	grace := c.grace
	c.resumeMu.Unlock()
	if grace <= 0 {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, grace)
	defer cancel()
	wait := 100 * time.Millisecond
	for {
		err := c.Resume(ctx)
		if err == nil {
			if c.opts.OnMessage != nil {
				c.opts.OnMessage("resumed", nil)
			}
			return true
		}
		var se *Error
		if errors.As(err, &se) || errors.Is(err, ErrResumeFailed) || ctx.Err() != nil {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// Resume opens a new signalling socket and resumes the session on it with
// the newest token. It must not run while the read loop reads (use
// Options.Resume for that), except after the loop stopped.
func (c *Client) Resume(ctx context.Context) error {
	c.resumeMu.Lock()
	tok := c.token
	c.resumeMu.Unlock()
	if tok == "" {
		return fmt.Errorf("%w: no token", ErrResumeFailed)
	}
	ws, _, err := websocket.Dial(ctx, c.url, &websocket.DialOptions{HTTPHeader: c.opts.Header})
	if err != nil {
		return fmt.Errorf("client: dial: %w", err)
	}
	ws.SetReadLimit(1 << 20)
	frame, _ := json.Marshal(envelope{Type: "resume", Data: mustJSON(map[string]any{
		"version": 1, "token": tok, "last_seq": c.lastSeq,
	})})
	if err := ws.Write(ctx, websocket.MessageText, frame); err != nil {
		ws.CloseNow()
		return fmt.Errorf("client: write resume: %w", err)
	}
	last := c.lastSeq
	typ, data, err := readFrom(ctx, ws, &last)
	if err != nil {
		ws.CloseNow()
		return err
	}
	switch typ {
	case "resumed":
	case "error":
		ws.CloseNow()
		var e Error
		_ = json.Unmarshal(data, &e)
		return &e
	case "bye":
		ws.CloseNow()
		var b Bye
		_ = json.Unmarshal(data, &b)
		return fmt.Errorf("%w: %w", ErrResumeFailed, &b)
	default:
		ws.CloseNow()
		return fmt.Errorf("client: expected resumed, got %s", typ)
	}
	var r struct {
		LastSeq int64 `json:"last_seq"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		ws.CloseNow()
		return fmt.Errorf("client: resumed: %w", err)
	}
	return c.switchTo(ctx, ws, r.LastSeq)
}

// switchTo makes ws the signalling socket and resends the messages the
// server had not processed.
func (c *Client) switchTo(ctx context.Context, ws *websocket.Conn, processed int64) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.wsMu.Lock()
	old := c.ws
	c.ws = ws
	c.wsMu.Unlock()
	old.CloseNow()
	for _, f := range c.sent {
		if f.seq <= processed {
			continue
		}
		if err := c.writeLocked(ctx, f.frame); err != nil {
			return err
		}
	}
	return nil
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
