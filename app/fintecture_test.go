package app

import (
	"context"
	"encoding/json"
	"fmt"
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
	fthub "github.com/payterm/payterm/sandbox/fintecture"
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
			if outcome == "pay" {
				checkFTInspection(t, w, a)
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

// checkFTInspection: after a Fintecture payment the inspector shows that bank's sequence —
// every step done; the session request with its X-Request-ID, HTTP signature ((request-target)
// with the query, date, digest, x-request-id) and body with the payee marked personal; the
// hub's verdicts (the signature verified; the string it rebuilt is payterm's) — and neither the
// application secret nor the access token.
func checkFTInspection(t *testing.T, w ui.Wallet, a *App) {
	t.Helper()
	in, err := w.Inspect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if in.Standard != "Fintecture payment session (PSD2 PISP)" || !strings.Contains(in.Signing, "(request-target)") || len(in.Steps) != len(ftSequence) {
		t.Fatalf("inspection %q %q %d steps", in.Standard, in.Signing, len(in.Steps))
	}
	for _, st := range in.Steps {
		if st.State != ui.SeqDone {
			t.Errorf("step %q is %v after the payment", st.Name, st.State)
		}
	}
	ses := in.Steps[2].Exchange
	if ses == nil || ses.IDName != "X-Request-ID" || ses.InteractionID == "" || ses.Request != "POST /pis/v2/connect HTTP/1.1" || !strings.Contains(ses.Response, "200") {
		t.Fatalf("session exchange %+v", ses)
	}
	sig := map[string]string{}
	var signed []string
	for _, f := range ses.Signature {
		if f.Name == "signed" {
			signed = append(signed, f.Value)
			continue
		}
		sig[f.Name] = f.Value
	}
	if sig["headers"] != "(request-target) date digest x-request-id" || !strings.HasPrefix(sig["Digest"], "SHA-256=") ||
		len(signed) != 4 || !strings.HasPrefix(signed[0], "(request-target): post /pis/v2/connect?") || !strings.Contains(signed[0], "state=") {
		t.Fatalf("the signature shown: %+v", ses.Signature)
	}
	body := map[string]ui.Field{}
	for _, f := range ses.Body {
		body[f.Name] = f
	}
	if body["data.attributes.amount"].Value != "12.50" || !body["data.attributes.beneficiary.iban"].PII || !body["meta.psu_email"].PII {
		t.Fatalf("the session body: %+v", ses.Body)
	}
	verdicts := map[string]bool{}
	for _, v := range in.Verdicts {
		if strings.HasPrefix(v.Rule, in.Steps[2].Name+" · ") {
			verdicts[strings.TrimPrefix(v.Rule, in.Steps[2].Name+" · ")] = v.Passed
		}
	}
	if !verdicts["rule 12: signature-verifies"] || !verdicts["the hub rebuilt the string payterm signed"] {
		t.Fatalf("the hub's verdicts on the session: %v", verdicts)
	}
	all := fmt.Sprintf("%+v", in)
	app, err := ftAppRecordFor(filepath.Join(a.DataDir(), "banks", "fin", ftAppDir, ftAppRecord))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(all, app.AppSecret) {
		t.Fatal("the inspection holds the application secret")
	}
	for _, st := range in.Steps[1:] {
		if st.Exchange == nil {
			continue
		}
		for _, h := range st.Exchange.Headers {
			if h.Name == "Authorization" && (!h.Secret || (h.Value != "Bearer [secret]" && h.Value != "Basic [secret]")) {
				t.Fatalf("%s: the Authorization header shown is %+v", st.Name, h)
			}
		}
	}
}

// ftLink is the wallet's link to the Fintecture bank.
func ftLink(t *testing.T, w ui.Wallet) ui.Consent {
	t.Helper()
	cs, err := w.Consents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.BankID == "fin" && c.Status == ui.ConsentAuthorized {
			return c
		}
	}
	t.Fatalf("no Fintecture link in %+v", cs)
	return ui.Consent{}
}

// ftSessions counts the sessions the hub holds on disk (its state survives it).
func ftSessions(t *testing.T, a *App) int {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(a.DataDir(), "banks", "fin", ftHubDir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Sessions map[string]json.RawMessage `json:"sessions"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	return len(st.Sessions)
}

// drain submits pp and reads its events to the end, calling each for every event.
func drain(t *testing.T, ch <-chan ui.PaymentEvent, each func(ui.PaymentEvent)) ui.PaymentEvent {
	t.Helper()
	var last ui.PaymentEvent
	timeout := time.After(60 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return last
			}
			last = ev
			if each != nil {
				each(ev)
			}
		case <-timeout:
			t.Fatalf("the payment did not finish; last event %+v", last)
		}
	}
}

// TestFintectureLostAnswerIsNeverSentAgain: the hub opens the session and the answer is lost.
// The payment is Unknown, the wallet says it will not send it again, and it does not — not in
// this run, and not after a restart: the hub holds exactly one session for it.
func TestFintectureLostAnswerIsNeverSentAgain(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	cfg := ftConfig(t)
	a := openApp(t, cfg, clock)
	defer func() { a.Close() }()
	w := a.UIWallet()
	_, js := onboard(t, w, clock, twoPayees()[:1])
	if err := a.banks[1].ft.hub.InjectFault(fthub.Fault{Kind: fthub.FaultDropAnswer, Count: 1}); err != nil {
		t.Fatal(err)
	}
	pp, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: ftLink(t, w).ID, Amount: "12.50", Reference: "Invoice 42",
		NewPayee: ui.PayeeDraft{Name: "Boulangerie Paul", IBAN: "FR14 2004 1010 0505 0001 3M02 606"}})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := w.SubmitPayment(ctx, pp.ID, ui.SCAInput{PIN: ui.NewSecret(testPIN), TOTP: ui.NewSecret(clock.nextCode(t, js.totpSecret))})
	if err != nil {
		t.Fatal(err)
	}
	last := drain(t, ch, nil)
	if !last.Final || last.Err == nil || !strings.Contains(last.Err.Error(), "will not send it again") {
		t.Fatalf("final event %+v", last)
	}
	page, err := w.History(ctx, ui.HistoryQuery{Limit: 1})
	if err != nil || len(page.Rows) != 1 || page.Rows[0].Status != ui.PaymentUnknown {
		t.Fatalf("history %+v %v", page, err)
	}
	if n := ftSessions(t, a); n != 1 {
		t.Fatalf("the hub holds %d sessions, want 1", n)
	}
	a.Close()
	a = openApp(t, cfg, clock)
	w = a.UIWallet()
	time.Sleep(2 * time.Second) // the background resume runs at start
	page, err = w.History(ctx, ui.HistoryQuery{Limit: 1})
	if err != nil || len(page.Rows) != 1 || page.Rows[0].Status != ui.PaymentUnknown {
		t.Fatalf("history after restart %+v %v", page, err)
	}
	if n := ftSessions(t, a); n != 1 {
		t.Fatalf("after a restart the hub holds %d sessions, want 1", n)
	}
}

// TestFintecturePaymentWaitingSurvivesARestart: the payer stops watching while the Connect page
// waits, payterm restarts (the hub listens where it did, so the page still opens), the payer
// pays on the page, and asking again (ApproveAgain) shows the payment executed.
func TestFintecturePaymentWaitingSurvivesARestart(t *testing.T) {
	clock := newSCAClock()
	cfg := ftConfig(t)
	a := openApp(t, cfg, clock)
	defer func() { a.Close() }()
	w := a.UIWallet()
	_, js := onboard(t, w, clock, twoPayees()[:1])
	ctx, stop := context.WithCancel(context.Background())
	pp, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: ftLink(t, w).ID, Amount: "12.50", Reference: "Invoice 42",
		NewPayee: ui.PayeeDraft{Name: "Boulangerie Paul", IBAN: "FR14 2004 1010 0505 0001 3M02 606"}})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := w.SubmitPayment(ctx, pp.ID, ui.SCAInput{PIN: ui.NewSecret(testPIN), TOTP: ui.NewSecret(clock.nextCode(t, js.totpSecret))})
	if err != nil {
		t.Fatal(err)
	}
	var page string
	drain(t, ch, func(ev ui.PaymentEvent) {
		if ev.Action != nil && ev.Action.Kind == ui.ActionRedirect {
			page = ev.Action.URL
			stop() // esc: stop watching; the session waits on the hub
		}
	})
	stop()
	if page == "" {
		t.Fatal("the Connect page was never shown")
	}
	a.Close()
	a = openApp(t, cfg, clock)
	w = a.UIWallet()
	if back := ftBrowse(t, page, "pay"); back == "" {
		t.Fatal("the page, after the restart, did not send the browser back")
	}
	hist, err := w.History(context.Background(), ui.HistoryQuery{Limit: 1})
	if err != nil || len(hist.Rows) != 1 {
		t.Fatalf("history %+v %v", hist, err)
	}
	row := hist.Rows[0]
	// The background resume may have polled the hub already; otherwise the payer asks again.
	if row.Status != ui.PaymentAwaitingBankSCA && row.Status != ui.PaymentExecuted {
		t.Fatalf("after the restart the payment is %s", row.Status)
	}
	t.Logf("after the restart: %s", row.Status)
	if row.Status == ui.PaymentExecuted && row.BankStatus != "payment_created" {
		t.Fatalf("executed with %q", row.BankStatus)
	}
	if row.Status == ui.PaymentAwaitingBankSCA {
		_, ch, err := w.(ui.ApprovalResumer).ApproveAgain(context.Background(), row.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := drain(t, ch, nil)
		if !last.Final || last.Receipt == nil || last.Receipt.BankStatus != "payment_created" {
			t.Fatalf("asked again: %+v", last)
		}
	}
	if n := ftSessions(t, a); n != 1 {
		t.Fatalf("the hub holds %d sessions, want 1", n)
	}
}
