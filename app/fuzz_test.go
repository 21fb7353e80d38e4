package app

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/ui"
)

// FuzzLoadIdentity: whatever identity.json holds, loading fails cleanly or yields a usable
// client id; it never panics.
func FuzzLoadIdentity(f *testing.F) {
	f.Add([]byte(`{"client_id":"c1","signing_kid":"k","redirect_uris":["http://127.0.0.1:0/callback"]}`))
	f.Add([]byte(`{"client_id":"","signing_kid":""}`))
	f.Add([]byte(`[]`))
	f.Add([]byte("\x00\xff"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, identityFile), raw, 0o600); err != nil {
			t.Fatal(err)
		}
		id, _, err := loadIdentity(dir)
		if err == nil {
			t.Fatalf("an identity without key files loaded: %q", id.ClientID)
		}
	})
}

// FuzzUnlockFile: a tampered unlock.json never unlocks and never panics.
func FuzzUnlockFile(f *testing.F) {
	f.Add([]byte(`{"kdf":{"t":1,"m":64,"p":1},"salt":"AAAAAAAAAAAAAAAAAAAAAA==","mac":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`))
	f.Add([]byte(`{"kdf":{"t":4294967295,"m":4294967295,"p":255},"salt":"AA==","mac":""}`))
	f.Add([]byte(`{}`))
	dir := f.TempDir()
	store, err := keystore.Open(keystore.Options{DataDir: dir, Mode: keystore.ModeFile, FileKDF: cheapKDF, AllowWeakKDF: true,
		MachineSecret: func() ([]byte, error) { return []byte("m"), nil }})
	if err != nil {
		f.Fatal(err)
	}
	if err := store.Set(unlockKeyName, make([]byte, 32)); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		d := t.TempDir()
		if err := os.WriteFile(filepath.Join(d, unlockFile), raw, 0o600); err != nil {
			t.Fatal(err)
		}
		v := newPINVerifier(d, store, cheapKDF, rand.Reader)
		if ok, _, _ := v.check("730461"); ok {
			t.Fatal("a forged verifier unlocked")
		}
	})
}

// FuzzSaveBeneficiaries: any typed payee either passes the consent builder's checks or is
// refused with a sentence that repeats neither the name nor the IBAN.
func FuzzSaveBeneficiaries(f *testing.F) {
	f.Add("Test Payee One", "AE070331234567890123456", "")
	f.Add("مثال تجريبي", "ae07 0331 2345 6789 0123 456", "AE070331234567890123457")
	f.Add(" padded ", "XX12", "AE07")
	f.Add("", "", "\x00")
	w := uiWallet{a: &App{}}
	f.Fuzz(func(t *testing.T, name, iban, debtor string) {
		plan := ui.BeneficiaryPlan{Model: ui.BeneficiaryOne, Payees: []ui.PayeeDraft{{Name: name, IBAN: iban, Type: ui.PayeeRetail}}, DebtorAccount: debtor}
		err := w.SaveBeneficiaries(context.Background(), plan)
		if err == nil {
			return
		}
		msg := err.Error()
		for _, v := range []string{name, iban, debtor} {
			if len(strings.TrimSpace(v)) >= 6 && strings.Contains(msg, v) {
				t.Fatalf("refusal %q repeats the input %q", msg, v)
			}
		}
	})
}

// FuzzCursor: history cursors from the UI are parsed strictly.
func FuzzCursor(f *testing.F) {
	for _, s := range []string{"1", "0", "-1", "9223372036854775808", "12a", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if id, ok := parseID(s); ok && id <= 0 {
			t.Fatalf("parseID(%q) accepted %d", s, id)
		}
	})
}
