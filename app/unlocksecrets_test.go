package app

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uitest"
)

// onboardedWithPassphrase is an onboarded wallet (one payee) whose secrets file has the test
// passphrase, closed; it returns the config, the clock and what onboarding typed or showed.
func onboardedWithPassphrase(t *testing.T) (config.Config, *scaClock, ui.Consent, journeySecrets) {
	t.Helper()
	clock := newSCAClock()
	cfg := testConfig(t) // file_store_passphrase = true
	a := openApp(t, cfg, clock)
	c, js := onboard(t, a.UIWallet(), clock, twoPayees()[:1])
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if has, err := keystore.FileHasPassphrase(cfg.ResolvedDataDir()); err != nil || !has {
		t.Fatalf("the secrets file has no passphrase: %v", err)
	}
	return cfg, clock, c, js
}

// onScreenOptions are the options RunWallet gives Open: an existing file's passphrase comes from
// the Unlock screen. The terminal must never be asked for it: Passphrase fails the test.
func onScreenOptions(t *testing.T, clock *scaClock) Options {
	opts := testOptions(clock)
	opts.PassphraseOnScreen = true
	opts.Passphrase = func(choose bool) ([]byte, error) {
		t.Errorf("the terminal was asked for a passphrase (choose %v) with the Unlock screen up", choose)
		return nil, errors.New("no terminal in this test")
	}
	opts.PassphraseRefused = func(int) { t.Error("a refusal was said on the terminal with the Unlock screen up") }
	return opts
}

// secretWanted reads a secret in the background, as a payment or the consent sync would: the
// channel gets its error once the read returned.
func secretWanted(a *App) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := a.store.Get("anything")
		done <- err
	}()
	return done
}

func stillWaiting(t *testing.T, done <-chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("%s: a secret was read before the right passphrase (%v)", what, err)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestFirstFrameDoesNotWaitForThePassphrase: with a secrets file that has a passphrase and the
// Unlock screen to type it on, Open returns and Home's overview is read while the key
// derivation cannot even start (the machine binding it needs is held): nothing is asked on
// the terminal, Home's figures (the consent) come from the ledger, and it says the secrets are
// unlocking. The UI's options carry the Unlock screen's hand-over.
func TestFirstFrameDoesNotWaitForThePassphrase(t *testing.T) {
	cfg, clock, _, _ := onboardedWithPassphrase(t)
	m := newGatedMachine("app-test-machine")
	opts := onScreenOptions(t, clock)
	opts.MachineSecret = m.get
	a, err := Open(t.Context(), cfg, opts)
	if err != nil {
		m.release()
		t.Fatal(err)
	}
	defer a.Close()
	defer m.release()
	ov, err := a.UIWallet().Overview(t.Context())
	if err != nil || !ov.Onboarded || ov.Active == nil || ov.SecretStore != secretsUnlocking {
		t.Fatalf("overview before the passphrase: %+v, %v", ov, err)
	}
	if !a.WaitsForPassphrase() || a.screenOptions(t.Context()).UnlockSecrets == nil {
		t.Fatal("the UI would not show the Unlock screen")
	}
	if uiOptions(t.Context(), cfg).UnlockSecrets != nil {
		t.Fatal("the plain options ask for a passphrase")
	}
}

// TestWithoutTheScreenThePassphraseIsAskedFirst: the CLI's Open (no Unlock screen) still asks
// on the terminal before it returns, and a new passphrase is still chosen there even with the
// screen: neither waits for the UI.
func TestWithoutTheScreenThePassphraseIsAskedFirst(t *testing.T) {
	cfg, clock, _, _ := onboardedWithPassphrase(t)
	asked := 0
	opts := testOptions(clock)
	opts.Passphrase = func(bool) ([]byte, error) { asked++; return []byte(testPassphrase), nil }
	a, err := Open(t.Context(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, later := a.store.(*laterStore); later || asked != 1 || a.WaitsForPassphrase() {
		t.Fatalf("CLI open: background %v, asked %d times", later, asked)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	fresh := testConfig(t) // no file yet: a passphrase is chosen, on the terminal
	chose := false
	opts = testOptions(newSCAClock())
	opts.PassphraseOnScreen = true
	opts.Passphrase = func(choose bool) ([]byte, error) { chose = choose; return []byte(testPassphrase), nil }
	b, err := Open(t.Context(), fresh, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, later := b.store.(*laterStore); later || !chose || b.WaitsForPassphrase() {
		t.Fatalf("first run: background %v, chosen on the terminal %v", later, chose)
	}
}

// TestUnlockWrongThenRightPassphrase: a wrong passphrase typed on the Unlock screen is refused
// with the tries left and reads no secret; the right one opens the store (what waited for a
// secret goes on) and the wallet pays. Each passphrase handed over is wiped once used.
func TestUnlockWrongThenRightPassphrase(t *testing.T) {
	cfg, clock, consent, js := onboardedWithPassphrase(t)
	a, err := Open(t.Context(), cfg, onScreenOptions(t, clock))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	w := a.UIWallet()
	if _, err := w.Overview(t.Context()); err != nil {
		t.Fatal(err)
	}
	read := secretWanted(a)
	stillWaiting(t, read, "before any passphrase")

	wrong := []byte("not the passphrase")
	err = a.UnlockSecrets(t.Context(), wrong)
	var refused *ui.PassphraseRefused
	if !errors.As(err, &refused) || refused.TriesLeft != 2 || err.Error() != passphraseRefused(2) {
		t.Fatalf("a wrong passphrase: %v", err)
	}
	if !bytes.Equal(wrong, make([]byte, len(wrong))) {
		t.Fatal("the wrong passphrase was not wiped")
	}
	stillWaiting(t, read, "after a wrong passphrase")
	if ov, err := w.Overview(t.Context()); err != nil || ov.SecretStore != secretsUnlocking {
		t.Fatalf("Home after a wrong passphrase: %q, %v", ov.SecretStore, err)
	}

	right := []byte(testPassphrase)
	if err := a.UnlockSecrets(t.Context(), right); err != nil {
		t.Fatalf("the right passphrase: %v", err)
	}
	if !bytes.Equal(right, make([]byte, len(right))) {
		t.Fatal("the right passphrase was not wiped")
	}
	select {
	case err := <-read:
		if !errors.Is(err, keystore.ErrNotFound) {
			t.Fatalf("the secret read once the store opened: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("what waited for a secret still waits after the right passphrase")
	}
	if ov, err := w.Overview(t.Context()); err != nil || !strings.HasPrefix(ov.SecretStore, "encrypted file (") {
		t.Fatalf("Home once unlocked: %q, %v", ov.SecretStore, err)
	}
	if err := a.WaitStartup(t.Context()); err != nil {
		t.Fatalf("the start-up sync after the unlock: %v", err)
	}
	last := finalEvent(t, pay(t, w, consent.ID, consent.Creditors[0].ID, "12.50", clock.nextCode(t, js.totpSecret)))
	if last.Err != nil || last.Receipt == nil {
		t.Fatalf("payment after the unlock: %+v", last)
	}
	// A late hand-over (a second enter) is answered with what the open came to.
	if err := a.UnlockSecrets(t.Context(), []byte("anything")); err != nil {
		t.Fatalf("a hand-over after the open: %v", err)
	}
}

// TestThreeWrongPassphrasesOnScreen: the third wrong passphrase ends the open with the same
// Problem as the terminal's third (Open's foreground path), Home's overview is that Problem, and
// what waited for a secret fails instead of waiting forever.
func TestThreeWrongPassphrasesOnScreen(t *testing.T) {
	cfg, clock, _, _ := onboardedWithPassphrase(t)
	a, err := Open(t.Context(), cfg, onScreenOptions(t, clock))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	read := secretWanted(a)
	for i, left := range []int{2, 1} {
		var refused *ui.PassphraseRefused
		if err := a.UnlockSecrets(t.Context(), fmt.Appendf(nil, "wrong passphrase %d", i)); !errors.As(err, &refused) || refused.TriesLeft != left {
			t.Fatalf("wrong passphrase %d: %v", i+1, err)
		}
	}
	err = a.UnlockSecrets(t.Context(), []byte("wrong passphrase 3"))
	var p *ui.Problem
	if !errors.As(err, &p) || !strings.Contains(p.What, "not right 3 times") || !errors.Is(err, keystore.ErrWrongPassphrase) {
		t.Fatalf("the third wrong passphrase: %v", err)
	}
	if _, err := a.UIWallet().Overview(t.Context()); !errors.As(err, &p) || !strings.Contains(p.What, "not right 3 times") {
		t.Fatalf("Home after the third wrong passphrase: %v", err)
	}
	select {
	case err := <-read:
		if !errors.Is(err, keystore.ErrWrongPassphrase) {
			t.Fatalf("a secret wanted after the third wrong passphrase: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a secret waits forever after the third wrong passphrase")
	}
}

// TestCloseWhileTheUnlockScreenWaits: quitting at the Unlock screen, with the start-up sync
// already waiting for a secret, closes at once: nobody will type the passphrase.
func TestCloseWhileTheUnlockScreenWaits(t *testing.T) {
	cfg, clock, _, _ := onboardedWithPassphrase(t)
	a, err := Open(t.Context(), cfg, onScreenOptions(t, clock))
	if err != nil {
		t.Fatal(err)
	}
	a.startWork.release() // the first frame is out: the keeper's sync wants the tokens
	read := secretWanted(a)
	stillWaiting(t, read, "at the Unlock screen")
	closed := make(chan error, 1)
	go func() { closed <- a.Close() }()
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("Close waits for a passphrase nobody will type")
	}
	if err := <-read; err == nil {
		t.Fatal("a secret was read without the passphrase")
	}
	if err := a.UnlockSecrets(t.Context(), []byte(testPassphrase)); err == nil {
		t.Fatal("a passphrase after Close opened the store")
	}
}

// TestUnlockScreenJourneyOnRealWallet runs the production UI over the real App as RunWallet
// does (screenOptions): the Unlock screen is the first frame, a wrong passphrase comes back
// with "2 tries left", the right one shows Home, and a payment settles. Then the grep: the
// passphrases typed appear nowhere the wallet wrote (data dir, support bundle, inspector,
// the screens drawn).
func TestUnlockScreenJourneyOnRealWallet(t *testing.T) {
	cfg, clock, consent, js := onboardedWithPassphrase(t)
	a, err := Open(t.Context(), cfg, onScreenOptions(t, clock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() }) // after the UI quit (cleanups run last first)
	const wrong = "a wrong passphrase typed"
	app := uitest.Start(t, a.UIWallet(), uitest.WithOptions(a.screenOptions(t.Context())), uitest.WithTimeout(30*time.Second),
		uitest.WithSize(110, 45), uitest.WithEveryFrame())
	app.WaitFor("Passphrase")
	app.Type(wrong)
	app.Press("enter")
	app.WaitFor("That passphrase does not open payterm's secrets file. 2 tries left.")
	app.Type(testPassphrase)
	app.Press("enter")
	app.WaitFor("Recent payments")
	app.WaitFor("encrypted file (")
	payee := consent.Creditors[0]
	app.Press("p")
	app.WaitFor("Purpose")
	app.WaitFor(payee.Name)
	app.Press("tab")
	app.Type("7.25")
	app.Press("tab")
	app.Type("unlock journey")
	app.Press("tab")
	app.Type("tof")
	app.WaitFor("TOF  Transfer of funds")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.WaitFor("Authorise 7.25 AED")
	app.Type(testPIN)
	app.Press("tab")
	app.Type(clock.nextCode(t, js.totpSecret))
	app.Press("enter")
	app.WaitFor("Payment Settled")

	path, err := a.UIWallet().ExportSupportBundle(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	insp, err := a.UIWallet().Inspect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	frames := strings.Join(app.Frames(), "\n")
	_ = app.FinalView()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	secrets := []string{testPassphrase, wrong}
	for _, s := range secrets {
		if strings.Contains(frames, s) || strings.Contains(fmt.Sprintf("%+v", insp), s) {
			t.Errorf("a passphrase (%d bytes) was drawn or is in the inspector", len(s))
		}
	}
	if bundle, err := os.ReadFile(path); err != nil || bytes.Contains(bundle, []byte(testPassphrase)) || bytes.Contains(bundle, []byte(wrong)) {
		t.Fatalf("support bundle: %v, or it holds a passphrase", err)
	}
	assertNotInFiles(t, cfg.ResolvedDataDir(), secrets, nil)
}
