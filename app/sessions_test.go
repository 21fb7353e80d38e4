package app

import (
	"context"
	"testing"
	"time"

	"github.com/payterm/payterm/config"
	xs2aprov "github.com/payterm/payterm/provider/xs2a"
	"github.com/payterm/payterm/xs2a"
)

// sb1NoPassphraseConfig is sb1Config with a secrets file that has no passphrase: its open asks
// nothing, so it happens in the background after the first frame.
func sb1NoPassphraseConfig(t *testing.T) config.Config {
	t.Helper()
	cfg := sb1Config(t)
	cfg.Security.FileStorePassphrase = false
	return cfg
}

// TestSpareBank1StartDoesNotWaitForTheStore: with a SpareBank 1 bank in the config and a login
// session kept in the secret store, Open returns while the store cannot open yet (its machine
// secret is held back), so the first frame does not wait for the key derivation. The kept
// session is not lost for it: a consent sync asked before the store opened waits for it and
// finds the bank logged in, a payment would not ask for a login, and the kept entry is unchanged.
func TestSpareBank1StartDoesNotWaitForTheStore(t *testing.T) {
	ctx := context.Background()
	cfg := sb1NoPassphraseConfig(t)
	clock := newSCAClock()
	first := openApp(t, cfg, clock)
	if _, later := first.store.(*laterStore); !later {
		t.Fatal("the test needs a store that opens in the background")
	}
	kept := xs2aprov.Session{PSUID: "01017012345", ID: xs2a.Secret("tpp-session-7f3a"), Opened: clock.Now().UTC()}
	if err := first.store.Set(sessionName("sb1"), kept.Keystore()); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	m := newGatedMachine("app-test-machine")
	opts := testOptions(clock)
	opts.MachineSecret = m.get
	opened := make(chan *App, 1)
	go func() {
		a, err := Open(ctx, cfg, opts)
		if err != nil {
			t.Error(err)
		}
		opened <- a
	}()
	var a *App
	select {
	case a = <-opened:
	case <-time.After(60 * time.Second):
		m.release()
		t.Fatal("Open waited for the secret store (a SpareBank 1 bank's kept session was read at start)")
	}
	if a == nil {
		m.release()
		return
	}
	defer a.Close()
	if open, _ := a.secretsOpen(); open {
		t.Fatal("the store opened while its machine secret was held back")
	}
	prov := a.banks[1].bg.prov
	synced := make(chan string, 1)
	go func() {
		st, err := prov.SyncGrant(ctx, "link")
		if err != nil {
			t.Error(err)
		}
		synced <- st.Status
	}()
	m.release()
	select {
	case status := <-synced:
		if status != "Authorized" {
			t.Fatalf("a sync before the store opened found the link %q: the kept session was taken for none", status)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the sync did not answer once the store opened")
	}
	if prov.LoginNeeded() {
		t.Fatal("the kept session was not restored")
	}
	if p, s := keptSession(t, a); p != kept.PSUID || s != kept.ID.Reveal() {
		t.Fatal("the kept session changed without a login")
	}
}

// TestSpareBank1UnreadableKeptSessionIsDropped: a kept entry that does not parse is deleted
// when the store opens in the background, and the bank asks for a login.
func TestSpareBank1UnreadableKeptSessionIsDropped(t *testing.T) {
	cfg := sb1NoPassphraseConfig(t)
	clock := newSCAClock()
	first := openApp(t, cfg, clock)
	if err := first.store.Set(sessionName("sb1"), []byte("{not a session")); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	a := openApp(t, cfg, clock)
	defer a.Close()
	if !a.banks[1].bg.prov.LoginNeeded() {
		t.Fatal("an unreadable kept session counted as a login")
	}
	if _, err := a.store.Get(sessionName("sb1")); err == nil {
		t.Fatal("the unreadable entry is still kept")
	}
}
