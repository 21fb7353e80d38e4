package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/internal/safetext"
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
		id, _, err := loadIdentity(dir, fileKeys{})
		if err == nil {
			t.Fatalf("an identity without key files loaded: %q", id.ClientID)
		}
	})
}

// FuzzSaveBeneficiaries: any typed payee either passes the consent builder's checks or is
// refused with a displayable sentence (no control or bidi character) that repeats neither the
// name nor the IBAN.
func FuzzSaveBeneficiaries(f *testing.F) {
	f.Add("Test Payee One", "AE070331234567890123456", "")
	f.Add("مثال تجريبي", "ae07 0331 2345 6789 0123 456", "AE070331234567890123457")
	f.Add(" padded ", "XX12", "AE07")
	f.Add("", "", "\x00")
	f.Add("Noor \u202e00.125", "AE07\x1b]52;c;QUUw\x07", "\u009b2J")
	w := uiWallet{a: &App{banks: []*bankConn{{cfg: config.Bank{ID: config.DefaultSandboxID}}}}}
	f.Fuzz(func(t *testing.T, name, iban, debtor string) {
		plan := ui.BeneficiaryPlan{Model: ui.BeneficiaryOne, Payees: []ui.PayeeDraft{{Name: name, IBAN: iban, Type: ui.PayeeRetail}}, DebtorAccount: debtor}
		err := w.SaveBeneficiaries(context.Background(), plan)
		if err == nil {
			return
		}
		msg := err.Error()
		if !safetext.Clean(msg) {
			t.Fatalf("refusal %q is not displayable", msg)
		}
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
