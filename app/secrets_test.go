package app

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/ui"
)

// gatedMachine is a machine binding that waits for the test: the secret store's key derivation
// (argon2id) cannot start before release, so a test sees what happens while it runs.
type gatedMachine struct {
	gate   chan struct{}
	secret string
}

func newGatedMachine(secret string) *gatedMachine {
	return &gatedMachine{gate: make(chan struct{}), secret: secret}
}

func (g *gatedMachine) release() { close(g.gate) }

func (g *gatedMachine) get() ([]byte, error) {
	<-g.gate
	return []byte(g.secret), nil
}

// noPassphraseConfig is testConfig with an encrypted file that has no passphrase: its open asks
// nothing, so it may happen in the background.
func noPassphraseConfig(t *testing.T) config.Config {
	cfg := testConfig(t)
	cfg.Security.FileStorePassphrase = false
	return cfg
}

// TestHomeDoesNotWaitForTheSecretStore: with a store whose open asks nothing, Open returns and
// Home's overview is read while the key derivation has not even started: Home says the store is
// opening. Once it is open, the screens are told to reload, Home names the store, and the
// wallet's secrets work (the PIN is set).
func TestHomeDoesNotWaitForTheSecretStore(t *testing.T) {
	ctx := context.Background()
	m := newGatedMachine("app-test-machine")
	opts := testOptions(newSCAClock())
	opts.MachineSecret = m.get
	a, err := Open(ctx, noPassphraseConfig(t), opts)
	if err != nil {
		m.release()
		t.Fatal(err)
	}
	defer a.Close()
	w := a.UIWallet()
	changes := w.Changes(ctx)
	ov, err := w.Overview(ctx)
	if err != nil || ov.SecretStore != secretsOpening || ov.Onboarded {
		m.release()
		t.Fatalf("overview while the store opens: %+v, %v", ov, err)
	}
	m.release()
	select {
	case c := <-changes:
		if c.Kind != ui.EverythingChanged {
			t.Fatalf("change %+v, want everything (Home reloads)", c)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no change reported once the store opened")
	}
	ov, err = w.Overview(ctx)
	if err != nil || !strings.HasPrefix(ov.SecretStore, "encrypted file (") {
		t.Fatalf("overview once the store is open: %q, %v", ov.SecretStore, err)
	}
	if err := w.SetPIN(ctx, ui.NewSecret(testPIN)); err != nil {
		t.Fatalf("SetPIN on the store opened in the background: %v", err)
	}
}

// TestSecretStoreFailureShownOnHome: a store that fails to open in the background (the data dir
// came from another machine) makes Home's overview an error that names the store, and a call
// that needs a secret fails with the open's error instead of waiting forever.
func TestSecretStoreFailureShownOnHome(t *testing.T) {
	ctx := context.Background()
	cfg := noPassphraseConfig(t)
	a := openApp(t, cfg, newSCAClock())
	if err := a.store.Set("a-secret", []byte("kept")); err != nil { // writes the file
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	opts := testOptions(newSCAClock())
	opts.MachineSecret = func() ([]byte, error) { return []byte("another machine"), nil }
	b, err := Open(ctx, cfg, opts)
	if err != nil {
		t.Fatalf("Open with the store in the background: %v", err)
	}
	defer b.Close()
	b.secretsOpening.Wait()
	_, err = b.UIWallet().Overview(ctx)
	var p *ui.Problem
	if !errors.As(err, &p) || !strings.Contains(p.What, "another machine") || !errors.Is(err, keystore.ErrCorrupt) {
		t.Fatalf("overview of a wallet whose store does not open: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := b.store.Get("a-secret")
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, keystore.ErrCorrupt) {
			t.Fatalf("reading a secret from the store that failed: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("reading a secret waits forever for a store that failed")
	}
}

// TestSecretStoreThatAsksOpensFirst: when opening may ask for the passphrase (it is set up, or
// the file has one although the config no longer asks for one), Open opens the store before it
// returns, as before: nothing may prompt once the screens are up.
func TestSecretStoreThatAsksOpensFirst(t *testing.T) {
	ctx := context.Background()
	withPass := testConfig(t) // file_store_passphrase = true
	a := openApp(t, withPass, newSCAClock())
	if err := a.UIWallet().SetPIN(ctx, ui.NewSecret(testPIN)); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	fileHasOne := withPass
	fileHasOne.Security.FileStorePassphrase = false
	for name, cfg := range map[string]config.Config{"passphrase set up": withPass, "file has one": fileHasOne} {
		m := newGatedMachine("app-test-machine")
		opts := testOptions(newSCAClock())
		opts.MachineSecret = m.get
		opened := make(chan *App, 1)
		go func() {
			a, err := Open(ctx, cfg, opts)
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			opened <- a
		}()
		select {
		case <-opened:
			t.Fatalf("%s: Open returned before the store could be opened", name)
		case <-time.After(300 * time.Millisecond):
		}
		m.release()
		if a := <-opened; a != nil {
			if _, bg := a.store.(*laterStore); bg {
				t.Errorf("%s: the store was opened in the background", name)
			}
			a.Close()
		}
	}
}

// TestCloseWaitsForTheSecretStore: Close does not release the data dir while the store is
// still opening (it may still write there).
func TestCloseWaitsForTheSecretStore(t *testing.T) {
	m := newGatedMachine("app-test-machine")
	opts := testOptions(newSCAClock())
	opts.MachineSecret = m.get
	a, err := Open(context.Background(), noPassphraseConfig(t), opts)
	if err != nil {
		m.release()
		t.Fatal(err)
	}
	a.store.(*laterStore).needed() // a secret is wanted (what Get does first): the open starts
	closed := make(chan error, 1)
	go func() { closed <- a.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned while the store was opening")
	case <-time.After(300 * time.Millisecond):
	}
	m.release()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not return once the store opened")
	}
}

// TestSecretStoreOpensAfterTheFirstFrame: the background open does not start with Open: it
// waits for Home's first overview (then a frame's time), and a secret wanted earlier starts it
// at once.
func TestSecretStoreOpensAfterTheFirstFrame(t *testing.T) {
	for _, trigger := range []string{"overview", "secret"} {
		t.Run(trigger, func(t *testing.T) {
			ctx := context.Background()
			started := make(chan struct{})
			var once sync.Once
			opts := testOptions(newSCAClock())
			opts.MachineSecret = func() ([]byte, error) {
				once.Do(func() { close(started) })
				return []byte("app-test-machine"), nil
			}
			t0 := time.Now()
			a, err := Open(ctx, noPassphraseConfig(t), opts)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			select {
			case <-started:
				if time.Since(t0) < startWorkAtLatest/2 { // else the machine was too slow to tell
					t.Fatal("the store's open started with Open, before any frame")
				}
			default:
			}
			switch trigger {
			case "overview":
				if _, err := a.UIWallet().Overview(ctx); err != nil {
					t.Fatal(err)
				}
			case "secret":
				go a.store.Get("anything")
			}
			select {
			case <-started:
			case <-time.After(30 * time.Second):
				t.Fatal("the store's open never started")
			}
		})
	}
}

// TestCloseBeforeTheFrameSkipsTheSecretStore: closed before Home was drawn and before any secret
// was wanted (a signal at start), payterm neither derives the key nor waits for it.
func TestCloseBeforeTheFrameSkipsTheSecretStore(t *testing.T) {
	var derived atomic.Bool
	opts := testOptions(newSCAClock())
	opts.MachineSecret = func() ([]byte, error) {
		derived.Store(true)
		return []byte("app-test-machine"), nil
	}
	opts.startWorkAtLatest = time.Hour // only Close releases the held work, however slow the run
	a, err := Open(context.Background(), noPassphraseConfig(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	ls := a.store.(*laterStore)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if derived.Load() {
		t.Error("the store's key was derived although nothing wanted it before Close")
	}
	if _, err := ls.Get("anything"); err == nil || !strings.Contains(err.Error(), "closing") {
		t.Fatalf("a secret after Close: %v", err)
	}
}
