// Package pocketsphinx adapts CMU PocketSphinx, as Debian packages it
// (pocketsphinx, pocketsphinx-en-us), to transcribe.Engine: one child
// process of pocketsphinx_continuous per speaker, fed raw 16 kHz PCM on
// its standard input, its word timings read from its standard output.
// Audio stays on this machine.
//
// The program gives a final result at each pause (its voice activity
// detection ends an utterance after about half a second of silence) and
// no partial results. Accuracy is modest; it is the engine that works on a
// fresh Debian install with nothing to download.
package pocketsphinx

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/conclave-meet/conclave/internal/transcribe"
)

// Debian's paths.
const (
	DefaultProgram  = "pocketsphinx_continuous"
	DefaultModelDir = "/usr/share/pocketsphinx/model/en-us"
)

// Config says where the program and its model are. The zero value means
// Debian's.
type Config struct {
	// Program is the pocketsphinx_continuous binary, a path or a name
	// looked up in PATH.
	Program string
	// ModelDir holds the acoustic model (en-us/), the language model
	// (en-us.lm.bin) and the dictionary (cmudict-en-us.dict).
	ModelDir string
	// Language is what the model recognises (BCP 47); "" is "en-US".
	Language string
	Log      *slog.Logger
}

// Engine runs pocketsphinx_continuous. It is safe for concurrent use.
type Engine struct {
	program       string
	hmm, lm, dict string
	lang          string
	log           *slog.Logger
}

var _ transcribe.Engine = (*Engine)(nil)

// New finds the program and the model. It returns an error wrapping
// transcribe.ErrNotInstalled when either is missing, so that a caller
// can fall back or tell the operator what to install.
func New(cfg Config) (*Engine, error) {
	if cfg.Program == "" {
		cfg.Program = DefaultProgram
	}
	if cfg.ModelDir == "" {
		cfg.ModelDir = DefaultModelDir
	}
	if cfg.Language == "" {
		cfg.Language = "en-US"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	prog, err := exec.LookPath(cfg.Program)
	if err != nil {
		return nil, fmt.Errorf("%w: %s (Debian package pocketsphinx): %w", transcribe.ErrNotInstalled, cfg.Program, err)
	}
	e := &Engine{
		program: prog,
		hmm:     filepath.Join(cfg.ModelDir, "en-us"),
		lm:      filepath.Join(cfg.ModelDir, "en-us.lm.bin"),
		dict:    filepath.Join(cfg.ModelDir, "cmudict-en-us.dict"),
		lang:    cfg.Language,
		log:     cfg.Log,
	}
	for _, p := range []string{e.hmm, e.lm, e.dict} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%w: model file %s (Debian package pocketsphinx-en-us): %w", transcribe.ErrNotInstalled, p, err)
		}
	}
	return e, nil
}

// Name implements transcribe.Engine.
func (e *Engine) Name() string { return "pocketsphinx" }

// Language is the model's language.
func (e *Engine) Language() string { return e.lang }

// Open implements transcribe.Engine: it starts one process for the
// speaker. A language other than the model's is refused.
func (e *Engine) Open(ctx context.Context, opts transcribe.StreamOptions) (transcribe.Stream, error) {
	if opts.Language != "" && !sameLanguage(opts.Language, e.lang) {
		return nil, fmt.Errorf("pocketsphinx: the model is %s, not %s", e.lang, opts.Language)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	args := []string{
		"-infile", "/dev/stdin",
		"-time", "yes",
		"-logfn", "/dev/null",
		"-samprate", fmt.Sprint(transcribe.SampleRate),
		"-hmm", e.hmm, "-lm", e.lm, "-dict", e.dict,
	}
	return start(e.program, args, opts.Speaker, e.log)
}

// sameLanguage compares BCP 47 tags by their primary language: the
// en-US model serves "en" and "en-GB" too, if poorly.
func sameLanguage(a, b string) bool {
	primary := func(s string) string {
		s, _, _ = strings.Cut(strings.ToLower(s), "-")
		return s
	}
	return primary(a) == primary(b)
}
