package records

import "github.com/conclave-meet/conclave/internal/config"

// transcriptionText says where audio goes when the organisation allows
// transcription (docs/transcripts.md); "" when it does not.
func transcriptionText(c config.Config) string {
	if !c.Transcription.Transcription {
		return ""
	}
	return "When a host transcribes a meeting, the audio of the participants who consent, and of nobody else, goes to a speech engine (" +
		engineName(c) + ") that runs on this server as a separate program: it never leaves this server. " +
		"The text it produces is shown as live captions to the participants who turn captions on, and kept as the meeting's " +
		"transcript, encrypted, for the people who may see the meeting's recordings, until its retention period ends."
}

// transcriptionMeasure is the measures' line on transcription.
func transcriptionMeasure(c config.Config) string {
	if !c.Transcription.Transcription {
		return "Transcription is off: no meeting can be transcribed."
	}
	return "Transcription is allowed in meetings created recordable, never in end-to-end encrypted ones: every participant is asked first, " +
		"only those who consent are transcribed, and their audio goes only to a local speech engine (" + engineName(c) + ") on this server."
}

func engineName(c config.Config) string {
	if c.TranscriptionEngine == config.EnginePocketSphinx {
		return "PocketSphinx"
	}
	return c.TranscriptionEngine
}

// nonEmpty is ps without the empty ones.
func nonEmpty(ps ...string) []string {
	var out []string
	for _, p := range ps {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}
