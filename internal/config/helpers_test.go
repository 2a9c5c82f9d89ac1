package config

import (
	"strings"

	"github.com/BurntSushi/toml"
)

// decodeTOML decodes s into a Config and returns the keys Config did not
// take, or the decoding error (e.g. a type mismatch, which proves the key
// exists).
func decodeTOML(s string) ([]string, error) {
	var c Config
	md, err := toml.Decode(s, &c)
	if err != nil {
		return nil, err
	}
	var extra []string
	for _, k := range md.Undecoded() {
		extra = append(extra, strings.Join(k, "."))
	}
	return extra, nil
}
