package sca

import (
	"bytes"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/mdp/qrterminal/v3"
	"github.com/payterm/payterm/keystore"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Enrolment is a started, not yet confirmed enrolment: the PIN is chosen and a TOTP secret
// generated; nothing is stored until ConfirmEnrolment sees one valid code. It holds secrets
// and prints as [REDACTED].
type Enrolment struct {
	pin     PIN
	key     *otp.Key
	started time.Time
}

// URI is the otpauth:// URI (contains the secret) for authenticator apps.
func (e *Enrolment) URI() string { return e.key.URL() }

// Secret is the base32 secret for manual entry.
func (e *Enrolment) Secret() string { return e.key.Secret() }

// QR renders the otpauth URI as a terminal QR code (half-block characters, quiet zone).
func (e *Enrolment) QR() string {
	var b bytes.Buffer
	qrterminal.GenerateHalfBlock(e.key.URL(), qrterminal.M, &b)
	return b.String()
}

func (e *Enrolment) String() string             { return "Enrolment" + redacted }
func (e *Enrolment) GoString() string           { return e.String() }
func (e *Enrolment) LogValue() slog.Value       { return slog.StringValue(e.String()) }
func (e *Enrolment) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(e.String())) }

// ErrAlreadyEnrolled: an enrolment (or what is left of one) exists; use Recover, or Reset.
var ErrAlreadyEnrolled = errors.New("sca: already enrolled; recover with your recovery code, or reset (which unbinds this device from your bank consents)")

// ErrEnrolmentCode: the confirmation code did not match; the enrolment stays pending.
var ErrEnrolmentCode = errors.New("sca: that code does not match the authenticator app; check the app's clock and try the next code")

// BeginEnrolment checks the PIN policy and generates the TOTP secret. Show URI/QR/Secret,
// then call ConfirmEnrolment with a code from the app.
func (a *Authenticator) BeginEnrolment(pin PIN) (*Enrolment, error) {
	if err := CheckPINPolicy(pin); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.refuseIfEnrolled(); err != nil {
		return nil, err
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: a.issuer, AccountName: a.account, Period: totpPeriod, SecretSize: totpSecretSize,
		Digits: totpDigits, Algorithm: otp.AlgorithmSHA1, Rand: a.rand,
	})
	if err != nil {
		return nil, fmt.Errorf("sca: generate TOTP secret: %w", err)
	}
	e := &Enrolment{pin: pin, key: key, started: a.clock()}
	a.pending = e
	return e, nil
}

func (a *Authenticator) refuseIfEnrolled() error {
	// A device file that exists, damaged or not, is an enrolment; one that could not be read
	// refuses too, but with the reason (a wrong mode or a disk error is fixed differently).
	switch _, err := a.loadDevice(); {
	case err == nil, errors.Is(err, ErrTampered):
		return ErrAlreadyEnrolled
	case !errors.Is(err, ErrNotEnrolled):
		return err
	}
	exists, err := a.stateExists()
	if err != nil {
		return err
	}
	if exists {
		return ErrAlreadyEnrolled
	}
	return nil
}

// ConfirmEnrolment activates the TOTP secret after one valid code, creates the device key
// and returns the recovery code, which is shown once and never stored in clear.
func (a *Authenticator) ConfirmEnrolment(e *Enrolment, code OTP) (RecoveryCode, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if e == nil || a.pending != e {
		return "", errors.New("sca: no such enrolment in progress; start again")
	}
	now := a.clock()
	if now.Sub(e.started) > a.enrolTTL || now.Before(e.started) {
		a.pending = nil
		return "", errors.New("sca: the enrolment took too long; start again")
	}
	unlock, err := a.lockDataDir()
	if err != nil {
		return "", err
	}
	defer unlock()
	if err := a.refuseIfEnrolled(); err != nil {
		return "", err
	}
	if !checkOTPFormat(code) {
		return "", ErrEnrolmentCode
	}
	step, ok := matchStep(e.key.Secret(), code, now, 0)
	if !ok {
		return "", ErrEnrolmentCode
	}
	rc, err := a.writeEnrolment(e, step, now)
	if err != nil {
		return "", err
	}
	a.pending = nil
	return rc, nil
}

func (a *Authenticator) writeEnrolment(e *Enrolment, step uint64, now time.Time) (RecoveryCode, error) {
	priv, bindingID, jwk, err := newDeviceKey(a.rand)
	if err != nil {
		return "", err
	}
	wrapSecret, err := a.random(wrapSecretBytes)
	if err != nil {
		return "", err
	}
	defer clear(wrapSecret)
	macKey, err := a.random(32)
	if err != nil {
		return "", err
	}
	defer clear(macKey)
	recovery, rc, err := a.newRecoveryCode()
	if err != nil {
		return "", err
	}
	defer clear(recovery)
	salt, err := a.random(16)
	if err != nil {
		return "", err
	}
	d := &deviceFile{Version: deviceFileVersion, KDF: a.kdf, Salt: salt, PublicJWK: jwk,
		BindingID: bindingID, BoundAt: now.UTC().Truncate(time.Second)}
	if err := d.wrap(a.rand, priv, e.pin, recovery, wrapSecret); err != nil {
		return "", err
	}
	// Secrets first, the device file last: the wallet counts as enrolled only once it exists.
	for _, kv := range []struct {
		name string
		v    []byte
	}{{nameWrapSecret, wrapSecret}, {nameTOTPSeed, []byte(e.key.Secret())}, {nameMACKey, macKey}} {
		if err := a.store.Set(kv.name, kv.v); err != nil {
			return "", fmt.Errorf("sca: store enrolment secret: %w", err)
		}
	}
	if err := a.writeCounters(macKey, counters{Seq: 1, LastStep: step, BindingID: bindingID}); err != nil {
		return "", err
	}
	if err := a.saveDevice(d); err != nil {
		return "", fmt.Errorf("sca: store device key: %w", err)
	}
	a.log.Info("sca: enrolment complete", "device_binding_id", bindingID, "store", a.store.Kind().String())
	return rc, nil
}

func (a *Authenticator) random(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(a.rand, b); err != nil {
		return nil, fmt.Errorf("sca: randomness: %w", err)
	}
	return b, nil
}

// Recovery codes: 160 random bits, base32 in eight groups of four for writing down.
const recoveryBytes = 20

var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func (a *Authenticator) newRecoveryCode() ([]byte, RecoveryCode, error) {
	raw, err := a.random(recoveryBytes)
	if err != nil {
		return nil, "", err
	}
	s := recoveryEncoding.EncodeToString(raw)
	var groups []string
	for i := 0; i < len(s); i += 4 {
		groups = append(groups, s[i:min(len(s), i+4)])
	}
	return raw, RecoveryCode(strings.Join(groups, "-")), nil
}

// parseRecoveryCode accepts the code with or without dashes/spaces, any case.
func parseRecoveryCode(r RecoveryCode) ([]byte, bool) {
	s := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(string(r)))
	if len(s) != recoveryEncoding.EncodedLen(recoveryBytes) {
		return nil, false
	}
	raw, err := recoveryEncoding.DecodeString(s)
	if err != nil || len(raw) != recoveryBytes {
		return nil, false
	}
	return raw, true
}

// Reset deletes the enrolment: device key, TOTP secret, counters. It needs no secret because
// it grants nothing: the new device key gets a new binding id, and the wallet must treat
// consents bound to the old id as unusable and send the user through the bank's consent flow
// again (the bank performs its own SCA there). This is the path of last resort.
func (a *Authenticator) Reset() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pending = nil
	var errs []error
	for _, n := range []string{nameWrapSecret, nameTOTPSeed, nameMACKey, nameState} {
		if err := a.store.Delete(n); err != nil && !errors.Is(err, keystore.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	for _, p := range []string{a.devicePath(), a.statePath()} {
		if err := removeIfExists(p); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sca: reset: %w", err)
	}
	a.log.Warn("sca: enrolment reset; the device binding is gone")
	return nil
}
