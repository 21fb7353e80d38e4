package app

import (
	"context"
	"errors"
	"sync"

	"github.com/payterm/payterm/ui"
)

// With Options.PassphraseOnScreen (the TUI: RunWallet) a secrets file that already has a
// passphrase opens in the background like one without (secrets.go), and its passphrase is
// typed on the TUI's Unlock screen instead of on the terminal before the first frame: the
// screens are up at once, and argon2id (t=3, 64 MiB, p=4: 0.1–0.3 s) runs while Home is drawn.
// The counted tries stay: the background open asks the gate for each passphrase, each refusal
// goes back to the screen with the tries left, and the last one fails the open with the same
// Problem as the foreground open (payterm then ends with it). Choosing a passphrase (a new file,
// or one added to a file that had none) and every CLI command keep the terminal prompt.

// passphraseGate carries each passphrase from UnlockSecrets to the background open and the
// answer back.
type passphraseGate struct {
	tries     chan passphraseTry
	closing   chan struct{}
	closeOnce sync.Once
	// answer is the reply channel of the try being checked; only the open's goroutine uses it.
	answer chan error
}

// passphraseTry is one passphrase typed and where its answer goes (buffered: the open never
// waits for a caller that left).
type passphraseTry struct {
	pass  []byte
	reply chan error
}

// errNoNewPassphraseOnScreen: the file the Unlock screen was shown for is gone, and the open
// would choose a new passphrase, which only the terminal asks for.
var errNoNewPassphraseOnScreen = errors.New("the secrets file changed while payterm started (a new passphrase would be chosen): start payterm again")

// errClosingBeforePassphrase: payterm closed while the Unlock screen waited.
var errClosingBeforePassphrase = errors.New("open secret store: payterm closed before the passphrase was typed")

func newPassphraseGate() *passphraseGate {
	return &passphraseGate{tries: make(chan passphraseTry), closing: make(chan struct{})}
}

// ask is keystore's Passphrase on the open's goroutine: it waits for the next passphrase typed.
func (g *passphraseGate) ask(choose bool) ([]byte, error) {
	if choose {
		return nil, errNoNewPassphraseOnScreen
	}
	select {
	case t := <-g.tries:
		g.answer = t.reply
		return t.pass, nil
	case <-g.closing:
		return nil, errClosingBeforePassphrase
	}
}

// refused is openStore's PassphraseRefused: the try's answer.
func (g *passphraseGate) refused(triesLeft int) {
	g.reply(&ui.PassphraseRefused{TriesLeft: triesLeft})
}

// reply answers the try being checked, if any (the open's goroutine).
func (g *passphraseGate) reply(err error) {
	if g.answer != nil {
		g.answer <- err
		g.answer = nil
	}
}

// close ends a wait for a passphrase (Close: nobody will type one).
func (g *passphraseGate) close() {
	g.closeOnce.Do(func() { close(g.closing) })
}

// WaitsForPassphrase reports whether the secrets file waits for a passphrase typed on the
// Unlock screen (RunWallet then shows it).
func (a *App) WaitsForPassphrase() bool { return a.gate != nil }

// UnlockSecrets hands a passphrase typed on the Unlock screen to the background open of the
// secrets file and waits for its answer: nil when the file opened, *ui.PassphraseRefused with
// the tries left, or the Problem the open failed with (after the last wrong passphrase, a
// damaged file, a closing payterm). It owns passphrase: keystore wipes it once the key is
// derived, and it is wiped here when it was never handed over.
func (a *App) UnlockSecrets(ctx context.Context, passphrase []byte) error {
	ls, ok := a.store.(*laterStore)
	if a.gate == nil || !ok {
		clear(passphrase)
		return errors.New("the secrets file is not waiting for a passphrase")
	}
	ls.needed() // a secret is wanted now: the open need not wait for the first frame's grace
	try := passphraseTry{pass: passphrase, reply: make(chan error, 1)}
	select {
	case a.gate.tries <- try:
	case <-ls.done: // already open, or failed without asking
		clear(passphrase)
		if ls.err != nil {
			return secretsProblem(ls.err)
		}
		return nil
	case <-ctx.Done():
		clear(passphrase)
		return ctx.Err()
	}
	select {
	case err := <-try.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
