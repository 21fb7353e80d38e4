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
	"time"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/ui"
)

// ftConfig is testConfig with a Fintecture bank (the embedded hub) added as a user would.
func ftConfig(t *testing.T) config.Config {
	t.Helper()
	cfg := testConfig(t)
	in := "[[banks]]\nid = \"fin\"\nname = \"Fintecture Test Hub\"\nprovider = \"fintecture\"\n" +
		"account = \"FR76 3000 6000 0112 3456 7890 189\"\naccount_holder = \"Camille Martin\"\ncurrency = \"EUR\"\npayer_email = \"camille@example.org\"\n"
	if err := config.Parse([]byte(in), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

var ftPageForm = regexp.MustCompile(`name="page" value="([0-9a-f]+)"`)

// ftBrowse plays the payer's browser on the Connect page: load it, submit its form with
// outcome; it returns where the browser is sent ("" when nowhere).
func ftBrowse(t *testing.T, pageURL, outcome string) string {
	t.Helper()
	resp, err := http.Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := ftPageForm.FindSubmatch(page)
	if m == nil {
		t.Fatalf("the Connect page has no form: %s", page)
	}
	nr := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = nr.PostForm(pageURL, url.Values{"page": {string(m[1])}, "outcome": {outcome}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get("Location")
}

// TestFintecturePayments: a wallet with the UAE sandbox and a Fintecture bank from the config.
// Open links the configured account under Fintecture's terms; a payment from it runs the
// wallet's check, then the Connect page: paid with the browser sent back (the address pasted
// into the wallet), or paid with the tab closed (the wallet finds out by polling), or refused.
func TestFintecturePayments(t *testing.T) {
	for _, outcome := range []string{"pay", "leave", "deny"} {
		t.Run(outcome, func(t *testing.T) {
			ctx := context.Background()
			clock := newSCAClock()
			cfg := ftConfig(t)
			a := openApp(t, cfg, clock)
			defer a.Close()
			w := a.UIWallet()
			banks, err := w.Banks(ctx)
			if err != nil || len(banks) != 1 {
				t.Fatalf("a consent can be set up at the UAE bank only: %+v %v", banks, err)
			}
			_, js := onboard(t, w, clock, twoPayees()[:1])
			cs, err := w.Consents(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var link ui.Consent
			for _, c := range cs {
				if c.BankID == "fin" && c.Status == ui.ConsentAuthorized {
					link = c
				}
			}
			if link.ID == "" || link.Terms.Standard != "Fintecture payment session (PSD2 PISP)" || link.Terms.Currency != "EUR" ||
				link.Terms.WalletSCA != ui.SCAWalletOnly || len(link.Terms.Products) != 1 || !strings.Contains(link.Terms.Signing, "(request-target)") {
				t.Fatalf("the Fintecture link: %+v", link)
			}
			pp, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: link.ID, Amount: "12.50", Reference: "Invoice 42",
				NewPayee: ui.PayeeDraft{Name: "Boulangerie Paul", IBAN: "FR14 2004 1010 0505 0001 3M02 606"}})
			if err != nil {
				t.Fatal(err)
			}
			ch, err := w.SubmitPayment(ctx, pp.ID, ui.SCAInput{PIN: ui.NewSecret(testPIN), TOTP: ui.NewSecret(clock.nextCode(t, js.totpSecret))})
			if err != nil {
				t.Fatal(err)
			}
			hub := a.banks[1].ft.hub
			var last ui.PaymentEvent
			browsed := false
			timeout := time.After(60 * time.Second)
		loop:
			for {
				select {
				case ev, ok := <-ch:
					if !ok {
						break loop
					}
					last = ev
					if ev.Action == nil || browsed {
						continue
					}
					if ev.Action.Kind != ui.ActionRedirect || !strings.HasPrefix(ev.Action.URL, hub.URL()+"/connect/") {
						t.Fatalf("the wallet showed %+v, want the Connect page", ev.Action)
					}
					browsed = true
					back := ftBrowse(t, ev.Action.URL, outcome)
					if outcome == "leave" {
						continue // the tab is closed: nothing comes back
					}
					if err := w.ContinuePayment(ctx, pp.ID, ui.BankInput{Kind: ui.ActionRedirect, Secret: ui.NewSecret(back)}); err != nil {
						t.Fatalf("ContinuePayment: %v", err)
					}
				case <-timeout:
					t.Fatalf("the payment did not finish; last event %+v", last)
				}
			}
			if !browsed || !last.Final || last.Receipt == nil {
				t.Fatalf("final event %+v", last)
			}
			r := last.Receipt
			switch outcome {
			case "deny":
				if r.BankStatus != "payment_unsuccessful" || ui.PaymentPaid(r.Status) {
					t.Fatalf("receipt %+v", r)
				}
			default:
				if r.BankStatus != "payment_created" || !ui.PaymentPaid(r.Status) || r.Currency != "EUR" {
					t.Fatalf("receipt %+v", r)
				}
			}
			for _, v := range hub.Verdicts("") {
				if f := v.Failed(); f != nil {
					t.Fatalf("the hub refused a %s request: rule %d %s", v.Endpoint, f.Rule, f.Name)
				}
			}
			dir := filepath.Join(cfg.ResolvedDataDir(), "banks", "fin")
			if fi, err := os.Stat(filepath.Join(dir, ftAppDir, ftAppKey)); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("the application key: %v %v", fi, err)
			}
		})
	}
}

func TestFintectureConfigIsChecked(t *testing.T) {
	cfg := testConfig(t)
	in := "[[banks]]\nid = \"fin\"\nname = \"F\"\nprovider = \"fintecture\"\naccount = \"FR76 3000 6000 0112 3456 7890 189\"\n" +
		"account_holder = \"Camille Martin\"\ncurrency = \"GBP\"\nprofile = \"bg\"\n"
	if err := config.Parse([]byte(in), &cfg); err == nil {
		t.Fatal("accepted a Fintecture bank without payer_email, in GBP, with a Berlin Group profile")
	} else {
		for _, k := range []string{"payer_email", "currency", "profile"} {
			if !strings.Contains(err.Error(), k) {
				t.Errorf("the error does not name %s: %v", k, err)
			}
		}
	}
}
