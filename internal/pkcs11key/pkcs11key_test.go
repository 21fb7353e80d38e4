package pkcs11key

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParsePINSource(t *testing.T) {
	good := map[string]PINSource{
		"prompt":                 {Kind: "prompt"},
		"env:PAYTERM_PKCS11_PIN": {Kind: "env", Value: "PAYTERM_PKCS11_PIN"},
		"file:/run/secrets/pin":  {Kind: "file", Value: "/run/secrets/pin"},
		"file:~/.config/hsm.pin": {Kind: "file", Value: "~/.config/hsm.pin"},
	}
	for in, want := range good {
		if got, err := ParsePINSource(in); err != nil || got != want {
			t.Errorf("%q: got %+v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "1234", "env:", "env:9X", "env:A-B", "file:", "file:relative/pin", "Prompt"} {
		if _, err := ParsePINSource(in); err == nil {
			t.Errorf("%q accepted", in)
		} else if in == "1234" && !strings.Contains(err.Error(), "never the PIN itself") {
			t.Errorf("a PIN typed into the setting must be told apart: %v", err)
		}
	}
}

func TestParseID(t *testing.T) {
	for in, want := range map[string][]byte{"": nil, "a1b2": {0xa1, 0xb2}, "A1:B2:03": {0xa1, 0xb2, 0x03}} {
		if got, err := ParseID(in); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%q: %x %v", in, got, err)
		}
	}
	for _, in := range []string{"xyz", "abc", ":", strings.Repeat("00", 65)} {
		if _, err := ParseID(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestReadPIN(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	pin, err := PINSource{Kind: "env", Value: "P"}.ReadPIN(env(map[string]string{"P": "123456"}))
	if err != nil || string(pin) != "123456" {
		t.Fatalf("env: %q %v", pin, err)
	}
	if _, err := (PINSource{Kind: "env", Value: "P"}).ReadPIN(env(nil)); err == nil || !strings.Contains(err.Error(), "P is empty or not set") {
		t.Fatalf("unset env: %v", err)
	}

	dir := t.TempDir()
	p := filepath.Join(dir, "pin")
	if err := os.WriteFile(p, []byte("654321\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if pin, err := (PINSource{Kind: "file", Value: p}).ReadPIN(env(nil)); err != nil || string(pin) != "654321" {
		t.Fatalf("file: %q %v", pin, err)
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = PINSource{Kind: "file", Value: p}.ReadPIN(env(nil))
	if err == nil || !strings.Contains(err.Error(), "chmod 600") || strings.Contains(err.Error(), "654321") {
		t.Fatalf("a PIN file others can read must be refused, without quoting it: %v", err)
	}
	for name, body := range map[string]string{"empty": "\n", "two-lines": "12\n34\n"} {
		q := filepath.Join(dir, name)
		if err := os.WriteFile(q, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := (PINSource{Kind: "file", Value: q}).ReadPIN(env(nil)); err == nil {
			t.Errorf("%s PIN file accepted", name)
		}
	}
	if _, err := (PINSource{Kind: "file", Value: filepath.Join(dir, "absent")}).ReadPIN(env(nil)); err == nil {
		t.Error("a missing PIN file accepted")
	}
}
