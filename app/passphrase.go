package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/payterm/payterm/ui"
)

// MinPassphraseRunes is the shortest passphrase payterm accepts for its secrets file. The file
// is guessed offline at argon2id's cost, so the passphrase's length is what protects it.
const MinPassphraseRunes = 10

// passphraseTries is how often a new passphrase may be mistyped (too short, or not repeated
// the same), or a wrong one typed to open the secrets file, before the start is abandoned.
const passphraseTries = 3

// ErrNoTerminal: the secrets file needs its passphrase and there is no terminal to ask on.
var ErrNoTerminal = errors.New("no terminal to ask for the secrets file's passphrase on")

// TerminalPassphrase asks for the secrets file's passphrase on the controlling terminal without
// echo. keystore calls it only when the encrypted file is the store in use.
func TerminalPassphrase() func(choose bool) ([]byte, error) {
	return func(choose bool) ([]byte, error) {
		return onTerminal(func(out io.Writer, read func() ([]byte, error)) ([]byte, error) {
			return askPassphrase(out, read, choose)
		})
	}
}

// TerminalPassphraseRefused says on the controlling terminal that the passphrase did not open
// the secrets file and how many tries are left (Options.PassphraseRefused).
func TerminalPassphraseRefused() func(triesLeft int) {
	return func(triesLeft int) {
		_, _ = onTerminal(func(out io.Writer, _ func() ([]byte, error)) ([]byte, error) {
			fmt.Fprintln(out, passphraseRefused(triesLeft))
			return nil, nil
		})
	}
}

// passphraseRefused is the sentence for a wrong passphrase with triesLeft tries left.
// The Unlock screen says the same sentence (ui.PassphraseRefused): one wording for both.
func passphraseRefused(triesLeft int) string {
	return (&ui.PassphraseRefused{TriesLeft: triesLeft}).Error()
}

// TerminalTokenPIN asks for a PKCS#11 token's user PIN on the controlling terminal without
// echo, once: a wrong PIN ends the start (tokens lock after a few), it is never retried.
func TerminalTokenPIN() func(token string) ([]byte, error) {
	return func(token string) ([]byte, error) {
		return onTerminal(func(out io.Writer, read func() ([]byte, error)) ([]byte, error) {
			return askTokenPIN(out, read, token)
		})
	}
}

func askTokenPIN(out io.Writer, read func() ([]byte, error), token string) ([]byte, error) {
	fmt.Fprintf(out, "User PIN of %s: ", token)
	p, err := read()
	fmt.Fprintln(out)
	if err != nil {
		return nil, fmt.Errorf("read the token PIN: %w", err)
	}
	if len(p) == 0 {
		return nil, errors.New("no token PIN typed; start payterm again to type it")
	}
	return p, nil
}

// onTerminal runs a dialogue on the controlling terminal (/dev/tty), else on stdin/stderr when
// stdin is a terminal, else fails with ErrNoTerminal.
func onTerminal(dialogue func(out io.Writer, read func() ([]byte, error)) ([]byte, error)) ([]byte, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		if !term.IsTerminal(int(os.Stdin.Fd())) {
			return nil, ErrNoTerminal
		}
		return dialogue(os.Stderr, func() ([]byte, error) { return term.ReadPassword(int(os.Stdin.Fd())) })
	}
	defer tty.Close()
	return dialogue(tty, func() ([]byte, error) { return term.ReadPassword(int(tty.Fd())) })
}

// askPassphrase runs the dialogue: once to unlock; to choose, twice with the length rule and
// up to passphraseTries attempts. read returns one line typed without echo.
func askPassphrase(out io.Writer, read func() ([]byte, error), choose bool) ([]byte, error) {
	if !choose {
		fmt.Fprint(out, "Passphrase of payterm's secrets file: ")
		p, err := read()
		fmt.Fprintln(out)
		if err != nil {
			return nil, fmt.Errorf("read the passphrase: %w", err)
		}
		return p, nil
	}
	fmt.Fprintf(out, "payterm keeps its secrets in an encrypted file on this machine (no OS keyring is in use).\n"+
		"Choose a passphrase for it (at least %d characters). You will type it at every start;\n"+
		"if you lose it, delete secrets.enc and run `payterm reset`.\n", MinPassphraseRunes)
	for range passphraseTries {
		fmt.Fprint(out, "New passphrase: ")
		p, err := read()
		fmt.Fprintln(out)
		if err != nil {
			return nil, fmt.Errorf("read the passphrase: %w", err)
		}
		if n := utf8.RuneCount(p); n < MinPassphraseRunes {
			clear(p)
			fmt.Fprintf(out, "That is %d characters; use at least %d.\n", n, MinPassphraseRunes)
			continue
		}
		if !typableOnUnlock(p) {
			clear(p)
			fmt.Fprintln(out, "That passphrase holds a control character (an arrow key, tab or escape typed into it, say)\n"+
				"or bytes that are not text, which the wallet's Unlock screen could not take at the next start.\n"+
				"Use letters, digits, spaces and punctuation.")
			continue
		}
		fmt.Fprint(out, "Type it again: ")
		again, err := read()
		fmt.Fprintln(out)
		if err != nil {
			clear(p)
			return nil, fmt.Errorf("read the passphrase: %w", err)
		}
		same := bytes.Equal(p, again)
		clear(again)
		if same {
			return p, nil
		}
		clear(p)
		fmt.Fprintln(out, "The two did not match.")
	}
	return nil, errors.New("no passphrase chosen; start payterm again to choose one")
}

// typableOnUnlock reports whether p is UTF-8 text without C0 controls or DEL: what the Unlock
// screen's field accepts (ui/field.go), so a passphrase chosen here can be typed there. The
// terminal's line editing passes control characters through (an arrow key arrives as ESC [ D).
func typableOnUnlock(p []byte) bool {
	if !utf8.Valid(p) {
		return false
	}
	for _, c := range p {
		if c < ' ' || c == 0x7f {
			return false
		}
	}
	return true
}
