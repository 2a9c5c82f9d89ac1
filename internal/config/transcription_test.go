package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// transcriptionKeys are the TOML keys of transcription.go's options, by flag.
var transcriptionKeys = map[string]string{"transcription": "transcription", "transcription-engine": "transcription_engine",
	"whisper-url": "whisper_url", "whisper-ca-file": "whisper_ca_file", "whisper-token-file": "whisper_token_file",
	"transcription-worker-url": "transcription_worker_url", "transcription-worker-ca-file": "transcription_worker_ca_file",
	"transcription-worker-token-file": "transcription_worker_token_file"}

// TestTranscriptionDefaults: off, PocketSphinx, nothing else set.
func TestTranscriptionDefaults(t *testing.T) {
	cfg := mustLoad(t, nil, noEnv)
	if cfg.Transcription != (Transcription{TranscriptionEngine: "pocketsphinx"}) {
		t.Fatalf("defaults: %+v", cfg.Transcription)
	}
	if cfg.TranscriptionHost() != "" || !cfg.TranscriptionOnThisServer() {
		t.Fatalf("PocketSphinx: host %q, on this server %v", cfg.TranscriptionHost(), cfg.TranscriptionOnThisServer())
	}
}

func TestLoadTranscriptionEverySource(t *testing.T) {
	want := Transcription{Transcription: true, TranscriptionEngine: "pocketsphinx"}
	flags := mustLoad(t, []string{"--transcription", "true", "--transcription-engine", "pocketsphinx"}, noEnv)
	env := mustLoad(t, nil, env(map[string]string{"CONCLAVE_TRANSCRIPTION": "1", "CONCLAVE_TRANSCRIPTION_ENGINE": "pocketsphinx"}))
	path := writeFile(t, "transcription = true\ntranscription_engine = \"pocketsphinx\"\n")
	file := mustLoad(t, []string{"--config", path}, noEnv)
	for name, cfg := range map[string]Config{"flags": flags, "env": env, "file": file} {
		if cfg.Transcription != want {
			t.Errorf("%s: %+v, want %+v", name, cfg.Transcription, want)
		}
	}
}

// TestLoadWhisperEverySource: whisper.cpp's address, CA and token file
// come from flags, the environment and the file alike.
func TestLoadWhisperEverySource(t *testing.T) {
	want := Transcription{Transcription: true, TranscriptionEngine: "whisper", WhisperURL: "https://gpu.example.org:8443",
		WhisperCAFile: "/etc/conclave/whisper-ca.pem", WhisperTokenFile: "/etc/conclave/whisper.token"}
	flags := mustLoad(t, []string{"--transcription", "true", "--transcription-engine", "whisper", "--whisper-url", want.WhisperURL,
		"--whisper-ca-file", want.WhisperCAFile, "--whisper-token-file", want.WhisperTokenFile}, noEnv)
	env := mustLoad(t, nil, env(map[string]string{"CONCLAVE_TRANSCRIPTION": "1", "CONCLAVE_TRANSCRIPTION_ENGINE": "whisper",
		"CONCLAVE_WHISPER_URL": want.WhisperURL, "CONCLAVE_WHISPER_CA_FILE": want.WhisperCAFile,
		"CONCLAVE_WHISPER_TOKEN_FILE": want.WhisperTokenFile}))
	path := writeFile(t, "transcription = true\ntranscription_engine = \"whisper\"\nwhisper_url = \"https://gpu.example.org:8443\"\n"+
		"whisper_ca_file = \"/etc/conclave/whisper-ca.pem\"\nwhisper_token_file = \"/etc/conclave/whisper.token\"\n")
	file := mustLoad(t, []string{"--config", path}, noEnv)
	for name, cfg := range map[string]Config{"flags": flags, "env": env, "file": file} {
		if cfg.Transcription != want {
			t.Errorf("%s: %+v, want %+v", name, cfg.Transcription, want)
		}
		if cfg.TranscriptionHost() != "gpu.example.org:8443" || cfg.TranscriptionOnThisServer() {
			t.Errorf("%s: host %q, on this server %v", name, cfg.TranscriptionHost(), cfg.TranscriptionOnThisServer())
		}
	}
}

func TestLoadWorkerEverySource(t *testing.T) {
	want := Transcription{Transcription: true, TranscriptionEngine: "remote", TranscriptionWorkerURL: "wss://stt.example.org:8765",
		TranscriptionWorkerCAFile: "/etc/conclave/worker-ca.pem", TranscriptionWorkerTokenFile: "/etc/conclave/worker.token"}
	flags := mustLoad(t, []string{"--transcription", "true", "--transcription-engine", "remote",
		"--transcription-worker-url", want.TranscriptionWorkerURL, "--transcription-worker-ca-file", want.TranscriptionWorkerCAFile,
		"--transcription-worker-token-file", want.TranscriptionWorkerTokenFile}, noEnv)
	env := mustLoad(t, nil, env(map[string]string{"CONCLAVE_TRANSCRIPTION": "1", "CONCLAVE_TRANSCRIPTION_ENGINE": "remote",
		"CONCLAVE_TRANSCRIPTION_WORKER_URL": want.TranscriptionWorkerURL, "CONCLAVE_TRANSCRIPTION_WORKER_CA_FILE": want.TranscriptionWorkerCAFile,
		"CONCLAVE_TRANSCRIPTION_WORKER_TOKEN_FILE": want.TranscriptionWorkerTokenFile}))
	path := writeFile(t, "transcription = true\ntranscription_engine = \"remote\"\ntranscription_worker_url = \"wss://stt.example.org:8765\"\n"+
		"transcription_worker_ca_file = \"/etc/conclave/worker-ca.pem\"\ntranscription_worker_token_file = \"/etc/conclave/worker.token\"\n")
	file := mustLoad(t, []string{"--config", path}, noEnv)
	for name, cfg := range map[string]Config{"flags": flags, "env": env, "file": file} {
		if cfg.Transcription != want {
			t.Errorf("%s: %+v, want %+v", name, cfg.Transcription, want)
		}
		if cfg.TranscriptionHost() != "stt.example.org:8765" || cfg.TranscriptionOnThisServer() {
			t.Errorf("%s: host %q, on this server %v", name, cfg.TranscriptionHost(), cfg.TranscriptionOnThisServer())
		}
	}
}

// TestValidateTranscription: each engine's settings are checked, with an
// error naming the option; audio may cross a network only over TLS.
func TestValidateTranscription(t *testing.T) {
	cases := map[string]struct {
		set  func(*Transcription)
		want string // "" valid, else a fragment of the error
	}{
		"pocketsphinx": {func(*Transcription) {}, ""},
		"unknown engine": {func(c *Transcription) { c.TranscriptionEngine = "cloud" },
			`transcription_engine "cloud": must be pocketsphinx, whisper or remote`},
		"whisper on loopback": {func(c *Transcription) { c.TranscriptionEngine, c.WhisperURL = "whisper", "http://127.0.0.1:8081" }, ""},
		"whisper localhost":   {func(c *Transcription) { c.TranscriptionEngine, c.WhisperURL = "whisper", "http://localhost:8081" }, ""},
		"whisper over TLS": {func(c *Transcription) {
			c.TranscriptionEngine, c.WhisperURL, c.WhisperCAFile, c.WhisperTokenFile = "whisper", "https://gpu.example.org", "/ca.pem", "/tok"
		}, ""},
		"whisper without URL": {func(c *Transcription) { c.TranscriptionEngine = "whisper" }, "transcription_engine whisper needs whisper_url"},
		"whisper in clear": {func(c *Transcription) { c.TranscriptionEngine, c.WhisperURL = "whisper", "http://gpu.example.org:8081" },
			"whisper_url: engine address http://gpu.example.org:8081: plain http to another host"},
		"whisper credentials": {func(c *Transcription) {
			c.TranscriptionEngine, c.WhisperURL = "whisper", "https://u:secret@gpu.example.org"
		},
			"credentials belong in a token file"},
		"whisper scheme": {func(c *Transcription) { c.TranscriptionEngine, c.WhisperURL = "whisper", "ftp://gpu.example.org" }, "scheme must be https"},
		"worker over TLS": {func(c *Transcription) {
			c.TranscriptionEngine, c.TranscriptionWorkerURL, c.TranscriptionWorkerTokenFile = "remote", "wss://stt.example.org:8765", "/tok"
		}, ""},
		"worker as https": {func(c *Transcription) {
			c.TranscriptionEngine, c.TranscriptionWorkerURL, c.TranscriptionWorkerTokenFile = "remote", "https://stt.example.org:8765", "/tok"
		}, ""},
		"worker on loopback": {func(c *Transcription) {
			c.TranscriptionEngine, c.TranscriptionWorkerURL, c.TranscriptionWorkerTokenFile = "remote", "ws://127.0.0.1:8765", "/tok"
		}, ""},
		"worker in clear": {func(c *Transcription) {
			c.TranscriptionEngine, c.TranscriptionWorkerURL, c.TranscriptionWorkerTokenFile = "remote", "http://stt.example.org:8765", "/tok"
		}, "transcription_worker_url: engine address ws://stt.example.org:8765: plain ws to another host"},
		"worker without URL": {func(c *Transcription) { c.TranscriptionEngine, c.TranscriptionWorkerTokenFile = "remote", "/tok" },
			"transcription_engine remote needs transcription_worker_url"},
		"worker without token": {func(c *Transcription) {
			c.TranscriptionEngine, c.TranscriptionWorkerURL = "remote", "wss://stt.example.org"
		},
			"transcription_engine remote needs transcription_worker_token_file"},
		"whisper URL, engine pocketsphinx": {func(c *Transcription) { c.WhisperURL = "http://127.0.0.1:8081" },
			`whisper_url is set but transcription_engine is "pocketsphinx": set transcription_engine = "whisper"`},
		"worker token, engine whisper": {func(c *Transcription) {
			c.TranscriptionEngine, c.WhisperURL, c.TranscriptionWorkerTokenFile = "whisper", "http://127.0.0.1:8081", "/tok"
		}, `transcription_worker_token_file is set but transcription_engine is "whisper"`},
	}
	for name, tc := range cases {
		cfg := Default()
		tc.set(&cfg.Transcription)
		err := cfg.validateTranscription()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

// TestTranscriptionOnThisServer: an engine at a loopback address keeps
// the audio on this machine; one elsewhere does not.
func TestTranscriptionOnThisServer(t *testing.T) {
	for url, want := range map[string]bool{"http://127.0.0.1:8081": true, "http://localhost:8081": true, "http://[::1]:8081": true,
		"https://gpu.example.org": false, "https://10.0.0.7:8443": false} {
		cfg := Default()
		cfg.TranscriptionEngine, cfg.WhisperURL = EngineWhisper, url
		if got := cfg.TranscriptionOnThisServer(); got != want {
			t.Errorf("%s: on this server %v, want %v", url, got, want)
		}
	}
}

// TestOperationsTranscriptionExamplesValid: every TOML example of
// docs/operations.md that names a transcription engine is a valid
// configuration, as written.
func TestOperationsTranscriptionExamplesValid(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, block := range strings.Split(string(doc), "```toml\n")[1:] {
		block, _, _ = strings.Cut(block, "```")
		if !strings.Contains(block, "transcription_engine") {
			continue
		}
		n++
		cfg := Default()
		if _, err := toml.Decode(block, &cfg); err != nil {
			t.Errorf("%s: %v", block, err)
			continue
		}
		if err := cfg.validateTranscription(); err != nil {
			t.Errorf("%s: %v", block, err)
		}
	}
	if n < 4 {
		t.Fatalf("%d transcription examples in docs/operations.md, want one per engine and place (4)", n)
	}
}
