// Package auth implements accounts: password hashing, login sessions and
// the one-time bootstrap of the first administrator.
package auth

import "errors"

// ErrBadCredentials is returned for an unknown e-mail and for a wrong
// password alike, so callers cannot tell which one it was.
var ErrBadCredentials = errors.New("auth: wrong e-mail or password")

// ErrBadSetupToken means the setup token is malformed, wrong, used or expired.
var ErrBadSetupToken = errors.New("auth: setup token is wrong, used or expired")

// ErrSetupDone means an account exists, so first-run setup is closed.
var ErrSetupDone = errors.New("auth: setup already completed")

// ValidationError reports unacceptable user input. Message is safe to show
// to the user; it never contains the rejected value.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return e.Message }

func invalid(field, msg string) error { return &ValidationError{Field: field, Message: msg} }
