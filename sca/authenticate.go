package sca

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/payterm/payterm/keystore"
)

var (
	// ErrAuthFailed is the one failure every wrong PIN, wrong code or replayed code returns
	// (RTS Art. 4(3)(a): never which element was wrong). The concrete error is *AuthError.
	ErrAuthFailed = errors.New("sca: authentication failed")
	// ErrBlocked: MaxFailures consecutive failures; payments stay blocked until Recover.
	ErrBlocked = errors.New("sca: payments are blocked after too many failed authentications")
	// ErrInvalidInput: the PIN or code is not even the right shape (not counted as an attempt;
	// the shape of either factor is public knowledge).
	ErrInvalidInput = errors.New("sca: the PIN must be 6-12 digits and the code 6 digits")
	// ErrCodeUsed: the code is the one last accepted, typed again within its window. The PIN
	// is not checked and no attempt is counted (nothing was guessed); the concrete error is
	// *CodeUsedError, which errors.Is also matches to ErrAuthFailed (it is refused).
	ErrCodeUsed = errors.New("sca: this code was already used; wait for the next one")
)

// CodeUsedError is the refusal of a code already accepted (ErrCodeUsed). It says only what the
// user already knows (they typed that code a moment ago), never anything about the PIN.
type CodeUsedError struct{}

func (*CodeUsedError) Error() string { return ErrCodeUsed.Error() }

// Is makes errors.Is(err, ErrCodeUsed) and errors.Is(err, ErrAuthFailed) true.
func (*CodeUsedError) Is(target error) bool { return target == ErrCodeUsed || target == ErrAuthFailed }

// AuthError is a failed authentication. It says how many attempts remain, never which factor
// was wrong. errors.Is matches ErrAuthFailed, and ErrBlocked once Remaining is zero.
type AuthError struct {
	Remaining int
	// pinOnly marks a failed VerifyPIN: only one factor was asked for, so naming it tells
	// nothing an attacker did not already know.
	pinOnly bool
}

func (e *AuthError) Error() string {
	what := "the PIN or the code is not correct"
	if e.pinOnly {
		what = "the PIN is not correct"
	}
	if e.Remaining == 0 {
		return fmt.Sprintf("%v: %s; payments are now blocked, use your recovery code", ErrAuthFailed, what)
	}
	if e.Remaining == 1 {
		return fmt.Sprintf("%v: %s; 1 attempt left before payments are blocked", ErrAuthFailed, what)
	}
	return fmt.Sprintf("%v: %s; %d attempts left", ErrAuthFailed, what, e.Remaining)
}

// Is makes errors.Is(err, ErrAuthFailed) and, at zero remaining, errors.Is(err, ErrBlocked) true.
func (e *AuthError) Is(target error) bool {
	return target == ErrAuthFailed || (target == ErrBlocked && e.Remaining == 0)
}

// Authenticate performs SCA for one payment intent: the PIN (knowledge) unwraps the device
// key, the TOTP code (possession) must match a step within ±1 that was never used before, and
// the device key signs the dynamic-linking payload. The attempt is counted as failed and
// persisted before any factor is checked, so killing the process mid-check cannot buy free
// guesses; success resets the count.
func (a *Authenticator) Authenticate(in Intent, pin PIN, code OTP) (*Evidence, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	ev, err := a.authenticate(pin, code, func(priv *ecdsa.PrivateKey, bindingID string, at time.Time) (string, error) {
		return signLinking(priv, bindingID, in, at)
	}, slog.Any("intent", in))
	if err != nil {
		return nil, err
	}
	ev.intent = in
	return ev, nil
}

// AuthenticateChange performs the same SCA for a change of the wallet's settings (raising or
// removing a limit): the same factors, the same persisted attempt counter and block as
// payments, and a device-key signature over the change (ChangeType) in place of the payment's
// linking payload. The evidence authorises this change only (AuthorisesChange, ConsumeChange).
func (a *Authenticator) AuthenticateChange(c Change, pin PIN, code OTP) (*Evidence, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	ev, err := a.authenticate(pin, code, func(priv *ecdsa.PrivateKey, bindingID string, at time.Time) (string, error) {
		return signChange(priv, bindingID, c, at)
	}, slog.String("change", c.What))
	if err != nil {
		return nil, err
	}
	ev.change = &c
	return ev, nil
}

// authenticate is the SCA both Authenticate and AuthenticateChange perform; sign makes the
// device-key assertion over what is authorised.
func (a *Authenticator) authenticate(pin PIN, code OTP, sign func(*ecdsa.PrivateKey, string, time.Time) (string, error), what slog.Attr) (*Evidence, error) {
	if checkPINFormat(pin) != nil || !checkOTPFormat(code) {
		return nil, ErrInvalidInput
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	unlock, err := a.lockDataDir()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if a.codeJustUsed(code) {
		a.log.Info("sca: the code last accepted was typed again; refused, not counted", what)
		return nil, &CodeUsedError{}
	}
	d, c, err := a.countAttempt(false)
	if err != nil {
		return nil, err
	}

	now := a.clock()
	wrapSecret, err := a.store.Get(nameWrapSecret)
	if err != nil {
		return nil, a.secretMissing("device-key wrap secret", err)
	}
	defer clear(wrapSecret)
	seed, err := a.store.Get(nameTOTPSeed)
	if err != nil {
		return nil, a.secretMissing("authenticator secret", err)
	}
	defer clear(seed)

	// Both factors are always checked, whatever the first one says. The attempt is counted
	// above, so a PIN stretched ahead of time (Prestretch) is checked on the same terms.
	stretched := a.takeStretched(pin, d)
	if stretched == nil {
		stretched = d.KDF.Derive([]byte(pin), d.Salt)
	}
	priv, keyErr := d.unwrapStretched(stretched, wrapSecret)
	clear(stretched)
	step, codeOK := matchStep(string(seed), code, now, c.LastStep)
	if keyErr != nil || !codeOK {
		return nil, a.attemptFailed(d, c, false)
	}

	challenge := now.UTC().Truncate(time.Second)
	jws, err := sign(priv, d.BindingID, challenge)
	if err != nil {
		return nil, err
	}
	c.Failures, c.PINFailures, c.LastStep = 0, 0, step
	if err := a.saveCounters(&c); err != nil {
		return nil, err
	}
	a.log.Info("sca: authenticated", "device_binding_id", d.BindingID, what)
	return &Evidence{
		challenge: challenge, ChallengeTime: challenge, Outcome: OutcomePass,
		Factors:             []Factor{{Knowledge, FactorPIN}, {Possession, FactorOTPApp}},
		AuthenticationValue: jws, DeviceBindingID: d.BindingID, DeviceBoundAt: d.BoundAt,
	}, nil
}

// codeJustUsed reports whether code is the code of the step last accepted, still within the
// window (a second payment authenticated before the authenticator app shows a new code). It
// reads no PIN. Any doubt (no device, unreadable state, blocked) is false: the counted path
// then refuses as it always did.
func (a *Authenticator) codeJustUsed(code OTP) bool {
	d, err := a.loadDevice()
	if err != nil {
		return false
	}
	c, err := a.loadCounters(d.BindingID)
	if err != nil || c.Failures >= MaxFailures || c.LastStep == 0 {
		return false
	}
	seed, err := a.store.Get(nameTOTPSeed)
	if err != nil {
		return false
	}
	defer clear(seed)
	now := a.clock()
	if _, fresh := matchStep(string(seed), code, now, c.LastStep); fresh {
		return false // also a code of an unused step: accept it on the counted path
	}
	step, ok := matchStep(string(seed), code, now, c.LastStep-1)
	return ok && step == c.LastStep
}

// countAttempt is how Authenticate and VerifyPIN both start: it loads the binding and its
// counters, refuses when they fail their integrity check (logged) or payments are blocked,
// then counts the attempt as failed (a pinOnly one also as a PIN failure) and persists that
// before any factor is checked, so killing the process mid-check gains no free guess. Called
// with a.mu and the data-dir lock held.
func (a *Authenticator) countAttempt(pinOnly bool) (*deviceFile, counters, error) {
	d, err := a.loadDevice()
	if err != nil {
		return nil, counters{}, err
	}
	c, err := a.loadCounters(d.BindingID)
	if err != nil {
		if errors.Is(err, ErrTampered) {
			a.log.Error("sca: state integrity check failed; payments blocked", "device_binding_id", d.BindingID, "reason", err.Error())
		}
		return nil, counters{}, err
	}
	if c.Failures >= MaxFailures {
		return nil, counters{}, fmt.Errorf("%w; recover with your recovery code and the authenticator app", ErrBlocked)
	}
	c.Failures++
	if pinOnly {
		c.PINFailures++
	}
	if err := a.saveCounters(&c); err != nil {
		return nil, counters{}, err
	}
	return d, c, nil
}

// attemptFailed logs an attempt counted by countAttempt that failed its check and returns
// the *AuthError with the attempts left.
func (a *Authenticator) attemptFailed(d *deviceFile, c counters, pinOnly bool) error {
	rem := max(0, MaxFailures-c.Failures)
	msg := "sca: authentication failed"
	if pinOnly {
		msg = "sca: PIN check failed"
	}
	a.log.Warn(msg, "device_binding_id", d.BindingID, "remaining_attempts", rem)
	if rem == 0 {
		a.log.Error("sca: payments blocked after consecutive failures", "device_binding_id", d.BindingID, "failures", c.Failures)
	}
	return &AuthError{Remaining: rem, pinOnly: pinOnly}
}

func (a *Authenticator) secretMissing(what string, err error) error {
	if errors.Is(err, keystore.ErrNotFound) {
		return fmt.Errorf("sca: %s missing from the keystore: %w", what, ErrTampered)
	}
	return fmt.Errorf("sca: read %s: %w", what, err)
}
