package config

import (
	"strings"
	"testing"
)

func TestTURNQuotas(t *testing.T) {
	c := valid()
	if c.TURNMaxPerCredential != DefaultTURNMaxPerCredential || c.TURNMaxPerAddress != DefaultTURNMaxPerAddress {
		t.Fatalf("defaults = %d, %d", c.TURNMaxPerCredential, c.TURNMaxPerAddress)
	}
	for _, tc := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.TURNMaxPerCredential = 0 }, "turn_max_per_credential 0 out of range"},
		{func(c *Config) { c.TURNMaxPerCredential = 65 }, "turn_max_per_credential 65 out of range"},
		{func(c *Config) { c.TURNMaxPerAddress = 0 }, "turn_max_per_address 0 out of range"},
	} {
		c := valid()
		tc.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate = %v, want %q", err, tc.want)
		}
	}
	c, err := Load([]string{"--turn-max-per-address", "1000"}, func(string) string { return "" })
	if err != nil || c.TURNMaxPerAddress != 1000 {
		t.Fatalf("flag: %d, %v", c.TURNMaxPerAddress, err)
	}
}
