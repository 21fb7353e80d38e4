package sca

// VerifyPIN proves the knowledge factor alone, for the wallet's idle lock: the PIN must unwrap
// the device key, exactly as in Authenticate. It is not SCA and yields no Evidence; it exists
// so that no second PIN check lives outside this package, and so that every wrong PIN typed
// anywhere counts against the same persisted, MAC'd limit as a failed payment authentication.
//
//   - Refuses at once when payments are blocked or the counters fail their integrity check.
//   - Counts the attempt as failed and persists that before the (slow) unwrap, as Authenticate
//     does, so killing the process mid-check gains no free guess.
//   - A wrong PIN returns *AuthError with the attempts left (errors.Is ErrAuthFailed, and
//     ErrBlocked at zero); after MaxFailures failures of either kind payments are blocked.
//   - A correct PIN clears only failures that were themselves wrong PINs at VerifyPIN: it
//     cannot prove anything about failures of Authenticate, which may have been wrong TOTP
//     codes, so those stay until a full SCA succeeds or Recover runs (see the package doc).
//
// A PIN of the wrong shape is ErrInvalidInput and is not counted.
func (a *Authenticator) VerifyPIN(pin PIN) error {
	if checkPINFormat(pin) != nil {
		return ErrInvalidInput
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	unlock, err := a.lockDataDir()
	if err != nil {
		return err
	}
	defer unlock()
	d, c, err := a.countAttempt(true)
	if err != nil {
		return err
	}

	wrapSecret, err := a.store.Get(nameWrapSecret)
	if err != nil {
		return a.secretMissing("device-key wrap secret", err)
	}
	defer clear(wrapSecret)
	if _, err := d.unwrapWithPIN(pin, wrapSecret); err != nil {
		return a.attemptFailed(d, c, true)
	}

	// Only the wrong PINs are forgiven; failures of full SCA attempts stay counted.
	c.Failures -= c.PINFailures
	c.PINFailures = 0
	if err := a.saveCounters(&c); err != nil {
		return err
	}
	a.log.Info("sca: PIN verified", "device_binding_id", d.BindingID, "failed_sca_attempts", c.Failures)
	return nil
}
