package sca

import (
	"errors"
	"fmt"
	"time"

	"github.com/payterm/payterm/keystore"
)

var (
	// ErrRecoveryFailed: the recovery code or the authenticator code was wrong (never which).
	ErrRecoveryFailed = errors.New("sca: recovery failed: the recovery code or the authenticator code is not correct")
	// ErrRecoveryLocked: too many failed recoveries; only Reset (and a new bank consent) remains.
	ErrRecoveryLocked = errors.New("sca: recovery is locked after too many failed attempts; reset the wallet's authentication and authorise a new consent at your bank")
)

// RecoveryError is a failed recovery with the attempts left; errors.Is matches
// ErrRecoveryFailed, and ErrRecoveryLocked at zero.
type RecoveryError struct{ Remaining int }

func (e *RecoveryError) Error() string {
	return fmt.Sprintf("%v; %d recovery attempts left", ErrRecoveryFailed, e.Remaining)
}

// Is matches ErrRecoveryFailed, and ErrRecoveryLocked once no attempt remains.
func (e *RecoveryError) Is(target error) bool {
	return target == ErrRecoveryFailed || (target == ErrRecoveryLocked && e.Remaining == 0)
}

// Recover lifts a block (or a forgotten PIN, or a tampered-state block) with two factors: the
// recovery code shown at enrolment (a secret the user keeps offline) and a fresh code from the
// authenticator app (possession). It sets newPIN, keeps the device key and its binding id (so
// bank consents stay valid: the unlock itself is strong customer authentication, RTS Art.
// 24(2)(b)), resets the counters and returns a NEW recovery code; the old one stops working.
// Wrong attempts are counted (MaxRecoveryFailures) and persisted before checking.
func (a *Authenticator) Recover(code RecoveryCode, otp OTP, newPIN PIN) (RecoveryCode, error) {
	if err := CheckPINPolicy(newPIN); err != nil {
		return "", err
	}
	if !checkOTPFormat(otp) {
		return "", ErrInvalidInput
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	unlock, err := a.lockDataDir()
	if err != nil {
		return "", err
	}
	defer unlock()
	d, err := a.loadDevice()
	if err != nil {
		return "", err
	}
	c, err := a.loadCounters(d.BindingID)
	tampered := errors.Is(err, ErrTampered)
	switch {
	case tampered:
		// The counters cannot be trusted; the 160-bit recovery code needs no attempt limit to
		// resist guessing, and a successful recovery rewrites both copies.
		c = counters{BindingID: d.BindingID}
	case err != nil:
		return "", err
	case c.RecoveryFailures >= MaxRecoveryFailures:
		return "", ErrRecoveryLocked
	default:
		c.RecoveryFailures++
		if err := a.saveCounters(&c); err != nil {
			return "", err
		}
	}
	wrapSecret, err := a.store.Get(nameWrapSecret)
	if err != nil {
		return "", a.secretMissing("device-key wrap secret", err)
	}
	defer clear(wrapSecret)
	seed, err := a.store.Get(nameTOTPSeed)
	if err != nil {
		return "", a.secretMissing("authenticator secret", err)
	}
	defer clear(seed)

	now := a.clock()
	raw, shapeOK := parseRecoveryCode(code)
	if !shapeOK {
		raw = make([]byte, recoveryBytes) // still run the unwrap: same work either way
	}
	priv, keyErr := d.unwrapWithRecovery(raw, wrapSecret)
	clear(raw)
	step, otpOK := matchStep(string(seed), otp, now, c.LastStep)
	if !shapeOK || keyErr != nil || !otpOK {
		rem := max(0, MaxRecoveryFailures-c.RecoveryFailures)
		a.log.Warn("sca: recovery failed", "device_binding_id", d.BindingID, "remaining_attempts", rem)
		return "", &RecoveryError{Remaining: rem}
	}

	newRaw, newCode, err := a.newRecoveryCode()
	if err != nil {
		return "", err
	}
	defer clear(newRaw)
	salt, err := a.random(16)
	if err != nil {
		return "", err
	}
	nd := *d
	nd.KDF, nd.Salt = a.kdf, salt
	if err := nd.wrap(a.rand, priv, newPIN, newRaw, wrapSecret); err != nil {
		return "", err
	}
	macKey, err := a.store.Get(nameMACKey)
	if err != nil && !errors.Is(err, keystore.ErrNotFound) {
		return "", fmt.Errorf("sca: read state key: %w", err)
	}
	if err != nil {
		if macKey, err = a.random(32); err != nil {
			return "", err
		}
		if err := a.store.Set(nameMACKey, macKey); err != nil {
			return "", fmt.Errorf("sca: store state key: %w", err)
		}
	}
	defer clear(macKey)
	// Device file first (atomic: new PIN and new recovery code together), then the counters.
	if err := a.saveDevice(&nd); err != nil {
		return "", fmt.Errorf("sca: store re-wrapped device key: %w", err)
	}
	fresh := counters{Seq: c.Seq + 1, LastStep: step, BindingID: d.BindingID}
	if err := a.writeCounters(macKey, fresh); err != nil {
		return "", err
	}
	a.log.Warn("sca: recovered; new PIN and recovery code set", "device_binding_id", d.BindingID, "was_tampered", tampered, "at", now.UTC().Format(time.RFC3339))
	return newCode, nil
}
