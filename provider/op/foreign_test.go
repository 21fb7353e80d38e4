package op

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/provider"
)

// foreignIntent is a foreign payment to a payee abroad, as the core hands it over after
// CheckPayee stored the payee's bank and address.
func foreignIntent(t testing.TB, c *Bank, amount, currency string) provider.Intent {
	t.Helper()
	a, _ := money.ParseWire(amount)
	payee, err := c.CheckPayee(provider.Party{Name: " Acme Corp ", Account: "GB29 NWBK 6016 1331 9268 19", BIC: "CHASUS33",
		Address: []string{"1 Main Street", "Springfield"}, Country: "US"}, ForeignProductID)
	if err != nil {
		t.Fatal(err)
	}
	return provider.Intent{Product: ForeignProductID, Amount: provider.Money{Amount: a, Currency: currency},
		Creditor:  provider.Party{Name: payee.Name, Account: payee.Account, Scheme: payee.Scheme, Wire: payee.Wire},
		Reference: "Invoice 42", IdempotencyKey: uuid.NewString()}
}

func TestCapsOfferForeignPayments(t *testing.T) {
	j := newJourney(t, "")
	caps := j.client.Caps()
	if len(caps.Products) != 2 || caps.Products[0].ID != ProductID || caps.Products[1].ID != ForeignProductID {
		t.Fatalf("products %+v", caps.Products)
	}
	f := caps.Products[1]
	if f.Creditor != provider.SchemeIBAN || !strings.Contains(strings.Join(f.Currencies, ","), "USD") || f.Currencies[0] != "EUR" {
		t.Fatalf("foreign product %+v", f)
	}
}

func TestForeignBodyIsWhatWasChecked(t *testing.T) {
	j := newJourney(t, "")
	in := foreignIntent(t, j.client, "125.50", "USD")
	req, err := j.client.Build(context.Background(), in, provider.Evidence{}, provider.Facts{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := decodeStored(req.Bytes)
	if err != nil || !st.Foreign || st.Currency != "USD" || st.Amount != "125.50" {
		t.Fatalf("stored %+v %v", st, err)
	}
	want := `{"detailsOfCharges":"SHA","paymentOrder":"NORM","amount":"125.50","currency":"USD","payee":{"bankAccount":{"id":"GB29NWBK60161331926819","schemeName":"IBAN"},` +
		`"name":"Acme Corp","financialInstitution":{"bic":"CHASUS33"},"foreignAddress":{"addressLine1":"1 Main Street","addressLine2":"Springfield","country":"US"}},"message":"Invoice 42"}`
	if string(st.Body) != want {
		t.Fatalf("body\n%s\nwant\n%s", st.Body, want)
	}
}

func TestCheckPayeeForeign(t *testing.T) {
	j := newJourney(t, "")
	base := provider.Party{Name: "Acme", Account: "GB29NWBK60161331926819", BIC: "CHASUS33", Country: "US"}
	for name, mut := range map[string]func(*provider.Party){
		"no bic":       func(p *provider.Party) { p.BIC = "" },
		"bad bic":      func(p *provider.Party) { p.BIC = "chasus33" },
		"no country":   func(p *provider.Party) { p.Country = "" },
		"bad country":  func(p *provider.Party) { p.Country = "USA" },
		"3 lines":      func(p *provider.Party) { p.Address = []string{"a", "b", "c"} },
		"long line":    func(p *provider.Party) { p.Address = []string{strings.Repeat("x", 36)} },
		"blank line":   func(p *provider.Party) { p.Address = []string{" "} },
		"control line": func(p *provider.Party) { p.Address = []string{"a\x1bb"} },
		"bad iban":     func(p *provider.Party) { p.Account = "GB29NWBK60161331926818" },
		"no name":      func(p *provider.Party) { p.Name = "  " },
		"bidi name":    func(p *provider.Party) { p.Name = "A\u202eB" },
	} {
		p := base
		mut(&p)
		if _, err := j.client.CheckPayee(p, ForeignProductID); err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "GB29") || strings.Contains(err.Error(), "Acme") {
			t.Errorf("%s: the refusal quotes the payee: %v", name, err)
		}
	}
	// A SEPA payee names no bank or address; it stores nothing beside its IBAN and name.
	if _, err := j.client.CheckPayee(base, ProductID); err == nil {
		t.Fatal("a SEPA payee with a BIC was accepted")
	}
	p, err := j.client.CheckPayee(provider.Party{Name: " Matti ", Account: "FI49 5000 9420 0287 30"}, ProductID)
	if err != nil || p.Name != "Matti" || p.Account != "FI4950009420028730" || p.Wire != nil {
		t.Fatalf("sepa payee %+v %v", p, err)
	}
	if _, err := j.client.CheckPayee(base, "domestic"); err == nil {
		t.Fatal("an unknown product was accepted")
	}
}

func TestForeignBuildRefuses(t *testing.T) {
	j := newJourney(t, "")
	ctx := context.Background()
	for name, mut := range map[string]func(*provider.Intent){
		"currency":        func(in *provider.Intent) { in.Amount.Currency = "XAU" },
		"no message":      func(in *provider.Intent) { in.Reference = "" },
		"damaged wire":    func(in *provider.Intent) { in.Creditor.Wire = []byte(`{"v":1,"bic":"x","country":"US"}`) },
		"purpose":         func(in *provider.Intent) { in.Purpose = "GDDS" },
		"bban scheme":     func(in *provider.Intent) { in.Creditor.Scheme = provider.SchemeNorwayBBAN },
		"no wire nor bic": func(in *provider.Intent) { in.Creditor.Wire = nil },
	} {
		in := foreignIntent(t, j.client, "10.00", "USD")
		mut(&in)
		if _, err := j.client.Build(ctx, in, provider.Evidence{}, provider.Facts{}); err == nil {
			t.Errorf("%s: built", name)
		}
	}
}

func TestJourneyForeignPayment(t *testing.T) {
	j := newJourney(t, "")
	ctx := context.Background()
	in := foreignIntent(t, j.client, "125.50", "USD")
	req, err := j.client.Build(ctx, in, provider.Evidence{}, provider.Facts{})
	if err != nil {
		t.Fatal(err)
	}
	p := provider.Payment{Amount: in.Amount, Request: req}
	if p.State, err = j.client.Send(ctx, p); err != nil {
		t.Fatal(err)
	}
	if p.State.Status != provider.StatusAwaitingBankSCA || !mustMemo(t, p.State).Foreign {
		t.Fatalf("created %+v", p.State)
	}
	// A lost create answer: the same bytes under the same key return the same payment.
	again, err := j.client.Lookup(ctx, p)
	if err != nil || again.BankRef != p.State.BankRef {
		t.Fatalf("lookup %+v %v", again, err)
	}
	st, act, err := j.client.Approve(ctx, p, provider.Input{})
	if err != nil {
		t.Fatal(err)
	}
	p.State = st
	st, act, err = j.client.Approve(ctx, p, provider.Input{CallbackURL: j.browse(act, "approve", nil)})
	if err != nil || act != nil || st.BankStatus != "Accepted" {
		t.Fatalf("approve %+v %+v %v", st, act, err)
	}
	p.State = st
	if st, err = j.client.Status(ctx, p); err != nil || st.Status != provider.StatusExecuted || !st.Final {
		t.Fatalf("status %+v %v", st, err)
	}
	if d := j.bank.PaymentDebits(st.BankRef); d != 1 {
		t.Fatalf("debited %d times", d)
	}
	j.allPassed()
}

func TestJourneyForeignPaymentCancelled(t *testing.T) {
	j := newJourney(t, "")
	ctx := context.Background()
	in := foreignIntent(t, j.client, "20.00", "SEK")
	req, err := j.client.Build(ctx, in, provider.Evidence{}, provider.Facts{})
	if err != nil {
		t.Fatal(err)
	}
	p := provider.Payment{Amount: in.Amount, Request: req}
	if p.State, err = j.client.Send(ctx, p); err != nil {
		t.Fatal(err)
	}
	st, _, err := j.client.Cancel(ctx, p)
	if err != nil || st.Status != provider.StatusCancelled || !st.Final {
		t.Fatalf("cancel %+v %v", st, err)
	}
	j.allPassed()
}

// OP never bundles a foreign payment with SEPA payments: CreateBundle refuses before anything
// is created.
func TestCreateBundleRefusesAForeignPayment(t *testing.T) {
	j := newJourney(t, "")
	_, err := j.client.CreateBundle(context.Background(), []provider.Intent{jintent("3.00"), foreignIntent(t, j.client, "5.00", "USD")})
	if !errors.Is(err, ErrBundleMix) {
		t.Fatalf("err %v", err)
	}
	if len(j.bank.Verdicts()) != 0 {
		t.Fatal("the bundle went to the bank")
	}
	// The wallet's path (provider.Bundler) refuses it too, before anything is signed.
	if _, err := j.client.BuildBundled(context.Background(), foreignIntent(t, j.client, "5.00", "USD"), provider.Evidence{}, provider.Facts{}, nil); !errors.Is(err, ErrBundleMix) {
		t.Fatalf("BuildBundled of a foreign payment: %v", err)
	}
}

// A foreign payment never goes through the exemption flow, even with TryExemption and a bank
// approval held: it waits for OP's page.
func TestForeignPaymentSkipsTheExemption(t *testing.T) {
	j := newJourney(t, "")
	ctx := context.Background()
	j.sca()
	j.client.cfg.TryExemption = true
	in := foreignIntent(t, j.client, "5.00", "EUR")
	req, err := j.client.Build(ctx, in, provider.Evidence{}, provider.Facts{})
	if err != nil {
		t.Fatal(err)
	}
	p := provider.Payment{Amount: in.Amount, Request: req}
	if _, err := j.client.SendExempt(ctx, p, j.clk.Now()); !errors.Is(err, ErrExemptionRefused) || !errors.Is(err, provider.ErrNotProcessed) {
		t.Fatalf("SendExempt %v", err)
	}
	st, err := j.client.Send(ctx, p)
	if err != nil || st.Status != provider.StatusAwaitingBankSCA || mustMemo(t, st).Exempt {
		t.Fatalf("send %+v %v", st, err)
	}
	for _, v := range j.bank.Verdicts() {
		if strings.Contains(v.Endpoint, "token") && v.Status != 200 {
			t.Fatalf("a token call failed: %+v", v)
		}
	}
	j.allPassed()
}

func TestDecodeForeignPayment(t *testing.T) {
	b := []byte(`{"paymentId":"p1","authorizationId":"a1","status":"Unauthorized","created":"x","modified":"y","detailsOfCharges":"SHA",` +
		`"paymentOrder":"NORM","amount":"125.50","currency":"USD","count":1,"paymentType":"ForeignPayment","message":"m",` +
		`"payee":{"name":"n","bankAccount":{"id":"GB29NWBK60161331926819","schemeName":"IBAN"},"financialInstitution":{"bic":"CHASUS33"},"foreignAddress":{"country":"US"}}}`)
	p, err := DecodeForeignPayment(b)
	if err != nil || p.AmountEUR.Wire() != "125.50" || p.Currency != "USD" || p.PayeeIBAN != "GB29NWBK60161331926819" || p.PaymentOrder != "NORM" {
		t.Fatalf("%+v %v", p, err)
	}
	for _, bad := range []string{
		strings.Replace(string(b), `"ForeignPayment"`, `"SepaPayment"`, 1),
		strings.Replace(string(b), `"count":1`, `"count":2`, 1),
		strings.Replace(string(b), `"USD"`, `"usd"`, 1),
		strings.Replace(string(b), `"125.50"`, `"125.5"`, 1),
		strings.Replace(string(b), `"NORM"`, `"SEPA"`, 1),
		strings.Replace(string(b), `"Unauthorized"`, `"Paid"`, 1),
		`{"paymentId":"p1","authorizationId":"a1","status":"Unauthorized","amountEUR":"4.00","paymentType":"SepaPayment"}`,
	} {
		if _, err := DecodeForeignPayment([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
