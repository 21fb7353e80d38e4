package app

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/ui"
)

// plantLegacyVerifier leaves what an older payterm wrote for its own idle-lock check: the
// unlock.json verifier in the data dir and its key in the (file) keystore.
func plantLegacyVerifier(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	opts := testOptions(newSCAClock())
	store, err := keystore.Open(keystore.Options{DataDir: dir, Mode: keystore.ModeFile, FileKDF: opts.KDF,
		AllowWeakKDF: true, MachineSecret: opts.MachineSecret})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Set(legacyUnlockKeyName, make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	rec := `{"kdf":{"t":1,"m":64,"p":1},"salt":"AAAAAAAAAAAAAAAAAAAAAA==","mac":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`
	if err := os.WriteFile(filepath.Join(dir, legacyUnlockFile), []byte(rec), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestIdleLockCountsInSCA: the idle lock's PIN check is sca's. Open removes an older version's
// own verifier; a wrong PIN at the lock counts in the persisted counter (across a restart)
// together with failed payments; the right PIN does not wipe a failed payment's wrong code; five
// failures in all block payments, the lock then names the recovery path, and recovery lifts it.
func TestIdleLockCountsInSCA(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	cfg := testConfig(t)
	plantLegacyVerifier(t, cfg.ResolvedDataDir())
	a := openApp(t, cfg, clock)
	if _, err := os.Stat(filepath.Join(a.DataDir(), legacyUnlockFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open left the old idle-lock verifier: %v", err)
	}
	if _, err := a.store.Get(legacyUnlockKeyName); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("Open left the old idle-lock key: %v", err)
	}
	w := a.UIWallet()
	c, js := onboard(t, w, clock, twoPayees()[:1])
	const wrongPIN = "582913"
	unlockLeft := func(w ui.Wallet, pin string, want int) {
		t.Helper()
		var se *ui.SCAError
		if err := w.Unlock(ctx, ui.NewSecret(pin)); !errors.As(err, &se) || se.AttemptsLeft != want || se.Locked {
			t.Fatalf("Unlock: %v, want a wrong-PIN error with %d left", err, want)
		}
	}
	unlockLeft(w, wrongPIN, sca.MaxFailures-1)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	a = openApp(t, cfg, clock) // a restart forgives nothing
	defer a.Close()
	w = a.UIWallet()
	unlockLeft(w, wrongPIN, sca.MaxFailures-2)
	payees, err := w.Payees(ctx, c.ID)
	if err != nil || len(payees) != 1 {
		t.Fatal(err, payees)
	}
	pp, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: c.ID, PayeeID: payees[0].ID, Amount: "5"})
	if err != nil {
		t.Fatal(err)
	}
	var se *ui.SCAError
	if last := finalEvent(t, submit(t, w, pp.ID, testPIN, "000000")); !errors.As(last.Err, &se) || se.AttemptsLeft != sca.MaxFailures-3 {
		t.Fatalf("payment with a wrong code after two wrong PINs at the lock: %+v", last)
	}
	// The right PIN forgives the wrong PINs typed at the lock, not the payment's wrong code.
	if err := w.Unlock(ctx, ui.NewSecret(testPIN)); err != nil {
		t.Fatalf("unlock with the right PIN: %v", err)
	}
	if st := a.auth.Status(); st.RemainingAttempts != sca.MaxFailures-1 {
		t.Fatalf("after the right PIN %d attempts left, want %d", st.RemainingAttempts, sca.MaxFailures-1)
	}
	for left := sca.MaxFailures - 2; left >= 1; left-- {
		unlockLeft(w, wrongPIN, left)
	}
	err = w.Unlock(ctx, ui.NewSecret(wrongPIN))
	var prob *ui.Problem
	if !errors.As(err, &prob) || !errors.Is(err, sca.ErrBlocked) || !strings.Contains(prob.What, "blocked") ||
		!strings.Contains(prob.Next, "recovery code") || !strings.Contains(prob.Next, "u on Home") {
		t.Fatalf("the fifth failure: %v, want the recovery path", err)
	}
	if err := w.Unlock(ctx, ui.NewSecret(testPIN)); !errors.As(err, &prob) || !errors.Is(err, sca.ErrBlocked) || errors.As(err, &se) {
		t.Fatalf("blocked wallet, right PIN at the lock: %v", err)
	}
	if ov, err := w.Overview(ctx); err != nil || !ov.PaymentsBlocked {
		t.Fatalf("Home must say payments are blocked: %v %+v", err, ov.PaymentsBlocked)
	}
	if last := finalEvent(t, submit(t, w, pp.ID, testPIN, clock.nextCode(t, js.totpSecret))); !errors.As(last.Err, &se) || !se.Locked {
		t.Fatalf("blocked wallet, right PIN and code at payment: %+v", last)
	}
	if err := w.Unlock(ctx, ui.NewSecret("12345")); !errors.As(err, &prob) || !errors.Is(err, sca.ErrInvalidInput) {
		t.Fatalf("malformed PIN: %v", err)
	}

	const newPIN = "864209"
	if _, err := w.Recover(ctx, ui.NewSecret(js.recovery), ui.NewSecret(clock.nextCode(t, js.totpSecret)), ui.NewSecret(newPIN)); err != nil {
		t.Fatalf("recover: %v", err)
	}
	if err := w.Unlock(ctx, ui.NewSecret(newPIN)); err != nil {
		t.Fatalf("unlock with the new PIN: %v", err)
	}
	if ov, err := w.Overview(ctx); err != nil || ov.PaymentsBlocked {
		t.Fatalf("after recovery Home must not say blocked: %v %+v", err, ov.PaymentsBlocked)
	}
	unlockLeft(w, testPIN, sca.MaxFailures-1)
}

// TestRemoveLegacyUnlockVerifier: absent leftovers are fine (every Open calls it), and a
// verifier that cannot be removed stops Open with a sentence rather than lingering silently.
func TestRemoveLegacyUnlockVerifier(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(newSCAClock())
	store, err := keystore.Open(keystore.Options{DataDir: dir, Mode: keystore.ModeFile, FileKDF: opts.KDF,
		AllowWeakKDF: true, MachineSecret: opts.MachineSecret})
	if err != nil {
		t.Fatal(err)
	}
	if err := removeLegacyUnlockVerifier(dir, store); err != nil {
		t.Fatalf("nothing to remove: %v", err)
	}
	// A directory in its place (not empty) cannot be removed with os.Remove.
	if err := os.MkdirAll(filepath.Join(dir, legacyUnlockFile, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	err = removeLegacyUnlockVerifier(dir, store)
	if err == nil || !strings.Contains(err.Error(), "old idle-lock verifier") {
		t.Fatalf("unremovable verifier: %v", err)
	}
}
