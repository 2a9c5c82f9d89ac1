package protocol

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/nodetest"
)

// TestTypeScriptMatchesGo decodes thousands of payloads, mutated from the
// fixtures, with Go and with the generated TypeScript, and fails where
// their verdicts differ.
func TestTypeScriptMatchesGo(t *testing.T) {
	nodetest.Node(t)
	fx := loadFixtures(t)
	type tsCase struct {
		Dir   string `json:"dir"`
		Type  string `json:"type"`
		Frame string `json:"frame"` // server: the frame; client: the payload
		OK    bool   `json:"ok"`
	}
	var cases []tsCase
	for _, dir := range []Direction{ClientToServer, ServerToClient} {
		for _, typ := range slices.Sorted(maps.Keys(fx.of(dir))) {
			set := fx.of(dir)[typ]
			s, ok := lookup(dir, typ)
			if !ok {
				continue
			}
			seeds := slices.Clone(set.Valid)
			for _, inv := range set.Invalid {
				seeds = append(seeds, inv.Data)
			}
			for _, seed := range seeds {
				var v any
				if err := json.Unmarshal(seed, &v); err != nil {
					t.Fatal(err)
				}
				for _, m := range append([]any{v}, mutations(v, 2)...) {
					data, err := json.Marshal(m)
					if err != nil {
						t.Fatal(err)
					}
					c := tsCase{Type: typ}
					if dir == ClientToServer {
						c.Dir, c.Frame = "client", string(data)
						c.OK = Decode(data, s.New()) == nil
					} else {
						frame, _ := json.Marshal(map[string]any{"type": typ, "seq": 3, "data": json.RawMessage(data)})
						c.Dir, c.Frame = "server", string(frame)
						env, err := Parse(frame)
						c.OK = err == nil
						if c.OK {
							_, err = DecodeServer(env)
							c.OK = err == nil
						}
					}
					cases = append(cases, c)
				}
			}
		}
	}
	dir := t.TempDir()
	raw, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cases.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs("../..")
	wire, _ := json.Marshal(filepath.Join(root, "web", "src", "wire.gen.ts"))
	entry := `import cases from './cases.json';
import { parseServerMessage, validateClientData } from ` + string(wire) + `;
const wrong = [];
for (const c of cases) {
  const ok = c.dir === 'server' ? parseServerMessage(c.frame) !== null : validateClientData(c.type, JSON.parse(c.frame)) === null;
  if (ok !== c.ok) wrong.push((c.ok ? 'Go accepts, TypeScript refuses: ' : 'Go refuses, TypeScript accepts: ') + c.dir + ' ' + c.type + ' ' + c.frame.slice(0, 300));
}
console.log(cases.length + ' cases, ' + wrong.length + ' disagreements');
if (wrong.length > 0) throw new Error(wrong.slice(0, 20).join('\n'));
`
	if err := os.WriteFile(filepath.Join(dir, "parity.ts"), []byte(entry), 0o644); err != nil {
		t.Fatal(err)
	}
	out := nodetest.Run(t, root, filepath.Join(dir, "parity.ts"))
	t.Log(strings.TrimSpace(out))
}

// replacements are the values mutations put in place of a field.
var replacements = []any{
	nil, "", "x", 0, -1, 1.5, 65535, 65536, 1e20, true, false, []any{}, map[string]any{},
	[]any{nil}, []any{"audio"}, map[string]any{"a": 1}, map[string]any{"0": "audio"}, strings.Repeat("é", 200),
	"2026-12-01T10:00:00Z", "2026-12-01T10:00:00+24:00", "audio", "offer", "answer", "publish",
}

// mutations returns variants of a decoded JSON value: each field of an
// object replaced, removed, renamed in upper case or mutated in turn
// (depth levels down), and a list's first element mutated or repeated.
func mutations(v any, depth int) []any {
	var out []any
	switch x := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			with := func(key string, val any, drop bool) map[string]any {
				c := maps.Clone(x)
				if drop {
					delete(c, k)
				}
				c[key] = val
				return c
			}
			for _, r := range replacements {
				out = append(out, with(k, r, false))
			}
			gone := maps.Clone(x)
			delete(gone, k)
			out = append(out, gone, with(strings.ToUpper(k), x[k], true), with(strings.ToUpper(k), "zzz", false))
			if depth > 0 {
				for _, m := range mutations(x[k], depth-1) {
					out = append(out, with(k, m, false))
				}
			}
		}
		out = append(out, map[string]any{"unknown": x})
	case []any:
		if len(x) > 0 {
			out = append(out, append(slices.Clone(x), x[0]), x[1:])
			if depth > 0 {
				for _, m := range mutations(x[0], depth-1) {
					out = append(out, append([]any{m}, x[1:]...))
				}
			}
		}
	}
	return out
}
