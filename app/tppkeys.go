package app

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/internal/pkcs11key"
	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/ui"
)

// tppKeyBits is the RSA size of the keys the wallet makes (UAE Trust Framework: RSA 2048).
const tppKeyBits = 2048

// keyStorePKCS11 is identityRecord.KeyStore for keys in a token.
const keyStorePKCS11 = "pkcs11"

// tppKeys is where a bank's TPP private keys live: PEM files (fileKeys) or a PKCS#11 token
// (tokenKeys). Everything else about an identity (record, certificate) is the same for both.
type tppKeys interface {
	kind() string // identityRecord.KeyStore
	// forNew returns the keys for a new sandbox identity.
	forNew() (sig, tls crypto.Signer, err error)
	// load returns the keys of the identity kept in dir.
	load(dir string) (sig, tls crypto.Signer, err error)
	// save keeps the keys of a new identity beside its record (files only).
	save(dir string, id identity) error
	// remote returns the keys the config names for a remote bank.
	remote(b config.Bank) (sig, tls crypto.Signer, err error)
	// describe names where the key for use ("signing", "transport") is, for messages.
	describe(use string) string
}

// fileKeys keeps the keys as PEM files: the wallet's own beside identity.json (0600), a remote
// bank's where [bank] names them.
type fileKeys struct{}

func (fileKeys) kind() string { return "" }

func (fileKeys) forNew() (crypto.Signer, crypto.Signer, error) {
	sig, err := rsa.GenerateKey(rand.Reader, tppKeyBits)
	if err != nil {
		return nil, nil, fmt.Errorf("generate signing key: %w", err)
	}
	tlsKey, err := rsa.GenerateKey(rand.Reader, tppKeyBits)
	if err != nil {
		return nil, nil, fmt.Errorf("generate transport key: %w", err)
	}
	return sig, tlsKey, nil
}

func (fileKeys) load(dir string) (crypto.Signer, crypto.Signer, error) {
	sig, err := readKeyFile(filepath.Join(dir, signingKeyFile), true)
	if err != nil {
		return nil, nil, err
	}
	tlsKey, err := readKeyFile(filepath.Join(dir, transportKeyFile), true)
	if err != nil {
		return nil, nil, err
	}
	return sig, tlsKey, nil
}

func (fileKeys) save(dir string, id identity) error {
	for name, k := range map[string]crypto.Signer{signingKeyFile: id.SigningKey, transportKeyFile: id.TransportKey} {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return fmt.Errorf("the %s is %T, not an in-memory RSA key", name, k)
		}
		if err := keystore.WriteFileAtomic(filepath.Join(dir, name), pemKey(rk)); err != nil {
			return err
		}
	}
	return nil
}

func (fileKeys) remote(b config.Bank) (crypto.Signer, crypto.Signer, error) {
	sig, err := readKeyFile(b.SigningKeyFile, false)
	if err != nil {
		return nil, nil, err
	}
	tlsKey, err := readKeyFile(b.TransportKeyFile, false)
	if err != nil {
		return nil, nil, err
	}
	return sig, tlsKey, nil
}

func (fileKeys) describe(use string) string { return use + "-key.pem" }

// tokenKeys keeps one bank's keys in the token. Nothing secret is ever written to disk.
type tokenKeys struct {
	tok                *pkcs11key.Token
	token              string // how [pkcs11] names the token, for messages
	bankID             string
	signing, transport pkcs11key.KeyRef
}

// tokenKeysFor resolves the bank's key settings (already validated by config).
func tokenKeysFor(tok *pkcs11key.Token, p config.PKCS11, b config.Bank) (tokenKeys, error) {
	ref := func(label, hexID, use string) (pkcs11key.KeyRef, error) {
		id, err := pkcs11key.ParseID(hexID)
		if err != nil {
			return pkcs11key.KeyRef{}, err
		}
		if label == "" && id == nil {
			label = config.DefaultKeyLabel(b.ID, use)
		}
		return pkcs11key.KeyRef{Label: label, ID: id}, nil
	}
	sig, err := ref(b.PKCS11SigningKeyLabel, b.PKCS11SigningKeyID, "signing")
	if err != nil {
		return tokenKeys{}, fmt.Errorf("pkcs11_signing_key_id: %w", err)
	}
	tr, err := ref(b.PKCS11TransportKeyLabel, b.PKCS11TransportKeyID, "transport")
	if err != nil {
		return tokenKeys{}, fmt.Errorf("pkcs11_transport_key_id: %w", err)
	}
	return tokenKeys{tok: tok, token: tokenName(p), bankID: b.ID, signing: sig, transport: tr}, nil
}

func (k tokenKeys) kind() string { return keyStorePKCS11 }

func (k tokenKeys) forNew() (crypto.Signer, crypto.Signer, error) {
	sig, _, err := k.tok.FindOrGenerate(k.signing, tppKeyBits)
	if err != nil {
		return nil, nil, k.problem(err, "signing", "")
	}
	tlsKey, _, err := k.tok.FindOrGenerate(k.transport, tppKeyBits)
	if err != nil {
		return nil, nil, k.problem(err, "transport", "")
	}
	return sig, tlsKey, nil
}

func (k tokenKeys) load(dir string) (crypto.Signer, crypto.Signer, error) {
	next := fmt.Sprintf("If the token was re-initialised or the key deleted, move %s away: the wallet then registers a new identity with new keys, and consents must be authorised again.", dir)
	sig, err := k.tok.Find(k.signing)
	if err != nil {
		return nil, nil, k.problem(err, "signing", next)
	}
	tlsKey, err := k.tok.Find(k.transport)
	if err != nil {
		return nil, nil, k.problem(err, "transport", next)
	}
	return sig, tlsKey, nil
}

func (tokenKeys) save(string, identity) error { return nil }

func (k tokenKeys) remote(config.Bank) (crypto.Signer, crypto.Signer, error) {
	next := fmt.Sprintf("Run `payterm csr --bank %s` to create the keys in the token and get the certificate requests for the Trust Framework, or name existing keys with pkcs11_signing_key_label/_id and pkcs11_transport_key_label/_id.", k.bankID)
	sig, err := k.tok.Find(k.signing)
	if err != nil {
		return nil, nil, k.problem(err, "signing", next)
	}
	tlsKey, err := k.tok.Find(k.transport)
	if err != nil {
		return nil, nil, k.problem(err, "transport", next)
	}
	return sig, tlsKey, nil
}

func (k tokenKeys) describe(use string) string {
	ref := k.signing
	if use == "transport" {
		ref = k.transport
	}
	return fmt.Sprintf("the key with %s in %s", ref, k.token)
}

// problem explains a failure to find the key for use in one sentence, with what to do next.
func (k tokenKeys) problem(err error, use, next string) error {
	ref := k.signing
	if use == "transport" {
		ref = k.transport
	}
	switch {
	case errors.Is(err, pkcs11key.ErrKeyNotFound):
		return &ui.Problem{What: fmt.Sprintf("The %s key of bank %s (%s) is not in %s.", use, k.bankID, ref, k.token), Next: next, Err: err}
	case errors.Is(err, pkcs11key.ErrAmbiguousKey):
		return &ui.Problem{What: fmt.Sprintf("More than one key in %s matches the %s key of bank %s (%s).", k.token, use, k.bankID, ref),
			Next: "Name each key by its id too (pkcs11_signing_key_id, pkcs11_transport_key_id; pkcs11-tool --list-objects shows the ids).", Err: err}
	}
	return fmt.Errorf("%s key of bank %s: %w", use, k.bankID, err)
}

// keyStoreMismatch: the identity kept in dir has its keys where the config no longer looks.
func keyStoreMismatch(dir, recorded string) error {
	if recorded == keyStorePKCS11 {
		return &ui.Problem{What: fmt.Sprintf("The TPP identity in %s keeps its private keys in a PKCS#11 token, but the config has no [pkcs11] module.", dir),
			Next: "Put the [pkcs11] settings back, or move that folder away to register a new identity with keys in files (consents must then be authorised again)."}
	}
	return &ui.Problem{What: fmt.Sprintf("The TPP identity in %s keeps its private keys in PEM files, but the config puts the keys in a PKCS#11 token.", dir),
		Next: "To move to the token, move that folder away: the wallet registers a new identity with keys generated in the token (consents must then be authorised again); or remove [pkcs11] to keep the files."}
}

// tokenName is how [pkcs11] names its token in sentences.
func tokenName(p config.PKCS11) string {
	if p.TokenSerial != "" {
		return fmt.Sprintf("the PKCS#11 token with serial %q", safetext.Short(p.TokenSerial, 64))
	}
	return fmt.Sprintf("the PKCS#11 token %q", safetext.Short(p.TokenLabel, 64))
}

// ErrNoTerminalForPIN: pin_source = "prompt" and there is no terminal to ask on.
var ErrNoTerminalForPIN = errors.New("no terminal to ask for the PKCS#11 token's PIN on")

// openToken logs in to the [pkcs11] token with the PIN from its source. Every failure is one
// sentence (ui.Problem) naming the setting to check; none quotes the PIN.
func openToken(p config.PKCS11, ask func(token string) ([]byte, error)) (*pkcs11key.Token, error) {
	src, err := pkcs11key.ParsePINSource(p.ResolvedPINSource())
	if err != nil {
		return nil, fmt.Errorf("pkcs11.pin_source: %w", err)
	}
	name := tokenName(p)
	var pin []byte
	if src.Kind == "prompt" {
		if ask == nil {
			err = ErrNoTerminalForPIN
		} else {
			pin, err = ask(name)
		}
		if errors.Is(err, ErrNoTerminal) || errors.Is(err, ErrNoTerminalForPIN) {
			return nil, &ui.Problem{What: fmt.Sprintf("The PIN of %s is asked at start (pkcs11.pin_source = \"prompt\"), but there is no terminal to ask on.", name),
				Next: "Run payterm in a terminal, or set pkcs11.pin_source to \"env:VARIABLE\" or \"file:/path\" for unattended use.", Err: err}
		}
	} else {
		pin, err = src.ReadPIN(os.Getenv)
		if err != nil {
			return nil, &ui.Problem{What: upperFirst(err.Error()) + ".", Next: "Check pkcs11.pin_source in the config file.", Err: err}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read the token PIN: %w", err)
	}
	defer clear(pin)
	tok, err := pkcs11key.Open(pkcs11key.Config{Module: p.ResolvedModule(), TokenLabel: p.TokenLabel, TokenSerial: p.TokenSerial, PIN: pin})
	if err == nil {
		return tok, nil
	}
	module := safetext.Short(p.ResolvedModule(), 200)
	prob := func(what, next string) error { return &ui.Problem{What: what, Next: next, Err: err} }
	pinHint := "Start payterm again and type the token's user PIN (not the security officer's)."
	if src.Kind != "prompt" {
		pinHint = "Check the PIN that pkcs11.pin_source points to; each wrong PIN brings the token closer to locking it."
	}
	switch {
	case errors.Is(err, pkcs11key.ErrNoCgo):
		return nil, prob("This payterm was built without cgo (CGO_ENABLED=0), so it cannot load the PKCS#11 module that [pkcs11] names.",
			"Build payterm with CGO_ENABLED=1, or remove [pkcs11] to keep the keys in PEM files.")
	case errors.Is(err, pkcs11key.ErrModule):
		if _, serr := os.Stat(p.ResolvedModule()); serr != nil {
			return nil, prob(fmt.Sprintf("The PKCS#11 module %s does not exist.", module),
				"Check pkcs11.module: it is the token vendor's library, e.g. /usr/lib/softhsm/libsofthsm2.so for SoftHSM2.")
		}
		return nil, prob(fmt.Sprintf("The file %s is not a PKCS#11 module payterm can load.", module),
			"Check pkcs11.module: it is the token vendor's library (a .so file for this machine's architecture).")
	case errors.Is(err, pkcs11key.ErrTokenNotFound):
		return nil, prob(fmt.Sprintf("No slot of the PKCS#11 module %s holds %s.", module, name),
			"Check that the token is plugged in and initialised, and pkcs11.token_label or token_serial (pkcs11-tool --module MODULE --list-slots lists them).")
	case errors.Is(err, pkcs11key.ErrPINLocked):
		return nil, prob(fmt.Sprintf("%s has locked its PIN after too many wrong tries.", upperFirst(name)),
			"Its security officer must unblock it (softhsm2-util and each HSM vendor's admin tool can).")
	case errors.Is(err, pkcs11key.ErrWrongPIN):
		return nil, prob(fmt.Sprintf("%s did not accept the PIN.", upperFirst(name)), pinHint)
	}
	return nil, fmt.Errorf("open %s: %w", name, err)
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
