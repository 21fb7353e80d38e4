package app

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/wallet"
)

// SpareBank 1's PSU session (provider/xs2a: psu-id and tpp-session-id, a bearer credential and
// the payer's identity number) is kept like a consent's refresh token: in the keystore (OS
// keyring, or the encrypted secrets file), one entry per bank, never in a plain file, the
// ledger or a log. The seed gives the session no lifetime, so it is kept until the bank refuses
// it (401: the wallet asks for a login again and the entry is deleted) or the payer unlinks
// the bank.

// sessionKeeper is xs2aprov.SessionKeeper over the app's keystore. The keystore opens after the
// banks (its passphrase is asked later), so it is read when used: a login can only finish
// once the app is open.
type sessionKeeper struct {
	a    *App
	name string
}

// sessionName is a bank's keystore entry: a digest of its id (keystore names are restricted
// to [a-z0-9._-]; a bank id is the user's).
func sessionName(bankID string) string {
	sum := sha256.Sum256([]byte(bankID))
	return "xs2a.session." + hex.EncodeToString(sum[:16])
}

func (k sessionKeeper) Keep(session []byte) error {
	if k.a.store == nil {
		return errors.New("the secret store is not open")
	}
	if err := k.a.store.Set(k.name, session); err != nil {
		return fmt.Errorf("keep the bank session: %w", err)
	}
	return nil
}

func (k sessionKeeper) Forget() error {
	if k.a.store == nil {
		return errors.New("the secret store is not open")
	}
	if err := k.a.store.Delete(k.name); err != nil && !errors.Is(err, keystore.ErrNotFound) {
		return fmt.Errorf("forget the bank session: %w", err)
	}
	return nil
}

// Load (xs2aprov.SessionLoader) is the kept session, nil when none is kept. With a store that
// opens in the background it waits for the open (and starts it if it is still held back).
func (k sessionKeeper) Load() ([]byte, error) {
	if k.a.store == nil {
		return nil, errors.New("the secret store is not open")
	}
	kept, err := k.a.store.Get(k.name)
	switch {
	case errors.Is(err, keystore.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read the bank's login session from the secret store: %w", err)
	}
	return kept, nil
}

// restoreSessions puts the kept sessions back into their banks' providers. Open calls it only
// when the store opened in the foreground; a store that opens in the background calls it once
// open (secrets.go), so a SpareBank 1 bank in the config does not make the start wait for the
// key derivation. Either way a provider reads its kept session itself before any use of one
// (xs2aprov.Bank.LoadKeptSession), so a payment, a sync or a login that comes first loses
// nothing. An unreadable entry is deleted: the bank then asks for a login, which replaces it.
func (a *App) restoreSessions() error {
	for _, bc := range a.banks {
		if bc.bg == nil || bc.bg.prov == nil || !bc.bg.sessions {
			continue
		}
		if err := bc.bg.prov.LoadKeptSession(); err != nil {
			return fmt.Errorf("bank %s: %w", bc.cfg.ID, err)
		}
	}
	return nil
}

// forgetSessions deletes every bank login session the secret store may keep for this wallet:
// those of the configured banks that log in (also ended in their providers), and those of the
// banks links in the ledger name — a bank since dropped from the config, or a link whose end
// was recorded before a crash stopped the session's deletion. `payterm reset` calls it, so no
// bearer session outlives a reset. It returns how many it deleted; a missing one is no error.
func (a *App) forgetSessions(links []wallet.Consent) (int, error) {
	names := map[string]bool{}
	for _, bc := range a.banks {
		if bc.bg != nil && bc.bg.sessions {
			names[sessionName(bc.cfg.ID)] = true
		}
	}
	for _, c := range links {
		if c.Kind == wallet.GrantLink {
			names[sessionName(c.Bank)] = true
		}
	}
	deleted := 0
	for name := range names {
		switch err := a.store.Delete(name); {
		case err == nil:
			deleted++
		case !errors.Is(err, keystore.ErrNotFound):
			return deleted, fmt.Errorf("forget a bank login session: %w", err)
		}
	}
	// The providers forget theirs too (after the count: ending one deletes its entry as well).
	for _, bc := range a.banks {
		if bc.bg != nil && bc.bg.sessions && bc.bg.prov != nil {
			bc.bg.prov.EndSession()
		}
	}
	return deleted, nil
}
