package browser

// A small WebDriver BiDi client (https://w3c.github.io/webdriver-bidi/), enough
// to drive Firefox, which speaks BiDi natively: no geckodriver. It covers the
// commands the tests use: session.new/end/subscribe, browsingContext.getTree/
// create/navigate, script.evaluate (awaiting promises, results decoded from
// BiDi's RemoteValue), browser.close, and events.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
)

// bidiConn is one WebDriver BiDi websocket connection.
type bidiConn struct {
	ws     *websocket.Conn
	nextID atomic.Int64

	mu       sync.Mutex
	pending  map[int64]chan bidiMessage
	handlers map[string][]func(params json.RawMessage)
	readErr  error         // why the read loop ended
	closed   chan struct{} // closed when the read loop ends
}

// bidiMessage is any message from the remote end: a command's success or
// error (with id), or an event (type "event", with method and params).
type bidiMessage struct {
	Type       string          `json:"type"`
	ID         *int64          `json:"id"`
	Result     json.RawMessage `json:"result"`
	Error      string          `json:"error"`
	Message    string          `json:"message"`
	Stacktrace string          `json:"stacktrace"`
	Method     string          `json:"method"`
	Params     json.RawMessage `json:"params"`
}

// bidiError is an error response to a command.
type bidiError struct {
	Method  string
	Code    string // "no such frame", "invalid argument", …
	Message string
}

func (e *bidiError) Error() string {
	return fmt.Sprintf("bidi %s: %s: %s", e.Method, e.Code, e.Message)
}

// errBiDiClosed is returned for commands on a connection that has ended.
var errBiDiClosed = errors.New("bidi: connection closed")

// dialBiDi connects to a BiDi endpoint, e.g. ws://127.0.0.1:PORT/session.
func dialBiDi(ctx context.Context, url string) (*bidiConn, error) {
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(64 << 20) // results and events can be large; the default is 32 KiB
	c := &bidiConn{
		ws:       ws,
		pending:  map[int64]chan bidiMessage{},
		handlers: map[string][]func(json.RawMessage){},
		closed:   make(chan struct{}),
	}
	go c.readLoop()
	return c, nil
}

func (c *bidiConn) readLoop() {
	var err error
	defer func() {
		c.mu.Lock()
		c.readErr = err
		c.mu.Unlock()
		close(c.closed)
	}()
	for {
		var data []byte
		_, data, err = c.ws.Read(context.Background())
		if err != nil {
			return
		}
		var m bidiMessage
		if jerr := json.Unmarshal(data, &m); jerr != nil {
			err = fmt.Errorf("bidi: bad message %.200q: %w", data, jerr)
			return
		}
		c.mu.Lock()
		if m.Type == "event" {
			hs := append([]func(json.RawMessage){}, c.handlers[m.Method]...)
			c.mu.Unlock()
			for _, h := range hs {
				h(m.Params)
			}
			continue
		}
		if m.ID == nil { // an error not tied to a command (e.g. unparsable command)
			c.mu.Unlock()
			continue
		}
		ch := c.pending[*m.ID]
		delete(c.pending, *m.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

// on registers fn for an event; the caller must also subscribe to it.
// Handlers run on the read loop and must not call commands synchronously.
func (c *bidiConn) on(method string, fn func(params json.RawMessage)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handlers[method] = append(c.handlers[method], fn)
}

// call sends a command and decodes its result into result (when non-nil).
func (c *bidiConn) call(ctx context.Context, method string, params, result any) error {
	if params == nil {
		params = struct{}{}
	}
	id := c.nextID.Add(1)
	msg, err := json.Marshal(struct {
		ID     int64  `json:"id"`
		Method string `json:"method"`
		Params any    `json:"params"`
	}{id, method, params})
	if err != nil {
		return err
	}
	ch := make(chan bidiMessage, 1)
	c.mu.Lock()
	if c.readErr != nil || isClosed(c.closed) {
		c.mu.Unlock()
		return errBiDiClosed
	}
	c.pending[id] = ch
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}
	if err := c.ws.Write(ctx, websocket.MessageText, msg); err != nil {
		forget()
		return fmt.Errorf("bidi %s: %w", method, err)
	}
	select {
	case m := <-ch:
		if m.Type == "error" {
			return &bidiError{Method: method, Code: m.Error, Message: m.Message}
		}
		if result != nil {
			if err := json.Unmarshal(m.Result, result); err != nil {
				return fmt.Errorf("bidi %s: decode result: %w", method, err)
			}
		}
		return nil
	case <-c.closed:
		forget()
		return fmt.Errorf("bidi %s: %w", method, errBiDiClosed)
	case <-ctx.Done():
		forget()
		return fmt.Errorf("bidi %s: %w", method, ctx.Err())
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func (c *bidiConn) close() {
	_ = c.ws.Close(websocket.StatusNormalClosure, "")
	<-c.closed
}

// --- commands ---

type bidiSessionInfo struct {
	SessionID    string `json:"sessionId"`
	Capabilities struct {
		BrowserName    string `json:"browserName"`
		BrowserVersion string `json:"browserVersion"`
	} `json:"capabilities"`
}

// newSession starts the BiDi session (session.new).
func (c *bidiConn) newSession(ctx context.Context) (bidiSessionInfo, error) {
	var info bidiSessionInfo
	err := c.call(ctx, "session.new", map[string]any{"capabilities": map[string]any{}}, &info)
	return info, err
}

// endSession ends the session (session.end); the browser keeps running.
func (c *bidiConn) endSession(ctx context.Context) error {
	return c.call(ctx, "session.end", nil, nil)
}

// closeBrowser closes every window and ends the session (browser.close).
func (c *bidiConn) closeBrowser(ctx context.Context) error {
	return c.call(ctx, "browser.close", nil, nil)
}

// subscribe asks for events (session.subscribe) in all contexts.
func (c *bidiConn) subscribe(ctx context.Context, events ...string) error {
	return c.call(ctx, "session.subscribe", map[string]any{"events": events}, nil)
}

type bidiContextInfo struct {
	Context  string            `json:"context"`
	URL      string            `json:"url"`
	Parent   *string           `json:"parent"`
	Children []bidiContextInfo `json:"children"`
}

// getTree lists the top-level browsing contexts (tabs).
func (c *bidiConn) getTree(ctx context.Context) ([]bidiContextInfo, error) {
	var r struct {
		Contexts []bidiContextInfo `json:"contexts"`
	}
	err := c.call(ctx, "browsingContext.getTree", map[string]any{"maxDepth": 0}, &r)
	return r.Contexts, err
}

// createTab opens a new tab and returns its context id.
func (c *bidiConn) createTab(ctx context.Context) (string, error) {
	var r struct {
		Context string `json:"context"`
	}
	err := c.call(ctx, "browsingContext.create", map[string]any{"type": "tab"}, &r)
	return r.Context, err
}

// navigate loads url in the context and waits for the load event.
func (c *bidiConn) navigate(ctx context.Context, context, url string) error {
	return c.call(ctx, "browsingContext.navigate", map[string]any{"context": context, "url": url, "wait": "complete"}, nil)
}

// click moves the mouse to the centre of the element (a node from
// evaluate) and presses the left button: real input, with the user
// activation that, for instance, getDisplayMedia needs.
func (c *bidiConn) click(ctx context.Context, context string, node bidiRemoteRef) error {
	if node.Type != "node" || node.SharedID == "" {
		return fmt.Errorf("bidi click: %+v is not a node", node)
	}
	return c.call(ctx, "input.performActions", map[string]any{
		"context": context,
		"actions": []any{map[string]any{
			"type":       "pointer",
			"id":         "mouse",
			"parameters": map[string]any{"pointerType": "mouse"},
			"actions": []any{
				map[string]any{"type": "pointerMove", "x": 0, "y": 0, "origin": map[string]any{"type": "element", "element": map[string]any{"sharedId": node.SharedID}}},
				map[string]any{"type": "pointerDown", "button": 0},
				map[string]any{"type": "pointerUp", "button": 0},
			},
		}},
	}, nil)
}

// jsError is a JavaScript exception thrown (or promise rejected) by an
// evaluated script.
type jsError struct {
	Text       string
	Line, Col  int
	Exception  any // the thrown value, decoded
	StackTrace string
}

func (e *jsError) Error() string {
	s := "javascript: " + e.Text
	if e.StackTrace != "" {
		s += " (" + e.StackTrace + ")"
	}
	return s
}

// evaluate runs a JavaScript expression in the context's page, awaiting a
// returned promise, and returns the result decoded by decodeRemoteValue.
func (c *bidiConn) evaluate(ctx context.Context, context, expr string) (any, error) {
	var r struct {
		Type             string          `json:"type"` // success | exception
		Result           json.RawMessage `json:"result"`
		ExceptionDetails *struct {
			Text         string          `json:"text"`
			LineNumber   int             `json:"lineNumber"`
			ColumnNumber int             `json:"columnNumber"`
			Exception    json.RawMessage `json:"exception"`
			StackTrace   struct {
				CallFrames []struct {
					FunctionName string `json:"functionName"`
					URL          string `json:"url"`
					LineNumber   int    `json:"lineNumber"`
				} `json:"callFrames"`
			} `json:"stackTrace"`
		} `json:"exceptionDetails"`
	}
	err := c.call(ctx, "script.evaluate", map[string]any{
		"expression":      expr,
		"target":          map[string]any{"context": context},
		"awaitPromise":    true,
		"resultOwnership": "none",
	}, &r)
	if err != nil {
		return nil, err
	}
	if r.Type == "exception" {
		e := &jsError{}
		if d := r.ExceptionDetails; d != nil {
			e.Text, e.Line, e.Col = d.Text, d.LineNumber, d.ColumnNumber
			if len(d.Exception) > 0 {
				e.Exception, _ = decodeRemoteValue(d.Exception)
			}
			var frames []string
			for _, f := range d.StackTrace.CallFrames {
				frames = append(frames, fmt.Sprintf("%s@%s:%d", f.FunctionName, f.URL, f.LineNumber))
			}
			e.StackTrace = strings.Join(frames, " ")
		}
		return nil, e
	}
	return decodeRemoteValue(r.Result)
}

// bidiEval evaluates expr and converts the result to T through JSON, so
// struct tags apply. null and undefined are an error unless T can be nil.
func bidiEval[T any](ctx context.Context, c *bidiConn, context, expr string) (T, error) {
	var out T
	v, err := c.evaluate(ctx, context, expr)
	if err != nil {
		return out, err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return out, fmt.Errorf("bidi: result %v: %w", v, err)
	}
	return out, decodeJSResult(raw, &out)
}

// --- RemoteValue ---

// bidiRemoteRef stands for a value BiDi does not serialise by value (a
// node, function, window, promise, …) or a repeated reference.
type bidiRemoteRef struct {
	Type       string `json:"type"`
	Handle     string `json:"handle,omitempty"`
	InternalID string `json:"internalId,omitempty"`
	SharedID   string `json:"sharedId,omitempty"`
}

// decodeRemoteValue turns a BiDi RemoteValue into plain Go values:
// undefined and null → nil; string, boolean → string, bool; number →
// float64 (NaN, ±Infinity and -0 included); bigint → string of digits;
// array and set → []any; object and map → map[string]any (non-string map
// keys are written with fmt); date → its ISO string; regexp → "/p/f";
// anything else → bidiRemoteRef.
func decodeRemoteValue(raw json.RawMessage) (any, error) {
	var rv struct {
		Type       string          `json:"type"`
		Value      json.RawMessage `json:"value"`
		Handle     string          `json:"handle"`
		InternalID string          `json:"internalId"`
		SharedID   string          `json:"sharedId"`
	}
	if err := json.Unmarshal(raw, &rv); err != nil {
		return nil, fmt.Errorf("bidi: remote value %.200s: %w", raw, err)
	}
	ref := bidiRemoteRef{Type: rv.Type, Handle: rv.Handle, InternalID: rv.InternalID, SharedID: rv.SharedID}
	switch rv.Type {
	case "undefined", "null":
		return nil, nil
	case "string", "bigint", "date":
		var s string
		err := json.Unmarshal(rv.Value, &s)
		return s, err
	case "boolean":
		var b bool
		err := json.Unmarshal(rv.Value, &b)
		return b, err
	case "number":
		var s string
		if json.Unmarshal(rv.Value, &s) == nil {
			switch s {
			case "NaN":
				return math.NaN(), nil
			case "-0":
				return math.Copysign(0, -1), nil
			case "Infinity":
				return math.Inf(1), nil
			case "-Infinity":
				return math.Inf(-1), nil
			}
			return nil, fmt.Errorf("bidi: unknown special number %q", s)
		}
		var f float64
		err := json.Unmarshal(rv.Value, &f)
		return f, err
	case "regexp":
		var r struct {
			Pattern string `json:"pattern"`
			Flags   string `json:"flags"`
		}
		err := json.Unmarshal(rv.Value, &r)
		return "/" + r.Pattern + "/" + r.Flags, err
	case "array", "set":
		if rv.Value == nil { // a repeated reference or past maxObjectDepth
			return ref, nil
		}
		var items []json.RawMessage
		if err := json.Unmarshal(rv.Value, &items); err != nil {
			return nil, err
		}
		out := make([]any, 0, len(items))
		for _, it := range items {
			v, err := decodeRemoteValue(it)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case "object", "map":
		if rv.Value == nil {
			return ref, nil
		}
		var pairs [][2]json.RawMessage
		if err := json.Unmarshal(rv.Value, &pairs); err != nil {
			return nil, err
		}
		out := make(map[string]any, len(pairs))
		for _, p := range pairs {
			var key string
			if json.Unmarshal(p[0], &key) != nil { // a map key that is a RemoteValue
				k, err := decodeRemoteValue(p[0])
				if err != nil {
					return nil, err
				}
				key = fmt.Sprint(k)
			}
			v, err := decodeRemoteValue(p[1])
			if err != nil {
				return nil, err
			}
			out[key] = v
		}
		return out, nil
	default:
		return ref, nil
	}
}

// decodeJSResult decodes a JSON-encoded script result into out. A null
// result is an error unless out points to something that can be nil.
func decodeJSResult(raw []byte, out any) error {
	if s := strings.TrimSpace(string(raw)); s == "" || s == "null" {
		switch reflect.TypeOf(out).Elem().Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface, reflect.Chan, reflect.Func:
		default:
			return errors.New("javascript result is null or undefined")
		}
		raw = []byte("null")
	}
	return json.Unmarshal(raw, out)
}
