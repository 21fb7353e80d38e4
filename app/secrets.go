package app

import (
	"errors"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/ui"
)

// Opening the secret store costs one argon2id with the encrypted file (t=3, 64 MiB, p=4: 0.1 s
// to 0.25 s on two cores), the largest part of a start. Home needs none of it: its figures come
// from the ledger. So when the open cannot ask the user anything, Open leaves it to a goroutine
// that starts once the first frame is out (startwork.go: run beside the frame, its four threads
// slowed the frame by ~50 ms on two cores); whatever needs a secret (paying, the consent's
// tokens, the SCA's status, a call to an OP bank, which needs the payer's kept tokens back
// first: optokens.go) starts it at once and waits for it, and Home is told to reload once it is
// open.

// secretsCanWait says whether the store can open in the background: when opening cannot
// prompt (no passphrase is set up or asked for), or when the only thing it asks is an existing
// file's passphrase and the TUI asks for it on its Unlock screen (onScreen: unlocksecrets.go).
// Never while the wallet is being reset (Reset wants every failure before it starts).
func (a *App) secretsCanWait() (wait, onScreen bool) {
	if a.opts.resetting {
		return false, false
	}
	has, err := keystore.FileHasPassphrase(a.dir)
	switch {
	case err != nil:
		return false, false // a damaged file is reported by the open in the foreground
	case has:
		// The file keeps its passphrase: the open only asks for it (choose false), whatever
		// the config says, and only the Unlock screen may ask once the screens are up.
		return a.opts.PassphraseOnScreen, a.opts.PassphraseOnScreen
	case a.cfg.Security.FileStorePassphrase && a.cfg.Security.SecretStore != config.StoreKeyring:
		return false, false // a new passphrase would be chosen: on the terminal, now
	}
	return true, false
}

// openSecretsLater starts the background open and makes the SCA on a laterStore. With gate the
// open takes its passphrase from the Unlock screen (UnlockSecrets), each try answered there.
func (a *App) openSecretsLater(gate *passphraseGate) error {
	ls := &laterStore{done: make(chan struct{}), needed: a.startWork.release}
	if err := a.openSCA(ls); err != nil {
		return err
	}
	a.gate = gate
	ask, refused := a.opts.Passphrase, a.opts.PassphraseRefused
	if gate != nil {
		ask, refused = gate.ask, gate.refused
	}
	a.secretsOpening.Add(1)
	go func() {
		defer a.secretsOpening.Done()
		if !a.startWork.wanted() { // released by Close before anyone wanted a secret
			ls.err = errors.New("open secret store: payterm is closing")
			close(ls.done)
			return
		}
		ls.s, ls.err = a.openStore(ask, refused)
		if ls.err == nil {
			// The payer's kept OP tokens, before anything can use the store: a Keep of the
			// provider's (fewer) tokens cannot replace the entry before it was read, and the
			// OP banks' calls, which wait for done (opTokensBack), find them.
			ls.opErr = a.restoreOPTokens(ls.s)
		}
		close(ls.done)
		if gate != nil {
			// The last passphrase typed is answered once the store is usable (or failed).
			gate.reply(secretsAnswer(ls.err))
		}
		if ls.err == nil {
			// SpareBank 1's kept login session, now that it can be read. A failure here is
			// not lost: the provider reads it again before its first use of a session.
			_ = a.restoreSessions()
		}
		// Home showed "opening" for the store and no SCA status: it reloads now.
		a.feed.publishAll()
	}()
	return nil
}

// secretsAnswer is the Unlock screen's answer for the open's outcome.
func secretsAnswer(err error) error {
	if err == nil {
		return nil
	}
	return secretsProblem(err)
}

// secretsOpen reports whether the store has finished opening, and its error if it failed; a
// store opened in the foreground is always open.
func (a *App) secretsOpen() (bool, error) {
	ls, ok := a.store.(*laterStore)
	if !ok {
		return true, nil
	}
	select {
	case <-ls.done:
		return true, ls.err
	default:
		return false, nil
	}
}

// secretsProblem is what Home says when the store failed to open in the background: what the
// foreground open would have stopped the start with.
func secretsProblem(err error) error {
	var p *ui.Problem
	if errors.As(err, &p) {
		return p
	}
	if errors.Is(err, keystore.ErrCorrupt) {
		return &ui.Problem{What: "payterm's secrets file does not open here: it was edited, or the data dir comes from another machine or user.",
			Next: "Quit (q) and restore the data dir from a backup made on this machine; see SECURITY.md.", Err: err}
	}
	return &ui.Problem{What: "payterm could not open its secret store.", Next: "Quit (q) and start payterm again; see SECURITY.md if it persists.", Err: err}
}

// laterStore is the secret store while it opens in the background: each call waits for the
// open and then goes to the store, or fails with the open's error.
type laterStore struct {
	needed func() // a secret is wanted now: start the open if it is still held back
	done   chan struct{}
	s      keystore.Store // set before done is closed
	err    error
	opErr  error // restoring the payer's OP tokens failed (set before done is closed)
}

func (l *laterStore) wait() (keystore.Store, error) {
	l.needed()
	<-l.done
	if l.err != nil {
		return nil, l.err
	}
	if l.s == nil {
		return nil, errors.New("open secret store: no store")
	}
	return l.s, nil
}

func (l *laterStore) Get(name string) ([]byte, error) {
	s, err := l.wait()
	if err != nil {
		return nil, err
	}
	return s.Get(name)
}

func (l *laterStore) Set(name string, v []byte) error {
	s, err := l.wait()
	if err != nil {
		return err
	}
	return s.Set(name, v)
}

func (l *laterStore) Delete(name string) error {
	s, err := l.wait()
	if err != nil {
		return err
	}
	return s.Delete(name)
}

// Kind is the store's once open; 0 (an unknown store) when the open failed.
func (l *laterStore) Kind() keystore.Kind {
	s, err := l.wait()
	if err != nil {
		return 0
	}
	return s.Kind()
}
