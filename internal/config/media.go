package config

// Media holds what the browser client does with the camera and microphone
// before a person chooses (docs/operations.md, "Camera and microphone at
// join"). It is embedded in Config, so its keys sit at the top level of the
// TOML file. The server never turns a device on: these only decide whether
// the pre-join screen's switches start on or off; the person may still turn
// a device on before or during the call.
type Media struct {
	// CameraDefaultOn: the pre-join screen's camera switch starts on
	// (true, the default) or off. Off, the camera starts off at every join,
	// whatever the browser remembered from earlier meetings.
	CameraDefaultOn bool `toml:"camera_default_on"`
	// MicrophoneDefaultOn: the same for the microphone.
	MicrophoneDefaultOn bool `toml:"microphone_default_on"`
}

// DefaultMedia returns the settings used when nothing is set: both
// devices start on, as they always did.
func DefaultMedia() Media { return Media{CameraDefaultOn: true, MicrophoneDefaultOn: true} }

// mediaOptions: load.go appends these to options.
var mediaOptions = []option{
	{"camera-default-on", "CONCLAVE_CAMERA_DEFAULT_ON", "false: the camera starts off at every join; people turn it on themselves (default true)",
		boolean(func(c *Config) *bool { return &c.CameraDefaultOn })},
	{"microphone-default-on", "CONCLAVE_MICROPHONE_DEFAULT_ON", "false: the microphone starts off at every join; people turn it on themselves (default true)",
		boolean(func(c *Config) *bool { return &c.MicrophoneDefaultOn })},
}
