package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/conclave-meet/conclave/internal/transcribe/endpoint"
)

// Transcription holds the settings of automatic transcripts and live
// captions (docs/transcripts.md). It is embedded in Config, so its keys
// sit at the top level of the TOML file.
type Transcription struct {
	// Transcription: the organisation allows hosts to transcribe meetings
	// created transcribable (each participant is asked). Off by default.
	Transcription bool `toml:"transcription"`
	// TranscriptionEngine names the speech engine: "pocketsphinx"
	// (Debian's pocketsphinx_continuous, a child process on this
	// machine), "whisper" (a whisper.cpp server the operator runs) or
	// "remote" (a `conclave transcribe-worker` the operator runs).
	TranscriptionEngine string `toml:"transcription_engine"`

	// WhisperURL is the whisper.cpp server's base URL: https, or http to
	// this machine's loopback only (audio never crosses a network in
	// clear).
	WhisperURL string `toml:"whisper_url"`
	// WhisperCAFile is a PEM file of certificates to trust for
	// WhisperURL besides the system's (a private CA).
	WhisperCAFile string `toml:"whisper_ca_file"`
	// WhisperTokenFile holds a bearer token for the TLS reverse proxy in
	// front of whisper-server, which checks none itself.
	WhisperTokenFile string `toml:"whisper_token_file"`

	// TranscriptionWorkerURL is the worker's address: wss:// (or
	// https://), or ws:// (http://) to this machine's loopback only.
	TranscriptionWorkerURL string `toml:"transcription_worker_url"`
	// TranscriptionWorkerCAFile is a PEM file of certificates to trust
	// for the worker besides the system's.
	TranscriptionWorkerCAFile string `toml:"transcription_worker_ca_file"`
	// TranscriptionWorkerTokenFile holds the worker's shared token
	// (required: a worker refuses everyone without it).
	TranscriptionWorkerTokenFile string `toml:"transcription_worker_token_file"`
}

// The speech engines transcription_engine names.
const (
	EnginePocketSphinx = "pocketsphinx"
	EngineWhisper      = "whisper"
	EngineRemote       = "remote"
)

// DefaultTranscription returns the transcription settings used when
// nothing is set: off, PocketSphinx.
func DefaultTranscription() Transcription {
	return Transcription{TranscriptionEngine: EnginePocketSphinx}
}

// transcriptionOptions: load.go appends these to options.
var transcriptionOptions = []option{
	{"transcription", "CONCLAVE_TRANSCRIPTION", "true: hosts may transcribe meetings created transcribable with the organisation's own speech engine, with each participant's consent (default false)",
		boolean(func(c *Config) *bool { return &c.Transcription.Transcription })},
	{"transcription-engine", "CONCLAVE_TRANSCRIPTION_ENGINE", "the speech engine: pocketsphinx (default, on this server), whisper (a whisper.cpp server, whisper_url) or remote (a conclave transcribe-worker, transcription_worker_url)",
		str(func(c *Config) *string { return &c.TranscriptionEngine })},
	{"whisper-url", "CONCLAVE_WHISPER_URL", "the whisper.cpp server (whisper-server) for transcription_engine whisper: https://host:port, or http:// to this machine's loopback only",
		str(func(c *Config) *string { return &c.WhisperURL })},
	{"whisper-ca-file", "CONCLAVE_WHISPER_CA_FILE", "PEM file of certificates to trust for whisper_url besides the system's (a private CA)",
		str(func(c *Config) *string { return &c.WhisperCAFile })},
	{"whisper-token-file", "CONCLAVE_WHISPER_TOKEN_FILE", "file holding a bearer token sent to whisper_url (for a TLS reverse proxy in front of whisper-server, which checks none itself)",
		str(func(c *Config) *string { return &c.WhisperTokenFile })},
	{"transcription-worker-url", "CONCLAVE_TRANSCRIPTION_WORKER_URL", "the conclave transcribe-worker for transcription_engine remote: wss://host:port, or ws:// to this machine's loopback only",
		str(func(c *Config) *string { return &c.TranscriptionWorkerURL })},
	{"transcription-worker-ca-file", "CONCLAVE_TRANSCRIPTION_WORKER_CA_FILE", "PEM file of certificates to trust for transcription_worker_url besides the system's (a private CA, the worker's own certificate)",
		str(func(c *Config) *string { return &c.TranscriptionWorkerCAFile })},
	{"transcription-worker-token-file", "CONCLAVE_TRANSCRIPTION_WORKER_TOKEN_FILE", "file holding the worker's token, the one its --token-file holds (required for transcription_engine remote)",
		str(func(c *Config) *string { return &c.TranscriptionWorkerTokenFile })},
}

// TranscriptionHost is where the configured engine receives audio: the
// host and port of whisper_url or transcription_worker_url; "" for
// PocketSphinx, which runs on this server. Validate has checked the URL.
func (c Config) TranscriptionHost() string {
	var raw string
	switch c.TranscriptionEngine {
	case EngineWhisper:
		raw = c.WhisperURL
	case EngineRemote:
		raw = c.TranscriptionWorkerURL
	default:
		return ""
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return ""
	}
	return u.Host
}

// TranscriptionOnThisServer reports whether audio stays on this machine:
// PocketSphinx, or an engine at a loopback address.
func (c Config) TranscriptionOnThisServer() bool {
	if c.TranscriptionEngine == EnginePocketSphinx {
		return true
	}
	u, err := url.Parse("//" + c.TranscriptionHost())
	return err == nil && u.Hostname() != "" && endpoint.Loopback(u.Hostname())
}

// WorkerURL maps transcription_worker_url's https:// and http:// to the
// WebSocket schemes the worker speaks, as the remote client does.
func WorkerURL(raw string) string {
	raw = strings.TrimSpace(raw)
	if rest, ok := strings.CutPrefix(raw, "https://"); ok {
		return "wss://" + rest
	}
	if rest, ok := strings.CutPrefix(raw, "http://"); ok {
		return "ws://" + rest
	}
	return raw
}

func (c Config) validateTranscription() error {
	var errs []error
	switch c.TranscriptionEngine {
	case EnginePocketSphinx:
	case EngineWhisper:
		if strings.TrimSpace(c.WhisperURL) == "" {
			errs = append(errs, errors.New("transcription_engine whisper needs whisper_url, the whisper.cpp server's address (e.g. http://127.0.0.1:8081)"))
		} else if _, err := endpoint.Check(c.WhisperURL, "https", "http"); err != nil {
			errs = append(errs, fmt.Errorf("whisper_url: %w", err))
		}
	case EngineRemote:
		if strings.TrimSpace(c.TranscriptionWorkerURL) == "" {
			errs = append(errs, errors.New("transcription_engine remote needs transcription_worker_url, the worker's address (wss://host:port)"))
		} else if _, err := endpoint.Check(WorkerURL(c.TranscriptionWorkerURL), "wss", "ws"); err != nil {
			errs = append(errs, fmt.Errorf("transcription_worker_url: %w", err))
		}
		if strings.TrimSpace(c.TranscriptionWorkerTokenFile) == "" {
			errs = append(errs, errors.New("transcription_engine remote needs transcription_worker_token_file: the worker refuses clients without its token"))
		}
	default:
		errs = append(errs, fmt.Errorf("transcription_engine %q: must be %s, %s or %s",
			c.TranscriptionEngine, EnginePocketSphinx, EngineWhisper, EngineRemote))
	}
	// Settings of an engine that is not the configured one are refused:
	// an operator who set whisper_url but not the engine would otherwise
	// believe audio goes to whisper.cpp while PocketSphinx hears it.
	for _, s := range []struct{ engine, key, value string }{
		{EngineWhisper, "whisper_url", c.WhisperURL},
		{EngineWhisper, "whisper_ca_file", c.WhisperCAFile},
		{EngineWhisper, "whisper_token_file", c.WhisperTokenFile},
		{EngineRemote, "transcription_worker_url", c.TranscriptionWorkerURL},
		{EngineRemote, "transcription_worker_ca_file", c.TranscriptionWorkerCAFile},
		{EngineRemote, "transcription_worker_token_file", c.TranscriptionWorkerTokenFile},
	} {
		if s.value != "" && c.TranscriptionEngine != s.engine {
			errs = append(errs, fmt.Errorf("%s is set but transcription_engine is %q: set transcription_engine = %q, or remove %s",
				s.key, c.TranscriptionEngine, s.engine, s.key))
		}
	}
	return errors.Join(errs...)
}
