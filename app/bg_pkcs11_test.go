package app

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/internal/pkcs11key"
	"github.com/payterm/payterm/internal/softhsm"
	"github.com/payterm/payterm/ui"
)

// TestBerlinGroupKeysInToken: a wallet whose Berlin Group bank registered with PEM key files
// is started with [pkcs11] on a real SoftHSM2 token. The bank's QWAC and QSealC keys are then
// generated in the token under the default labels, the TPP keeps its id at the bank (its earlier
// payments stay its own), the key files are gone, and a payment is signed (rsa-sha256) and sent
// over mTLS through the token, approved and settled; a restart pays again with the same keys.
// No TPP private key of the bank is in a file under the data dir. Started without [pkcs11]
// again, the wallet refuses: the keys never move back to files.
func TestBerlinGroupKeysInToken(t *testing.T) {
	ctx := context.Background()
	tok := softhsm.Require(t, "payterm-bg")
	clock := newSCAClock()
	cfg := bgConfig(t, "psu_id = \"PSU-1234\"\nsca_approach = \"decoupled\"\n")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	// First without the token: PEM files, as every wallet before.
	a := openApp(t, cfg, clock)
	_, js := onboard(t, a.UIWallet(), clock, twoPayees()[:1])
	tdir := filepath.Join(a.dir, "banks", "berlin", bgTPPDir)
	before := readBGRecord(t, tdir)
	if before.TPPID == "" || before.KeyStore != "" {
		t.Fatalf("record before the token: %+v", before)
	}
	oldKey, err := readKeyFile(filepath.Join(tdir, bgQSealKey), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	// The UAE identity refuses to move to the token (its consents are bound to its keys); as its
	// message says, its folder is moved away. The Berlin Group bank's moves by itself.
	if err := os.Rename(filepath.Join(cfg.ResolvedDataDir(), "tpp"), filepath.Join(cfg.ResolvedDataDir(), "tpp.files")); err != nil {
		t.Fatal(err)
	}
	cfg.PKCS11 = config.PKCS11{Module: tok.Module, TokenLabel: tok.Label, PINSource: "prompt"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	opts := testOptions(clock)
	var asked []string
	opts.TokenPIN = typedPIN(tok.PIN, &asked)
	pay := func(a *App) {
		t.Helper()
		bank := a.banks[1].bg.bank
		_, evs := payAtBG(t, a.UIWallet(), clock, js.totpSecret, nil, func(act ui.BankAction) {
			if act.Kind == ui.ActionDecoupled {
				bank.AdvanceClock(10 * time.Second) // the bank app approves
			}
		})
		last := evs[len(evs)-1]
		if !last.Final || last.Receipt == nil || !ui.PaymentPaid(last.Receipt.Status) {
			t.Fatalf("payment with the token's keys: %+v", last)
		}
	}
	for run := 0; run < 2; run++ { // the switch, then a restart
		a, err = Open(ctx, cfg, opts)
		if err != nil {
			t.Fatalf("Open with the token (run %d): %v", run, err)
		}
		rec := readBGRecord(t, tdir)
		if rec.TPPID != before.TPPID || rec.KeyStore != keyStorePKCS11 {
			t.Fatalf("record with the token: %+v, was %+v", rec, before)
		}
		for _, name := range []string{bgQWACKey, bgQSealKey} {
			if _, err := os.Stat(filepath.Join(tdir, name)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s is still a file: %v", name, err)
			}
		}
		sig, err := a.token.Find(pkcs11key.KeyRef{Label: config.DefaultKeyLabel("berlin", "signing")})
		if err != nil {
			t.Fatalf("the QSealC key is not in the token: %v", err)
		}
		tr, err := a.token.Find(pkcs11key.KeyRef{Label: config.DefaultKeyLabel("berlin", "transport")})
		if err != nil {
			t.Fatalf("the QWAC key is not in the token: %v", err)
		}
		if sig.Public().(*rsa.PublicKey).Equal(oldKey.Public()) || sig.Public().(*rsa.PublicKey).Equal(tr.Public()) {
			t.Fatal("the token's keys are not new and distinct")
		}
		pay(a)
		// Every private key left under the data dir is an embedded bank's own (or the UAE
		// identity's moved away above), not the Berlin Group TPP's.
		for _, k := range privateKeysIn(t, a.dir) {
			for _, p := range []any{sig.Public(), tr.Public(), oldKey.Public()} {
				if p.(*rsa.PublicKey).Equal(k.pub) {
					t.Errorf("%s holds a TPP key of the Berlin Group bank (%s)", k.path, k.how)
				}
			}
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if len(asked) != 2 {
		t.Fatalf("the token's PIN was asked %d times, want once per start", len(asked))
	}

	// Without [pkcs11] the wallet does not make new key files behind the token's back.
	cfg.PKCS11 = config.PKCS11{PINSource: "prompt"} // no module: no token
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	// (The UAE identity, in the token now, would refuse first: its folder is moved away again.)
	if err := os.Rename(filepath.Join(cfg.ResolvedDataDir(), "tpp"), filepath.Join(cfg.ResolvedDataDir(), "tpp.token")); err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, cfg, testOptions(clock))
	var pr *ui.Problem
	if !errors.As(err, &pr) || !strings.Contains(pr.What, "PKCS#11 token") || !strings.Contains(pr.What, tdir) {
		t.Fatalf("Open without the token: %v", err)
	}
	if _, err := os.Stat(filepath.Join(tdir, bgQSealKey)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a key file was made: %v", err)
	}
}

func readBGRecord(t *testing.T, tdir string) bgRecord {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(tdir, bgTPPRecord))
	if err != nil {
		t.Fatal(err)
	}
	var rec bgRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}
