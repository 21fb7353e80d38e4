// Package pkcs11key keeps the TPP's private keys in a PKCS#11 token (an HSM, a smart card,
// SoftHSM2) and hands them out as crypto.Signer, the seam lfi already signs and does mTLS
// through. The private key never leaves the token: keys this package generates are
// CKA_SENSITIVE and not CKA_EXTRACTABLE, and each is made for signing only.
//
// It wraps github.com/ThalesGroup/crypto11 (MIT), which loads the module with cgo (through
// miekg/pkcs11). A build without cgo (CGO_ENABLED=0) still compiles this package: Open then
// returns ErrNoCgo, so everything but PKCS#11 keeps working.
//
// Every failure a user can cause is one of the sentinel errors below, wrapped with a sentence
// that names the module, token or key (never the PIN), so the app can explain it.
package pkcs11key

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"unicode/utf8"
)

// The failures a configuration or a token can cause.
var (
	// ErrNoCgo: this binary was built with CGO_ENABLED=0 and cannot load a PKCS#11 module.
	ErrNoCgo = errors.New("this payterm was built without cgo (CGO_ENABLED=0), so it cannot load a PKCS#11 module")
	// ErrModule: the module file is missing or is not a PKCS#11 library.
	ErrModule = errors.New("the PKCS#11 module cannot be loaded")
	// ErrTokenNotFound: no slot holds a token with the configured label or serial.
	ErrTokenNotFound = errors.New("no such PKCS#11 token")
	// ErrWrongPIN: the token refused the PIN.
	ErrWrongPIN = errors.New("the token refused the PIN")
	// ErrPINLocked: too many wrong PINs; the token's security officer must unblock it.
	ErrPINLocked = errors.New("the token's PIN is locked")
	// ErrKeyNotFound: no key pair with that label/id is in the token.
	ErrKeyNotFound = errors.New("no such key in the PKCS#11 token")
	// ErrAmbiguousKey: several key pairs match the label/id.
	ErrAmbiguousKey = errors.New("several keys in the PKCS#11 token match")
)

// Config selects a token in a module.
type Config struct {
	// Module is the path of the vendor's PKCS#11 library (.so, .dylib, .dll).
	Module string
	// TokenLabel or TokenSerial (exactly one) picks the token.
	TokenLabel  string
	TokenSerial string
	// PIN is the user PIN. Open does not keep it beyond the login.
	PIN []byte
}

// what names the token in sentences.
func (c Config) what() string {
	if c.TokenSerial != "" {
		return fmt.Sprintf("the PKCS#11 token with serial %q", c.TokenSerial)
	}
	return fmt.Sprintf("the PKCS#11 token %q", c.TokenLabel)
}

func (c Config) check() error {
	if c.Module == "" {
		return fmt.Errorf("%w: no module path given", ErrModule)
	}
	if (c.TokenLabel == "") == (c.TokenSerial == "") {
		return errors.New("pkcs11: give exactly one of a token label and a token serial")
	}
	st, err := os.Stat(c.Module)
	if err != nil {
		return fmt.Errorf("%w: %s does not exist or cannot be read", ErrModule, c.Module)
	}
	if st.IsDir() {
		return fmt.Errorf("%w: %s is a directory, not the module's library file", ErrModule, c.Module)
	}
	return nil
}

// KeyRef finds a key pair by CKA_LABEL, CKA_ID or both.
type KeyRef struct {
	Label string
	ID    []byte
}

// String names the key in errors and messages: labels and ids are not secrets.
func (r KeyRef) String() string {
	switch {
	case r.Label != "" && len(r.ID) > 0:
		return fmt.Sprintf("label %q, id %s", r.Label, hex.EncodeToString(r.ID))
	case len(r.ID) > 0:
		return "id " + hex.EncodeToString(r.ID)
	}
	return fmt.Sprintf("label %q", r.Label)
}

// ParseID reads a CKA_ID written as hex ("" is no id; colons, as pkcs11-tool prints them, are
// allowed).
func ParseID(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	b, err := hex.DecodeString(strings.ReplaceAll(s, ":", ""))
	if err != nil || len(b) == 0 || len(b) > 64 {
		return nil, errors.New("must be the key's CKA_ID in hex, like \"a1b2c3\" (at most 64 bytes)")
	}
	return b, nil
}

// PINSource says where the token PIN comes from: typed at start, or for unattended use an
// environment variable or a file. The PIN itself is never in the config file.
type PINSource struct {
	Kind  string // "prompt", "env" or "file"
	Value string // the variable name or the file path
}

// ParsePINSource reads "prompt", "env:NAME" or "file:/path".
func ParsePINSource(s string) (PINSource, error) {
	switch {
	case s == "prompt":
		return PINSource{Kind: "prompt"}, nil
	case strings.HasPrefix(s, "env:"):
		name := s[len("env:"):]
		if !envName(name) {
			return PINSource{}, errors.New("env: must be followed by an environment variable name, like \"env:PAYTERM_PKCS11_PIN\"")
		}
		return PINSource{Kind: "env", Value: name}, nil
	case strings.HasPrefix(s, "file:"):
		p := s[len("file:"):]
		if !strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "~/") {
			return PINSource{}, errors.New("file: must be followed by an absolute path (or one starting with ~/)")
		}
		return PINSource{Kind: "file", Value: p}, nil
	}
	return PINSource{}, errors.New("must be \"prompt\", \"env:VARIABLE\" or \"file:/path\" — never the PIN itself")
}

func envName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// ReadPIN returns the PIN from an env or file source. A PIN file must be private to its owner
// (like an ssh key); one trailing newline is dropped. A prompt source is the caller's to ask.
func (s PINSource) ReadPIN(getenv func(string) string) ([]byte, error) {
	var pin []byte
	switch s.Kind {
	case "env":
		v := getenv(s.Value)
		if v == "" {
			return nil, fmt.Errorf("the token PIN's environment variable %s is empty or not set", s.Value)
		}
		pin = []byte(v)
	case "file":
		st, err := os.Stat(s.Value)
		if err != nil {
			return nil, fmt.Errorf("the token PIN file %s cannot be read", s.Value)
		}
		if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("the token PIN file %s has mode %o; make it readable by you alone (chmod 600)", s.Value, st.Mode().Perm())
		}
		raw, err := os.ReadFile(s.Value)
		if err != nil {
			return nil, fmt.Errorf("the token PIN file %s cannot be read", s.Value)
		}
		pin = []byte(strings.TrimSuffix(strings.TrimSuffix(string(raw), "\n"), "\r"))
		clear(raw)
		if len(pin) == 0 {
			return nil, fmt.Errorf("the token PIN file %s is empty", s.Value)
		}
	default:
		return nil, fmt.Errorf("pkcs11: PIN source %q is not read from the environment or a file", s.Kind)
	}
	if !utf8.Valid(pin) || strings.ContainsAny(string(pin), "\x00\n") {
		clear(pin)
		return nil, errors.New("the token PIN holds a control character; check its source")
	}
	return pin, nil
}
