package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/payterm/payterm/config"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// threeBankConfig is testConfig (the embedded UAE bank) with an embedded Berlin Group bank and
// an embedded Fintecture hub, written as a user would.
func threeBankConfig(t *testing.T) config.Config {
	t.Helper()
	cfg := testConfig(t)
	in := "[[banks]]\nid = \"berlin\"\nname = \"Berlin Test Bank\"\nprovider = \"berlin-group\"\nprofile = \"bg\"\n" +
		"account = \"DE40 1001 0010 3307 1186 08\"\naccount_holder = \"Erika Mustermann\"\ncurrency = \"EUR\"\n" +
		"[[banks]]\nid = \"fin\"\nname = \"Fintecture Test Hub\"\nprovider = \"fintecture\"\n" +
		"account = \"FR76 3000 6000 0112 3456 7890 189\"\naccount_holder = \"Camille Martin\"\ncurrency = \"EUR\"\npayer_email = \"camille@example.org\"\n"
	if err := config.Parse([]byte(in), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// payAtFT pays amount from the Fintecture link to a new payee: the wallet's check, then the
// Connect page paid in the "browser", whose return address is pasted back. It returns the
// final event.
func payAtFT(t *testing.T, w ui.Wallet, clock *scaClock, secret, amount, message string) ui.PaymentEvent {
	t.Helper()
	ctx := context.Background()
	pp, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: ftLink(t, w).ID, Amount: amount, Reference: message,
		NewPayee: ui.PayeeDraft{Name: "Boulangerie Paul", IBAN: "FR14 2004 1010 0505 0001 3M02 606"}})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := w.SubmitPayment(ctx, pp.ID, ui.SCAInput{PIN: ui.NewSecret(testPIN), TOTP: ui.NewSecret(clock.nextCode(t, secret))})
	if err != nil {
		t.Fatal(err)
	}
	browsed := false
	return drain(t, ch, func(ev ui.PaymentEvent) {
		if ev.Action == nil || browsed {
			return
		}
		browsed = true
		back := ftBrowse(t, ev.Action.URL, "pay")
		if err := w.ContinuePayment(ctx, pp.ID, ui.BankInput{Kind: ui.ActionRedirect, Secret: ui.NewSecret(back)}); err != nil {
			t.Errorf("ContinuePayment: %v", err)
		}
	})
}

// TestThreeStandardsSideBySide: a wallet with a UAE bank, a Berlin Group bank and a Fintecture
// hub, every one an embedded sandbox. Home's overview and the inspector carry the three banks
// with their standard, currency, approval and signature scheme (from each provider's Caps);
// only Fintecture's message to the payee is required. After a payment at the UAE bank and one
// at Fintecture, History names each payment's bank and the detail its standard; `payterm
// status --json` lists the banks with provider and currency and each consent's and payment's
// provider and currency; `payterm history` (CSV and JSON) carries each row's provider beside
// its currency, without PII.
func TestThreeStandardsSideBySide(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	cfg := threeBankConfig(t)
	a := openApp(t, cfg, clock)
	defer a.Close()
	w := a.UIWallet()
	uae, js := onboard(t, w, clock, twoPayees()[:1])

	ov, err := w.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type want struct{ id, standard, currency, approval, scheme string }
	wants := []want{
		{config.DefaultSandboxID, "UAE Open Finance", "AED", "in payterm (PIN + code)", "JWS PS256 + JWE"},
		{"berlin", "Berlin Group NextGenPSD2", "EUR", "at the bank, each payment", "HTTP signature rsa-sha256 (QSealC)"},
		{"fin", "Fintecture payment session (PSD2 PISP)", "EUR", "at the bank, each payment", "HTTP signature rsa-sha256 (app key)"},
	}
	checkBanks := func(where string, banks []ui.BankOption) {
		t.Helper()
		if len(banks) != len(wants) {
			t.Fatalf("%s: %d banks, want %d: %+v", where, len(banks), len(wants), banks)
		}
		for i, b := range banks {
			tm, w := b.Terms.Resolved(), wants[i]
			if b.ID != w.id || tm.Standard != w.standard || tm.Currency != w.currency || tm.Approval != w.approval || tm.Scheme != w.scheme {
				t.Errorf("%s: bank %d = %s %+v, want %+v", where, i, b.ID, tm, w)
			}
			if tm.Reference.Required != (b.ID == "fin") {
				t.Errorf("%s: %s's reference required = %v", where, b.ID, tm.Reference.Required)
			}
		}
	}
	checkBanks("Overview", ov.Banks)
	in, err := w.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkBanks("Inspect", in.Banks)
	if l := ftLink(t, w); !l.Terms.Reference.Required || l.Terms.Currency != "EUR" {
		t.Errorf("the Fintecture link's terms: %+v", l.Terms)
	}
	if l := bgLink(t, w); l.Terms.Reference.Required {
		t.Errorf("the Berlin Group link asks for a required reference: %+v", l.Terms)
	}

	// Each link's rules say what it is under its own standard; the UAE consent stays Flexi Pay.
	for _, c := range []ui.Consent{uae, bgLink(t, w), ftLink(t, w)} {
		d, err := w.ConsentDetail(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		rules := map[string]string{}
		for _, r := range d.Rules {
			rules[r.Label] = r.Value
		}
		if c.BankID == config.DefaultSandboxID {
			if !strings.Contains(rules["Type"], "delegated SCA") || rules["Purpose"] == "" {
				t.Errorf("the UAE consent's rules: %+v", d.Rules)
			}
			continue
		}
		if strings.Contains(rules["Type"], "delegated") || rules["Purpose"] != "" || rules["Approval"] != "at the bank, each payment; your PIN + code only guard this wallet" ||
			!strings.Contains(rules["Signed with"], "HTTP signature") || !strings.Contains(rules["Amounts"], "EUR") || !strings.Contains(rules["Type"], c.Terms.Standard) {
			t.Errorf("the rules of the link at %s: %+v", c.BankID, d.Rules)
		}
	}

	if last := finalEvent(t, pay(t, w, uae.ID, uae.Creditors[0].ID, "10.00", clock.nextCode(t, js.totpSecret))); last.Receipt == nil || !ui.PaymentPaid(last.Receipt.Status) {
		t.Fatalf("the UAE payment: %+v", last)
	}
	if last := payAtFT(t, w, clock, js.totpSecret, "12.50", "Invoice 42"); last.Receipt == nil || !ui.PaymentPaid(last.Receipt.Status) {
		t.Fatalf("the Fintecture payment: %+v", last)
	}

	page, err := w.History(ctx, ui.HistoryQuery{Limit: 10})
	if err != nil || len(page.Rows) != 2 {
		t.Fatalf("history: %+v %v", page, err)
	}
	ft, ae := page.Rows[0], page.Rows[1]
	if ft.Bank != "Fintecture Test Hub" || ft.Currency != "EUR" || ae.Bank != cfg.Bank.Name || ae.Currency != "AED" {
		t.Fatalf("history rows: %+v / %+v", ft, ae)
	}
	d, err := w.Payment(ctx, ft.ID)
	if err != nil || d.Row.Bank != "Fintecture Test Hub" || d.Terms.Standard != wants[2].standard || d.Terms.Scheme != wants[2].scheme {
		t.Fatalf("the Fintecture payment's detail: %+v %v", d, err)
	}
	if d, err := w.Payment(ctx, ae.ID); err != nil || d.Row.Bank != cfg.Bank.Name || d.Terms.Resolved().Standard != "UAE Open Finance" {
		t.Fatalf("the UAE payment's detail: %+v %v", d, err)
	}

	var out bytes.Buffer
	if err := Status(ctx, cfg, &out); err != nil {
		t.Fatal(err)
	}
	var rep wallet.StatusReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	wantBanks := []wallet.BankReport{{ID: config.DefaultSandboxID, Provider: "uae", Currency: "AED"},
		{ID: "berlin", Provider: "berlin-group", Profile: "bg", Currency: "EUR"}, {ID: "fin", Provider: "fintecture", Currency: "EUR"}}
	if len(rep.Banks) != len(wantBanks) {
		t.Fatalf("status banks %+v", rep.Banks)
	}
	provider := map[string]string{}
	for i, b := range rep.Banks {
		if b != wantBanks[i] {
			t.Errorf("status bank %d = %+v, want %+v", i, b, wantBanks[i])
		}
		provider[b.ID] = b.Provider
	}
	currency := map[string]string{config.DefaultSandboxID: "AED", "berlin": "EUR", "fin": "EUR"}
	if len(rep.Consents) != 3 {
		t.Fatalf("status consents %+v", rep.Consents)
	}
	for _, c := range rep.Consents {
		if c.Provider != provider[c.Bank] || c.Currency != currency[c.Bank] {
			t.Errorf("status consent at %s: provider %q currency %q", c.Bank, c.Provider, c.Currency)
		}
	}
	if len(rep.RecentPayments) != 2 {
		t.Fatalf("status recent payments %+v", rep.RecentPayments)
	}
	for _, p := range rep.RecentPayments {
		if p.Provider != provider[p.Bank] || p.Currency != currency[p.Bank] {
			t.Errorf("status payment at %s: provider %q currency %q", p.Bank, p.Provider, p.Currency)
		}
	}

	out.Reset()
	if err := ExportHistory(ctx, cfg, &out, "csv", false); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("history csv: %v\n%s", err, out.String())
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, r := range rows[1:] {
		if bank := r[col["bank"]]; r[col["provider"]] != provider[bank] || r[col["currency"]] != currency[bank] {
			t.Errorf("history csv row at %s: provider %q currency %q", bank, r[col["provider"]], r[col["currency"]])
		}
	}
	out.Reset()
	if err := ExportHistory(ctx, cfg, &out, "json", false); err != nil {
		t.Fatal(err)
	}
	var js2 []wallet.ExportRow
	if err := json.Unmarshal(out.Bytes(), &js2); err != nil || len(js2) != 2 {
		t.Fatalf("history json: %v\n%s", err, out.String())
	}
	for _, r := range js2 {
		if r.Provider != provider[r.Bank] || r.Currency != currency[r.Bank] {
			t.Errorf("history json row at %s: provider %q currency %q", r.Bank, r.Provider, r.Currency)
		}
	}
	for _, pii := range []string{"Erika", "Camille", "Boulangerie", "DE40", "FR76", "camille@example.org"} {
		if strings.Contains(out.String(), pii) {
			t.Errorf("the history export without PII holds %q", pii)
		}
	}
}

// TestCancelAtTheBankOfferedOnlyWhereItWorks: a payment awaiting the bank's approval offers X
// (ask the bank to cancel it) only at a bank payterm can ask: the Berlin Group bank can, the
// Fintecture hub cannot (X was offered, confirmed, then refused), and a UAE bank's terms keep
// the default.
func TestCancelAtTheBankOfferedOnlyWhereItWorks(t *testing.T) {
	a := openApp(t, threeBankConfig(t), newSCAClock())
	defer a.Close()
	for bank, noCancel := range map[string]bool{"berlin": false, "fin": true} {
		if got := a.termsOf(bank, "EUR").NoCancel; got != noCancel {
			t.Errorf("%s: NoCancel %v, want %v", bank, got, noCancel)
		}
	}
	if a.termsOf("sandbox", "AED").NoCancel {
		t.Error("the UAE bank's terms say it cannot cancel")
	}
}
