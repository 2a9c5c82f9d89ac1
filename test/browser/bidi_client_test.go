package browser

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestDecodeRemoteValue checks the RemoteValue decoding on the shapes the
// WebDriver BiDi specification defines, without a browser.
func TestDecodeRemoteValue(t *testing.T) {
	cases := []struct {
		in   string
		want any
	}{
		{`{"type":"undefined"}`, nil},
		{`{"type":"null"}`, nil},
		{`{"type":"string","value":"héllo"}`, "héllo"},
		{`{"type":"boolean","value":true}`, true},
		{`{"type":"number","value":42.5}`, 42.5},
		{`{"type":"number","value":"Infinity"}`, math.Inf(1)},
		{`{"type":"number","value":"-Infinity"}`, math.Inf(-1)},
		{`{"type":"bigint","value":"12345678901234567890"}`, "12345678901234567890"},
		{`{"type":"date","value":"2024-01-02T03:04:05.000Z"}`, "2024-01-02T03:04:05.000Z"},
		{`{"type":"regexp","value":{"pattern":"a+","flags":"gi"}}`, "/a+/gi"},
		{`{"type":"array","value":[{"type":"number","value":1},{"type":"string","value":"x"},{"type":"null"}]}`, []any{1.0, "x", nil}},
		{`{"type":"set","value":[{"type":"number","value":2}]}`, []any{2.0}},
		{`{"type":"object","value":[["a",{"type":"number","value":1}],["b",{"type":"object","value":[["c",{"type":"array","value":[]}]]}]]}`,
			map[string]any{"a": 1.0, "b": map[string]any{"c": []any{}}}},
		{`{"type":"map","value":[[{"type":"number","value":7},{"type":"string","value":"seven"}],["k",{"type":"boolean","value":false}]]}`,
			map[string]any{"7": "seven", "k": false}},
		{`{"type":"object","internalId":"abc"}`, bidiRemoteRef{Type: "object", InternalID: "abc"}},
		{`{"type":"node","sharedId":"s1","value":{"nodeType":1}}`, bidiRemoteRef{Type: "node", SharedID: "s1"}},
		{`{"type":"function","handle":"h1"}`, bidiRemoteRef{Type: "function", Handle: "h1"}},
	}
	for _, c := range cases {
		got, err := decodeRemoteValue(json.RawMessage(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.in, got, c.want)
		}
	}
	for _, special := range []struct {
		in    string
		check func(float64) bool
	}{
		{`{"type":"number","value":"NaN"}`, math.IsNaN},
		{`{"type":"number","value":"-0"}`, func(f float64) bool { return f == 0 && math.Signbit(f) }},
	} {
		got, err := decodeRemoteValue(json.RawMessage(special.in))
		if f, ok := got.(float64); err != nil || !ok || !special.check(f) {
			t.Errorf("%s: got %#v, %v", special.in, got, err)
		}
	}
	for _, bad := range []string{`{"type":"number","value":"twelve"}`, `{"type":"object","value":{"a":1}}`, `[1]`} {
		if v, err := decodeRemoteValue(json.RawMessage(bad)); err == nil {
			t.Errorf("%s: decoded to %#v, want an error", bad, v)
		}
	}

	var n int
	if err := decodeJSResult([]byte("null"), &n); err == nil {
		t.Error("null into an int: no error")
	}
	var m map[string]int
	if err := decodeJSResult([]byte("null"), &m); err != nil || m != nil {
		t.Errorf("null into a map: %v, %v", m, err)
	}
}

// TestFirefoxBiDi drives Firefox through every command of the BiDi client
// against a small local page.
func TestFirefoxBiDi(t *testing.T) {
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>t` + r.URL.Path + `</title><p id="p">hello</p>
<script>window.later = new Promise(r => setTimeout(() => r("done"), 50)); console.error("boom from page");</script>`))
	}))
	defer page.Close()

	ff := startFirefox(t)
	t.Logf("browser: %s", ff.version)
	if !strings.Contains(strings.ToLower(ff.version), "firefox") {
		t.Errorf("browser is %q, want Firefox", ff.version)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var mu sync.Mutex
	var logs []string
	ff.on("log.entryAdded", func(p json.RawMessage) {
		var e struct {
			Level string `json:"level"`
			Text  string `json:"text"`
		}
		_ = json.Unmarshal(p, &e)
		mu.Lock()
		logs = append(logs, e.Level+": "+e.Text)
		mu.Unlock()
	})
	if err := ff.subscribe(ctx, "log.entryAdded"); err != nil {
		t.Fatal(err)
	}

	if err := ff.navigate(ctx, ff.tab, page.URL+"/one"); err != nil {
		t.Fatal(err)
	}

	t.Run("evaluate decodes results", func(t *testing.T) {
		type obj struct {
			A int            `json:"a"`
			B []string       `json:"b"`
			C map[string]int `json:"c"`
			D *int           `json:"d"`
		}
		got, err := bidiEval[obj](ctx, ff.bidiConn, ff.tab, `({a: 1, b: ["x", "y"], c: {z: 3}, d: null})`)
		if err != nil || !reflect.DeepEqual(got, obj{A: 1, B: []string{"x", "y"}, C: map[string]int{"z": 3}}) {
			t.Errorf("object: %+v, %v", got, err)
		}
		if s, err := bidiEval[string](ctx, ff.bidiConn, ff.tab, `document.querySelector("#p").textContent`); err != nil || s != "hello" {
			t.Errorf("string: %q, %v", s, err)
		}
		if b, err := bidiEval[bool](ctx, ff.bidiConn, ff.tab, `1 < 2`); err != nil || !b {
			t.Errorf("bool: %v, %v", b, err)
		}
		if s, err := bidiEval[string](ctx, ff.bidiConn, ff.tab, `window.later`); err != nil || s != "done" {
			t.Errorf("awaited promise: %q, %v", s, err)
		}
		if n, err := bidiEval[float64](ctx, ff.bidiConn, ff.tab, `(async () => { await new Promise(r => setTimeout(r, 20)); return 2.5 })()`); err != nil || n != 2.5 {
			t.Errorf("async function: %v, %v", n, err)
		}
		if _, err := bidiEval[int](ctx, ff.bidiConn, ff.tab, `undefined`); err == nil {
			t.Error("undefined into an int: no error")
		}
		if v, err := ff.evaluate(ctx, ff.tab, `new Map([[1, "one"]])`); err != nil || !reflect.DeepEqual(v, map[string]any{"1": "one"}) {
			t.Errorf("map: %#v, %v", v, err)
		}
		v, err := ff.evaluate(ctx, ff.tab, `document.body`)
		if ref, ok := v.(bidiRemoteRef); err != nil || !ok || ref.Type != "node" || ref.SharedID == "" {
			t.Errorf("node: %#v, %v", v, err)
		}
		if v, err := ff.evaluate(ctx, ff.tab, `(() => { const o = {}; o.self = o; return o })()`); err != nil {
			t.Errorf("cyclic object: %v", err)
		} else if m, ok := v.(map[string]any); !ok || reflect.TypeOf(m["self"]) != reflect.TypeFor[bidiRemoteRef]() {
			t.Errorf("cyclic object: %#v", v)
		}
	})

	t.Run("click is real input", func(t *testing.T) {
		if _, err := ff.evaluate(ctx, ff.tab, `(() => {
			const b = document.createElement("button"); b.id = "b"; b.textContent = "press";
			b.addEventListener("click", ev => { window.clicked = {trusted: ev.isTrusted, active: navigator.userActivation.isActive}; });
			document.body.append(b); })()`); err != nil {
			t.Fatal(err)
		}
		v, err := ff.evaluate(ctx, ff.tab, `document.querySelector("#b")`)
		if err != nil {
			t.Fatal(err)
		}
		node, _ := v.(bidiRemoteRef)
		if err := ff.click(ctx, ff.tab, node); err != nil {
			t.Fatal(err)
		}
		got, err := bidiEval[map[string]bool](ctx, ff.bidiConn, ff.tab, `window.clicked`)
		if err != nil || !got["trusted"] || !got["active"] {
			t.Errorf("click event: %v, %v; want trusted, with user activation", got, err)
		}
		if err := ff.click(ctx, ff.tab, bidiRemoteRef{Type: "object"}); err == nil {
			t.Error("click on a non-node: no error")
		}
	})

	t.Run("exceptions and rejections are errors", func(t *testing.T) {
		_, err := ff.evaluate(ctx, ff.tab, `(() => { throw new Error("thrown here") })()`)
		var je *jsError
		if !errors.As(err, &je) || !strings.Contains(je.Text, "thrown here") {
			t.Errorf("throw: %v", err)
		}
		_, err = ff.evaluate(ctx, ff.tab, `Promise.reject(new TypeError("rejected here"))`)
		if !errors.As(err, &je) || !strings.Contains(je.Text, "rejected here") {
			t.Errorf("reject: %v", err)
		}
		_, err = ff.evaluate(ctx, ff.tab, `syntax error here`)
		if !errors.As(err, &je) {
			t.Errorf("syntax error: %v", err)
		}
		var be *bidiError
		if _, err := ff.evaluate(ctx, "no-such-context", `1`); !errors.As(err, &be) || be.Code != "no such frame" {
			t.Errorf("unknown context: %v", err)
		}
	})

	t.Run("tabs", func(t *testing.T) {
		tab, err := ff.createTab(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := ff.navigate(ctx, tab, page.URL+"/two"); err != nil {
			t.Fatal(err)
		}
		tree, err := ff.getTree(ctx)
		if err != nil {
			t.Fatal(err)
		}
		urls := map[string]string{}
		for _, c := range tree {
			urls[c.Context] = c.URL
		}
		if urls[ff.tab] != page.URL+"/one" || urls[tab] != page.URL+"/two" {
			t.Errorf("tree: %+v", tree)
		}
		if title, err := bidiEval[string](ctx, ff.bidiConn, tab, `document.title`); err != nil || title != "t/two" {
			t.Errorf("second tab's title: %q, %v", title, err)
		}
	})

	t.Run("log events arrive", func(t *testing.T) {
		deadline := time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			joined := strings.Join(logs, "\n")
			mu.Unlock()
			if strings.Contains(joined, "error: boom from page") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no console error event; got %q", joined)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	t.Run("session ends", func(t *testing.T) {
		if err := ff.endSession(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := ff.evaluate(ctx, ff.tab, `1`); err == nil {
			t.Error("evaluate after session.end succeeded")
		}
	})
}
