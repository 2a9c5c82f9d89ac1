package config

import "fmt"

// Transcription holds the settings of automatic transcripts and live
// captions (docs/transcripts.md). It is embedded in Config, so its keys
// sit at the top level of the TOML file.
type Transcription struct {
	// Transcription: the organisation allows hosts to transcribe meetings
	// (each meeting must allow recording too, and each participant is
	// asked). Off by default.
	Transcription bool `toml:"transcription"`
	// TranscriptionEngine names the local speech engine: "pocketsphinx"
	// (Debian's pocketsphinx_continuous, a child process on this machine).
	TranscriptionEngine string `toml:"transcription_engine"`
}

// EnginePocketSphinx is the default speech engine.
const EnginePocketSphinx = "pocketsphinx"

// DefaultTranscription returns the transcription settings used when
// nothing is set: off, PocketSphinx.
func DefaultTranscription() Transcription {
	return Transcription{TranscriptionEngine: EnginePocketSphinx}
}

// transcriptionOptions: load.go appends these to options.
var transcriptionOptions = []option{
	{"transcription", "CONCLAVE_TRANSCRIPTION", "true: hosts may transcribe meetings with a local speech engine, with each participant's consent (default false)",
		boolean(func(c *Config) *bool { return &c.Transcription.Transcription })},
	{"transcription-engine", "CONCLAVE_TRANSCRIPTION_ENGINE", "the local speech engine: pocketsphinx (default)",
		str(func(c *Config) *string { return &c.TranscriptionEngine })},
}

func (c Config) validateTranscription() error {
	if c.TranscriptionEngine != EnginePocketSphinx {
		return fmt.Errorf("transcription_engine %q: must be %s", c.TranscriptionEngine, EnginePocketSphinx)
	}
	return nil
}
