package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/ui"
)

// The idle lock asks for the PIN alone. sca.VerifyPIN checks it the way sca checks it for a
// payment (by unwrapping the device key) and counts a wrong PIN in sca's persisted failure
// counter, so someone at an idle-locked wallet gets the same five tries, across restarts, as at
// the payment screen, and then payments are blocked until recovery.
//
// Earlier versions kept a verifier of their own here (unlock.json, keyed by the keystore entry
// app.unlock-key) and counted wrong tries per process only: a second PIN check beside sca's.
// Open deletes both leftovers.
const (
	legacyUnlockFile    = "unlock.json"
	legacyUnlockKeyName = "app.unlock-key"
)

// removeLegacyUnlockVerifier deletes the old idle-lock verifier and its key, if present.
func removeLegacyUnlockVerifier(dataDir string, store keystore.Store) error {
	if err := store.Delete(legacyUnlockKeyName); err != nil && !errors.Is(err, keystore.ErrNotFound) {
		return fmt.Errorf("remove the old idle-lock key from the secret store: %w", err)
	}
	if err := os.Remove(filepath.Join(dataDir, legacyUnlockFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove the old idle-lock verifier: %w", err)
	}
	return nil
}

// unblockHint is the way out of a block when the idle lock is up: the lock screen cannot reach
// Home, a restart opens on Home, and u there starts the recovery.
const unblockHint = "Quit (q), start payterm again and press u on Home to unblock with your recovery code and your authenticator app."

// Unlock checks the PIN at the idle lock with sca.VerifyPIN: a wrong PIN is *ui.SCAError with
// the attempts left; the wrong PIN that blocks payments, and any later try, is a *ui.Problem
// naming the recovery path (the cause stays reachable: errors.Is(err, sca.ErrBlocked)).
func (w uiWallet) Unlock(ctx context.Context, pin ui.Secret) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := w.a.auth.VerifyPIN(sca.PIN(pin.Reveal()))
	var auth *sca.AuthError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &auth) && auth.Remaining > 0:
		return &ui.SCAError{AttemptsLeft: auth.Remaining}
	case errors.Is(err, sca.ErrTampered):
		return &ui.Problem{What: "The wallet's authentication records failed their integrity check, so payments are blocked.", Next: unblockHint, Err: err}
	case errors.Is(err, sca.ErrBlocked):
		return &ui.Problem{What: "Payments are blocked after too many wrong PINs or codes.", Next: unblockHint, Err: err}
	case errors.Is(err, sca.ErrInvalidInput):
		return &ui.Problem{What: "The PIN is 6 to 12 digits.", Next: "Type it again.", Err: err}
	}
	return uiError("Checking the PIN", err)
}
