package app

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/payterm/payterm/keystore"
)

// An OP payer's tokens (access and refresh per bank approval, provider/op) are kept like
// SpareBank 1's session: in the keystore (OS keyring, or the encrypted secrets file), one entry
// per bank, never in a plain file, the ledger or a log. They let a payment approved at OP be
// submitted after a restart (OP's page does not open again for it), and live as long as OP's
// refresh token (45 days). Ending the link, or payterm reset, deletes the entry.

// opTokenKeeper is opprov.TokenKeeper over the app's keystore, read when used: the keystore
// opens after the banks.
type opTokenKeeper struct {
	a    *App
	name string
}

// opTokensName is a bank's keystore entry: a digest of its id (keystore names are restricted
// to [a-z0-9._-]; a bank id is the user's).
func opTokensName(bankID string) string {
	sum := sha256.Sum256([]byte(bankID))
	return "op.tokens." + hex.EncodeToString(sum[:16])
}

func (k opTokenKeeper) Keep(tokens []byte) error {
	if k.a.store == nil {
		return errors.New("the secret store is not open")
	}
	if err := k.a.store.Set(k.name, tokens); err != nil {
		return fmt.Errorf("keep the payer's OP tokens: %w", err)
	}
	return nil
}

func (k opTokenKeeper) Forget() error {
	if k.a.store == nil {
		return errors.New("the secret store is not open")
	}
	if err := k.a.store.Delete(k.name); err != nil && !errors.Is(err, keystore.ErrNotFound) {
		return fmt.Errorf("forget the payer's OP tokens: %w", err)
	}
	return nil
}

// restoreOPTokens puts the kept tokens back into their OP banks once the keystore is open. An
// unreadable entry is deleted: the payer then approves at OP again.
func (a *App) restoreOPTokens() error {
	for _, bc := range a.banks {
		if bc.op == nil || bc.op.prov == nil {
			continue
		}
		name := opTokensName(bc.cfg.ID)
		kept, err := a.store.Get(name)
		switch {
		case errors.Is(err, keystore.ErrNotFound):
			continue
		case err != nil:
			return fmt.Errorf("bank %s: read the payer's OP tokens from the secret store: %w", bc.cfg.ID, err)
		}
		if err := bc.op.prov.RestoreTokens(kept); err != nil {
			if derr := a.store.Delete(name); derr != nil && !errors.Is(derr, keystore.ErrNotFound) {
				return fmt.Errorf("bank %s: drop its unreadable OP tokens: %w", bc.cfg.ID, derr)
			}
		}
	}
	return nil
}

// forgetOPTokens deletes every OP bank's kept tokens (payterm reset). Ending the links does so
// already; this also covers a link whose end could not forget them.
func (a *App) forgetOPTokens() error {
	for _, bc := range a.banks {
		if bc.op == nil {
			continue
		}
		if err := (opTokenKeeper{a: a, name: opTokensName(bc.cfg.ID)}).Forget(); err != nil {
			return fmt.Errorf("bank %s: %w", bc.cfg.ID, err)
		}
	}
	return nil
}
