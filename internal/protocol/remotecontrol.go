package protocol

import "time"

// Remote control of a shared screen (docs/security.md, "Remote control").
// The grant lives in signalling; the input events themselves travel on
// their own connections (/api/control/input from the controller's page,
// /api/control/agent to the sharer's `conclave agent`), defined in
// internal/remotecontrol.

// ControlRequest asks Participant, who shares their screen, for control.
type ControlRequest struct {
	Participant string `json:"participant" proto:"required,max=64"`
}

// ControlAnswer is the sharer's answer to request Request: Grant true
// gives control (PointerOnly: the controller may only move the pointer,
// to show where to look), false refuses.
type ControlAnswer struct {
	Request     string `json:"request" proto:"required,max=64"`
	Grant       bool   `json:"grant"`
	PointerOnly bool   `json:"pointer_only"`
}

// ControlStop ends grant Grant: the sharer stops it, the controller gives
// control back, or a host revokes it.
type ControlStop struct {
	Grant string `json:"grant" proto:"required,max=64"`
}

// ControlRequested tells the sharer that From (named Name) asks for
// control of their screen; Request identifies the question in the answer.
type ControlRequested struct {
	Request string `json:"request" proto:"required,max=64"`
	From    string `json:"from" proto:"required,max=64"`
	Name    string `json:"name" proto:"max=200"`
}

// ControlRefused tells the asker that the sharer refused (or the request
// lapsed: the sharer stopped sharing, left, or did not answer in time).
type ControlRefused struct {
	Request string `json:"request" proto:"required,max=64"`
	Reason  string `json:"reason" proto:"enum=refused|busy|share_ended|left|timeout"`
}

// ControlState tells everyone in the meeting that Controller controls
// Sharer's screen (Active), or that it ended and why. Token goes to the
// controller only (the capability for /api/control/input), AgentCode to
// the sharer only (the server part of the agent's pairing code).
type ControlState struct {
	Active         bool       `json:"active"`
	Grant          string     `json:"grant" proto:"required,max=64"`
	Sharer         string     `json:"sharer" proto:"required,max=64"`
	SharerName     string     `json:"sharer_name" proto:"max=200"`
	Controller     string     `json:"controller" proto:"required,max=64"`
	ControllerName string     `json:"controller_name" proto:"max=200"`
	PointerOnly    bool       `json:"pointer_only"`
	ExpiresAt      *time.Time `json:"expires_at,omitempty"`
	// AgentConnected: the sharer's agent is paired; events reach the
	// desktop only from then on.
	AgentConnected bool   `json:"agent_connected"`
	Token          string `json:"token,omitempty" proto:"max=128"`
	AgentCode      string `json:"agent_code,omitempty" proto:"max=128"`
	Ended          string `json:"ended,omitempty" proto:"enum=|stopped|stop_key|share_ended|left|revoked|expired|released|flood|bad_input|agent_closed|meeting_end"`
}
