package sca

import (
	"fmt"
	"log/slog"
)

const redacted = "[REDACTED]"

// PIN is the knowledge factor as typed by the user. It never prints: String, GoString, every
// fmt verb and slog all show [REDACTED].
type PIN string

// OTP is a TOTP code as typed by the user; redacted like PIN.
type OTP string

// RecoveryCode is the one-time recovery secret shown once at enrolment; redacted like PIN.
// Reveal returns the text to show the user.
type RecoveryCode string

func (PIN) String() string                      { return redacted }
func (PIN) GoString() string                    { return redacted }
func (PIN) LogValue() slog.Value                { return slog.StringValue(redacted) }
func (PIN) Format(f fmt.State, _ rune)          { _, _ = f.Write([]byte(redacted)) }
func (OTP) String() string                      { return redacted }
func (OTP) GoString() string                    { return redacted }
func (OTP) LogValue() slog.Value                { return slog.StringValue(redacted) }
func (OTP) Format(f fmt.State, _ rune)          { _, _ = f.Write([]byte(redacted)) }
func (RecoveryCode) String() string             { return redacted }
func (RecoveryCode) GoString() string           { return redacted }
func (RecoveryCode) LogValue() slog.Value       { return slog.StringValue(redacted) }
func (RecoveryCode) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// Reveal returns the recovery code for display, grouped for writing down.
func (r RecoveryCode) Reveal() string { return string(r) }
