package app

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/wallet"
)

// TestResetForgetsBankSessions: `payterm reset` deletes a SpareBank 1 login session kept in the
// secret store (the OS keyring, go-keyring's in-memory fake here), whatever became of its link:
// ended before a crash stopped the session's deletion, or at a bank since dropped from the
// config. Afterwards neither the keyring nor a file of the data dir holds it, the reset says it
// deleted it, and the next payment at SpareBank 1 asks for a login.
func TestResetForgetsBankSessions(t *testing.T) {
	const psuID, sessionID = "PSU-SEED-4711", "tsid-SEED-9f3c2a"
	seeded := []byte(`{"psuId":"` + psuID + `","tppSessionId":"` + sessionID + `","opened":"2026-12-01T10:00:00Z"}`)
	for _, tc := range []struct {
		name string
		// before runs on the open wallet holding the session; resetCfg is the config the reset
		// runs with.
		before   func(t *testing.T, a *App)
		resetCfg func(cfg config.Config) config.Config
	}{
		{"link ended before a crash", func(t *testing.T, a *App) {
			// RevokeConsent records the end of the link, then forgets the session: a crash
			// in between leaves the link Revoked and the session kept.
			link := sb1Link(t, a.UIWallet())
			if err := a.ledger.SetConsentStatus(context.Background(), link.ID, wallet.ConsentRevoked, "user", time.Now()); err != nil {
				t.Fatal(err)
			}
		}, func(cfg config.Config) config.Config { return cfg }},
		{"bank dropped from the config", func(*testing.T, *App) {}, func(cfg config.Config) config.Config {
			cfg.Banks = nil
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			return cfg
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keyring.MockInit()
			clock := newSCAClock()
			cfg := sb1Config(t)
			cfg.Security.SecretStore = config.StoreKeyring
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			a := openApp(t, cfg, clock)
			onboard(t, a.UIWallet(), clock, twoPayees()[:1])
			if err := a.store.Set(sessionName("sb1"), seeded); err != nil {
				t.Fatal(err)
			}
			tc.before(t, a)
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			// The seeded session is what a login leaves: the next start restores it.
			a = openApp(t, cfg, clock)
			if p, s := keptSession(t, a); p != psuID || s != sessionID || a.banks[1].bg.prov.LoginNeeded() {
				t.Fatal("the seeded session is not kept and restored")
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}

			var out bytes.Buffer
			if err := Reset(context.Background(), tc.resetCfg(cfg), testOptions(clock), ResetConfirmation{Yes: true}, &out); err != nil {
				t.Fatalf("reset: %v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), "Deleted 1 bank login session(s)") || !strings.Contains(out.String(), "bank login session (SpareBank 1)") {
				t.Errorf("the reset does not say it deletes the bank's login session:\n%s", out.String())
			}
			if strings.Contains(out.String(), psuID) || strings.Contains(out.String(), sessionID) {
				t.Errorf("the reset output shows the session:\n%s", out.String())
			}

			b := openApp(t, cfg, clock)
			defer b.Close()
			if _, err := b.store.Get(sessionName("sb1")); !errors.Is(err, keystore.ErrNotFound) {
				t.Fatalf("the keyring still holds the session after the reset: %v", err)
			}
			if !b.banks[1].bg.prov.LoginNeeded() {
				t.Fatal("SpareBank 1 holds a session after the reset")
			}
			assertNotInFiles(t, b.DataDir(), []string{psuID, sessionID}, nil)
		})
	}
}
