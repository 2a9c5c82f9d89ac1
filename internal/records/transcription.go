package records

import "github.com/conclave-meet/conclave/internal/config"

// transcriptionText says where audio goes when the organisation allows
// transcription (docs/transcripts.md); "" when it does not.
func transcriptionText(c config.Config) string {
	if !c.Transcription.Transcription {
		return ""
	}
	return "When a host transcribes a meeting, the audio of the participants who consent, and of nobody else, goes to " +
		engineWhere(c) + " " +
		"The text it produces is shown as live captions to the participants who turn captions on, and kept as the meeting's " +
		"transcript, encrypted, for the people who may see the meeting's recordings, until its retention period ends."
}

// engineWhere completes "the audio … goes to": the engine and where it
// runs, in words; the host is named whenever audio leaves this server.
func engineWhere(c config.Config) string {
	switch {
	case c.TranscriptionEngine == config.EnginePocketSphinx:
		return "a speech engine (PocketSphinx) that runs on this server as a separate program: it never leaves this server."
	case c.TranscriptionOnThisServer():
		return "a " + engineLabel(c) + " that runs on this server, at " + c.TranscriptionHost() + ": it never leaves this server."
	default:
		return "the organisation's own " + engineLabel(c) + " at " + c.TranscriptionHost() +
			", over an encrypted connection (TLS): it goes there and nowhere else, and no other company receives it."
	}
}

// transcriptionMeasure is the measures' line on transcription.
func transcriptionMeasure(c config.Config) string {
	if !c.Transcription.Transcription {
		return "Transcription is off: no meeting can be transcribed."
	}
	start := "Transcription is allowed in meetings created transcribable, never in end-to-end encrypted ones: every participant is asked first, " +
		"only those who consent are transcribed, and their audio goes only to "
	switch {
	case c.TranscriptionEngine == config.EnginePocketSphinx:
		return start + "a local speech engine (PocketSphinx) on this server."
	case c.TranscriptionOnThisServer():
		return start + "a local " + engineLabel(c) + " on this server (" + c.TranscriptionHost() + ")."
	}
	auth := ""
	if c.TranscriptionEngine == config.EngineRemote || c.WhisperTokenFile != "" {
		auth = " and authenticated by a token"
	}
	return start + "the organisation's own " + engineLabel(c) + " at " + c.TranscriptionHost() + ", encrypted in transit (TLS)" + auth + "."
}

// MaxEngineText is the longest EngineText the wire format carries (the
// transcription message's engine, at most 200 bytes; clients refuse a
// longer one, and with it the consent prompt).
const MaxEngineText = 200

// TranscriptionEngineText says where the audio goes, in the words the
// consent prompt shows each participant (transcriptions.Options.EngineText),
// within MaxEngineText bytes: a long host name shortens the sentence,
// never drops the host.
func TranscriptionEngineText(c config.Config) string {
	host := c.TranscriptionHost()
	var long, short string
	switch {
	case c.TranscriptionEngine == config.EnginePocketSphinx:
		return "PocketSphinx, a speech engine on this server: the audio never leaves it"
	case c.TranscriptionEngine == config.EngineWhisper && c.TranscriptionOnThisServer():
		return "whisper.cpp, a speech engine on this server: the audio never leaves it"
	case c.TranscriptionOnThisServer():
		return "a transcription worker on this server: the audio never leaves it"
	case c.TranscriptionEngine == config.EngineWhisper:
		long = "whisper.cpp, the organisation's own speech engine at " + host + ": the audio goes there encrypted, and nowhere else"
		short = "whisper.cpp at "
	default:
		long = "the organisation's own transcription worker at " + host + ": the audio goes there encrypted, and nowhere else"
		short = "a transcription worker at "
	}
	if len(long) <= MaxEngineText {
		return long
	}
	const tail = " (the organisation's own, encrypted)"
	if room := MaxEngineText - len(short) - len(tail); len(host) > room {
		host = host[:room-len("…")] + "…" // a host name is ASCII: no rune is cut
	}
	return short + host + tail
}

// engineLabel names the engine after "a" or "the organisation's own".
func engineLabel(c config.Config) string {
	switch c.TranscriptionEngine {
	case config.EnginePocketSphinx:
		return "speech engine (PocketSphinx)"
	case config.EngineWhisper:
		return "speech engine (whisper.cpp)"
	case config.EngineRemote:
		return "transcription worker (a machine running a speech engine for this server)"
	}
	return "speech engine (" + c.TranscriptionEngine + ")"
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
