package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// TestRestartKeepsEverything: close the wallet, open the same data dir again. The identity is
// reused (no second registration), the consent and the payment are still there, the refresh
// token from the keystore still works (a second payment settles), and nothing secret or
// personal leaked into a file of the data dir.
func TestRestartKeepsEverything(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	cfg := testConfig(t)
	a := openApp(t, cfg, clock)
	w := a.UIWallet()
	c, js := onboard(t, w, clock, twoPayees()[:1])
	if c.Model != ui.BeneficiaryOne {
		t.Fatalf("model %s", c.Model)
	}
	payees, err := w.Payees(ctx, c.ID)
	if err != nil || len(payees) != 1 {
		t.Fatal(err, payees)
	}
	code := clock.nextCode(t, js.totpSecret)
	js.codes = append(js.codes, code)
	first := finalEvent(t, pay(t, w, c.ID, payees[0].ID, "42.00", code))
	if first.State != ui.StepDone {
		t.Fatalf("first payment: %+v", first)
	}
	refresh, err := (tokenStore{a.store}).Load(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The idle lock: a wrong PIN and the right one, checked by sca (both stay out of every file).
	const wrongPIN = "582913"
	if err := w.Unlock(ctx, ui.NewSecret(wrongPIN)); !errors.As(err, new(*ui.SCAError)) {
		t.Fatalf("unlock with a wrong PIN: %v", err)
	}
	if err := w.Unlock(ctx, ui.NewSecret(testPIN)); err != nil {
		t.Fatalf("unlock with the right PIN: %v", err)
	}
	clientID := a.ClientID()
	if err := a.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	b := openApp(t, cfg, clock)
	defer b.Close()
	if b.Registered() || b.ClientID() != clientID {
		t.Fatalf("restart registered again (registered=%v, client %q → %q)", b.Registered(), clientID, b.ClientID())
	}
	if err := b.WaitStartup(ctx); err != nil {
		t.Fatalf("start-up resume/sync: %v", err)
	}
	w = b.UIWallet()
	ov, err := w.Overview(ctx)
	if err != nil || !ov.Onboarded || ov.Active == nil || ov.Active.ID != c.ID || ov.Active.PaymentCount != 1 || len(ov.Recent) != 1 {
		t.Fatalf("overview after restart: %v %+v", err, ov)
	}
	code = clock.nextCode(t, js.totpSecret)
	js.codes = append(js.codes, code)
	second := finalEvent(t, pay(t, w, c.ID, payees[0].ID, "7.25", code))
	if second.State != ui.StepDone || second.Receipt == nil || !strings.HasPrefix(string(second.Receipt.Status), "Accepted") {
		t.Fatalf("payment after restart: %+v", second)
	}

	secrets := []string{testPIN, wrongPIN, js.totpSecret, js.recovery, strings.ReplaceAll(js.recovery, "-", ""), refresh.Reveal()}
	secrets = append(secrets, js.codes...)
	at, err := b.tokens.AccessToken(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, at.Reveal())
	if rt, err := (tokenStore{b.store}).Load(ctx, c.ID); err == nil {
		secrets = append(secrets, rt.Reveal())
	}
	assertNotInFiles(t, b.DataDir(), secrets, nil)
	// No PIN check lives beside sca's any more: no verifier file, no key for one.
	if _, err := os.Stat(filepath.Join(b.DataDir(), legacyUnlockFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the data dir holds an idle-lock verifier: %v", err)
	}
	if _, err := b.store.Get(legacyUnlockKeyName); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("the keystore holds an idle-lock key: %v", err)
	}

	// The CLI exports read the same ledger while the wallet runs.
	var out bytes.Buffer
	if err := ExportHistory(ctx, cfg, &out, "csv", false); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil || len(recs) != 3 || !strings.HasPrefix(strings.Join(recs[0], ","), "id,created_at,updated_at,consent_id,bank_payment_id,amount") {
		t.Fatalf("csv export: %v %q", err, recs)
	}
	if strings.Contains(out.String(), twoPayees()[0].IBAN) {
		t.Fatal("the export without --with-pii holds an IBAN")
	}
	out.Reset()
	if err := ExportHistory(ctx, cfg, &out, "json", true); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil || len(rows) != 2 || rows[0]["payee_iban"] != twoPayees()[0].IBAN || rows[1]["amount"] != "42.00" {
		t.Fatalf("json export: %v %+v", err, rows)
	}
	if err := ExportHistory(ctx, cfg, &out, "xml", false); err == nil {
		t.Fatal("an unknown format must be refused")
	}
	out.Reset()
	if err := Status(ctx, cfg, &out); err != nil {
		t.Fatal(err)
	}
	var st wallet.StatusReport
	if err := json.Unmarshal(out.Bytes(), &st); err != nil || !st.Onboarded || len(st.Consents) != 1 || !st.Consents[0].Usable ||
		st.Consents[0].PaymentCount != 2 || len(st.RecentPayments) != 2 || st.Limits.PerPayment != "5000.00" {
		t.Fatalf("status: %v %s", err, out.String())
	}
	if strings.Contains(out.String(), twoPayees()[0].IBAN) || strings.Contains(out.String(), twoPayees()[0].Name) {
		t.Fatal("status holds PII")
	}
}

// assertNotInFiles fails when any needle appears in any file under dir (skipping names in skip).
func assertNotInFiles(t *testing.T, dir string, needles []string, skip map[string]bool) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || skip[d.Name()] {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, n := range needles {
			if n != "" && holds(raw, n) {
				t.Errorf("%s holds a secret (%d bytes long)", path, len(n))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 5 {
		t.Fatalf("only %d files under the data dir; the grep saw nothing", files)
	}
}

// holds reports whether raw contains needle. A short needle (a PIN, a TOTP code) must stand on
// its own: six digits turn up by chance inside base64 key material, where no secret is stored
// in clear anyway.
func holds(raw []byte, needle string) bool {
	if len(needle) >= 12 {
		return bytes.Contains(raw, []byte(needle))
	}
	re := regexp.MustCompile(`(^|[^A-Za-z0-9+/_-])` + regexp.QuoteMeta(needle) + `($|[^A-Za-z0-9+/_-])`)
	return re.Match(raw)
}

// TestDataDirLock: a second App on the same data dir is refused, naming the first one's pid;
// after Close the dir can be opened again.
func TestDataDirLock(t *testing.T) {
	clock := newSCAClock()
	cfg := testConfig(t)
	a := openApp(t, cfg, clock)
	_, err := Open(context.Background(), cfg, testOptions(clock))
	if err == nil || !strings.Contains(err.Error(), "pid ") || !strings.Contains(err.Error(), "another payterm") {
		t.Fatalf("second Open on a locked data dir: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b := openApp(t, cfg, clock)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(cfg.ResolvedDataDir())
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data dir mode: %v %v", err, fi)
	}
	for _, f := range []string{identityFile, signingKeyFile, transportKeyFile, transportCertFile} {
		fi, err := os.Stat(filepath.Join(cfg.ResolvedDataDir(), "tpp", f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("tpp/%s: %v %v", f, err, fi)
		}
	}
}

// The grep must find a secret written in clear, or the test above proves nothing.
func TestHoldsFindsPlainSecrets(t *testing.T) {
	for _, c := range []struct {
		raw, needle string
		want        bool
	}{
		{`{"pin":"730461"}`, "730461", true},
		{"pin=730461\n", "730461", true},
		{"MIIEv730461QkAbc", "730461", false}, // inside base64
		{`{"seed":"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}`, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", true},
	} {
		if got := holds([]byte(c.raw), c.needle); got != c.want {
			t.Errorf("holds(%q, %q) = %v", c.raw, c.needle, got)
		}
	}
}

// TestRedirectChangeUpdatesRegistration: a new bank.redirect_uri re-registers the same client
// (over mTLS, as the sandbox requires), and the bank accepts the new redirect at PAR.
func TestRedirectChangeUpdatesRegistration(t *testing.T) {
	clock := newSCAClock()
	cfg := testConfig(t)
	a := openApp(t, cfg, clock)
	id := a.ClientID()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	cfg.Bank.RedirectURI = "http://127.0.0.1:0/other-callback"
	b := openApp(t, cfg, clock)
	defer b.Close()
	if !b.Registered() || b.ClientID() != id {
		t.Fatalf("redirect change: registered=%v client %q → %q", b.Registered(), id, b.ClientID())
	}
	if c, _ := onboard(t, b.UIWallet(), clock, nil); c.Status != ui.ConsentAuthorized {
		t.Fatalf("consent with the new redirect: %+v", c)
	}
}
