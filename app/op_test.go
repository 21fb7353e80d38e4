package app

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/ui"
)

// opConfig is testConfig with an OP bank (the embedded bank) added as a user would.
func opConfig(t testing.TB) config.Config {
	t.Helper()
	cfg := testConfig(t)
	in := "[[banks]]\nid = \"op\"\nname = \"OP Test Bank\"\nprovider = \"op\"\nredirect_uri = \"https://127.0.0.1:8443/op/back\"\n" +
		"account = \"FI49 5000 9420 0287 30\"\naccount_holder = \"Matti Meikäläinen\"\ncurrency = \"EUR\"\n"
	if err := config.Parse([]byte(in), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

var opPageField = regexp.MustCompile(`name="page" value="([^"]+)"`)
var opApproveBox = regexp.MustCompile(`name="approve" value="([^"]+)"`)

// opBrowse plays the payer's browser on OP's page: it opens it, approves every payment shown
// (or rejects), and returns the address OP sends the browser to.
func opBrowse(t testing.TB, pageURL, outcome string) string {
	t.Helper()
	resp, err := http.Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := opPageField.FindSubmatch(page)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("OP's page: %d %s", resp.StatusCode, page)
	}
	f := url.Values{"page": {string(m[1])}, "outcome": {outcome}}
	for _, b := range opApproveBox.FindAllSubmatch(page, -1) {
		f.Add("approve", string(b[1]))
	}
	u, _ := url.Parse(pageURL)
	nr := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = nr.PostForm(u.Scheme+"://"+u.Host+"/oauth/authorize", f)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get("Location")
}

// TestOPPayments: a wallet with the UAE sandbox and an OP bank from the config. Open links the
// configured account under OP's terms; a payment from it runs the wallet's check, then OP's
// page (approved: the address pasted into the wallet; or rejected), then the submission.
func TestOPPayments(t *testing.T) {
	for _, outcome := range []string{"approve", "reject"} {
		t.Run(outcome, func(t *testing.T) {
			ctx := context.Background()
			clock := newSCAClock()
			cfg := opConfig(t)
			a := openApp(t, cfg, clock)
			defer a.Close()
			w := a.UIWallet()
			_, js := onboard(t, w, clock, twoPayees()[:1])
			cs, err := w.Consents(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var link ui.Consent
			for _, c := range cs {
				if c.BankID == "op" && c.Status == ui.ConsentAuthorized {
					link = c
				}
			}
			if link.ID == "" || link.Terms.Standard != "OP PSD2 Payment Initiation v1" || link.Terms.Currency != "EUR" ||
				link.Terms.WalletSCA != ui.SCAWalletOnly || len(link.Terms.Products) != 2 || link.Terms.Products[0].ID != "sepa-payments" ||
				link.Terms.Products[1].ID != "foreign-payments" || !strings.Contains(link.Terms.Signing, "detached JWS") {
				t.Fatalf("the OP link: %+v", link)
			}
			pp, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: link.ID, Amount: "12.50", Reference: "Invoice 42",
				NewPayee: ui.PayeeDraft{Name: "Kahvila Oy", IBAN: "FI21 1234 5600 0007 85"}})
			if err != nil {
				t.Fatal(err)
			}
			ch, err := w.SubmitPayment(ctx, pp.ID, ui.SCAInput{PIN: ui.NewSecret(testPIN), TOTP: ui.NewSecret(clock.nextCode(t, js.totpSecret))})
			if err != nil {
				t.Fatal(err)
			}
			bank := a.banks[1].op.bank
			browsed := false
			last := drain(t, ch, func(ev ui.PaymentEvent) {
				if ev.Action == nil || browsed {
					return
				}
				if ev.Action.Kind != ui.ActionRedirect || !ev.Action.NeedsCallback || !strings.Contains(ev.Action.URL, "/oauth/authorize?") {
					t.Errorf("the wallet showed %+v, want OP's page", ev.Action)
					return
				}
				browsed = true
				back := opBrowse(t, ev.Action.URL, outcome)
				if err := w.ContinuePayment(ctx, pp.ID, ui.BankInput{Kind: ui.ActionRedirect, Secret: ui.NewSecret(back)}); err != nil {
					t.Errorf("ContinuePayment: %v", err)
				}
			})
			if !browsed || !last.Final || last.Receipt == nil {
				t.Fatalf("final event %+v", last)
			}
			r := last.Receipt
			switch outcome {
			case "reject":
				// OP's Rejected reads as the wallet's own word: shown once.
				if r.Status != "Rejected" || r.BankStatus != "" || ui.PaymentPaid(r.Status) || !strings.Contains(r.Reason, "rejected the payment at OP") {
					t.Fatalf("receipt %+v", r)
				}
			default:
				if r.BankStatus != "Submitted" || !ui.PaymentPaid(r.Status) || r.Currency != "EUR" || bank.Payments() != 1 {
					t.Fatalf("receipt %+v", r)
				}
			}
			for _, v := range bank.Verdicts() {
				if f := v.Failed(); f != nil {
					t.Fatalf("the bank refused a %s request: rule %d %s", v.Endpoint, f.Rule, f.Name)
				}
			}
			dir := filepath.Join(cfg.ResolvedDataDir(), "banks", "op")
			if fi, err := os.Stat(filepath.Join(dir, opAppDir, opAppKey)); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("the signing key: %v %v", fi, err)
			}
		})
	}
}

func TestOPConfigIsChecked(t *testing.T) {
	cfg := testConfig(t)
	in := "[[banks]]\nid = \"op\"\nname = \"O\"\nprovider = \"op\"\naccount = \"FI49 5000 9420 0287 30\"\n" +
		"account_holder = \"Matti\"\ncurrency = \"SEK\"\nprofile = \"bg\"\n"
	err := config.Parse([]byte(in), &cfg)
	if err == nil {
		t.Fatal("accepted an OP bank in SEK, with a Berlin Group profile and an http redirect_uri")
	}
	for _, k := range []string{"currency", "profile", "redirect_uri"} {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("the error does not name %s: %v", k, err)
		}
	}
}
