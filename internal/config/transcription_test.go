package config

import (
	"strings"
	"testing"
)

// transcriptionKeys are the TOML keys of transcription.go's options, by flag.
var transcriptionKeys = map[string]string{"transcription": "transcription", "transcription-engine": "transcription_engine"}

// TestTranscriptionDefaults: off, PocketSphinx.
func TestTranscriptionDefaults(t *testing.T) {
	cfg := mustLoad(t, nil, noEnv)
	if cfg.Transcription != (Transcription{TranscriptionEngine: "pocketsphinx"}) {
		t.Fatalf("defaults: %+v", cfg.Transcription)
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

func TestValidateTranscription(t *testing.T) {
	cfg := Default()
	cfg.TranscriptionEngine = "cloud"
	if err := cfg.validateTranscription(); err == nil || !strings.Contains(err.Error(), "transcription_engine") {
		t.Fatalf("unknown engine: %v", err)
	}
}
