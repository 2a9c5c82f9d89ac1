package whisper

import (
	"encoding/binary"

	"github.com/conclave-meet/conclave/internal/transcribe"
)

// wav encodes pcm as a WAV file: 16 kHz, mono, signed 16-bit little
// endian, which whisper-server reads without converting (it needs ffmpeg
// and its --convert option for anything else).
func wav(pcm []int16) []byte {
	data := 2 * len(pcm)
	b := make([]byte, 0, 44+data)
	b = append(b, "RIFF"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(36+data))
	b = append(b, "WAVEfmt "...)
	b = binary.LittleEndian.AppendUint32(b, 16)                      // fmt chunk size
	b = binary.LittleEndian.AppendUint16(b, 1)                       // PCM
	b = binary.LittleEndian.AppendUint16(b, 1)                       // mono
	b = binary.LittleEndian.AppendUint32(b, transcribe.SampleRate)   // sample rate
	b = binary.LittleEndian.AppendUint32(b, 2*transcribe.SampleRate) // byte rate
	b = binary.LittleEndian.AppendUint16(b, 2)                       // block align
	b = binary.LittleEndian.AppendUint16(b, 16)                      // bits per sample
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(data))
	for _, v := range pcm {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	return b
}
