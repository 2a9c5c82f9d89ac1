package config

import (
	"strings"
	"testing"
)

// mediaKeys are the TOML keys of media.go's options, by flag.
var mediaKeys = map[string]string{"camera-default-on": "camera_default_on", "microphone-default-on": "microphone_default_on"}

// TestMediaDefaultsOn: unless configured, camera and microphone start on
// at join, as before the option existed.
func TestMediaDefaultsOn(t *testing.T) {
	cfg := mustLoad(t, nil, noEnv)
	if !cfg.CameraDefaultOn || !cfg.MicrophoneDefaultOn {
		t.Fatalf("defaults: %+v", cfg.Media)
	}
}

// TestMediaDefaultsOff: an organisation turns either off from the file,
// the environment or a flag, each overriding the one before.
func TestMediaDefaultsOff(t *testing.T) {
	path := writeFile(t, "camera_default_on = false\n")
	cfg := mustLoad(t, []string{"--config", path}, noEnv)
	if cfg.CameraDefaultOn || !cfg.MicrophoneDefaultOn {
		t.Fatalf("file: %+v", cfg.Media)
	}
	cfg = mustLoad(t, []string{"--config", path}, env(map[string]string{"CONCLAVE_MICROPHONE_DEFAULT_ON": "false"}))
	if cfg.CameraDefaultOn || cfg.MicrophoneDefaultOn {
		t.Fatalf("file and env: %+v", cfg.Media)
	}
	cfg = mustLoad(t, []string{"--config", path, "--camera-default-on=true"}, env(map[string]string{"CONCLAVE_MICROPHONE_DEFAULT_ON": "false"}))
	if !cfg.CameraDefaultOn || cfg.MicrophoneDefaultOn {
		t.Fatalf("flag over file: %+v", cfg.Media)
	}
}

// TestMediaDefaultsRefuseNonsense: a value that is not true or false
// stops the server rather than silently leaving the device on.
func TestMediaDefaultsRefuseNonsense(t *testing.T) {
	_, err := Load([]string{"--camera-default-on=off-ish"}, noEnv)
	if err == nil || !strings.Contains(err.Error(), "camera-default-on") {
		t.Fatalf("err %v", err)
	}
}
