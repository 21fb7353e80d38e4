package ui

import (
	"errors"
	"strings"
	"testing"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/money"
)

// TestParseAmountIn: in AED it is money.ParseInput exactly; in another currency its own code is
// read as it, and any other code or currency sign is refused with a sentence naming the
// payment's currency — "AED 12" on a EUR payment is never 12 EUR.
func TestParseAmountIn(t *testing.T) {
	for _, c := range []struct {
		in, cur, want, refusal string
	}{
		{"12.50", "EUR", "12.50", ""},
		{"eur 12", "EUR", "12.00", ""},
		{"12 EUR", "EUR", "12.00", ""},
		{"1,250.5", "NOK", "1250.50", ""},
		{"١٢", "GEL", "12.00", ""},
		{"AED 12", "EUR", "", "This payment is in EUR"},
		{"12 aed", "EUR", "", "This payment is in EUR"},
		{"12 د.إ", "EUR", "", "This payment is in EUR"},
		{"€12", "EUR", "", "This payment is in EUR"},
		{"USD 12", "NOK", "", "This payment is in NOK"},
		{"EURO 12", "EUR", "", "characters that are not digits"},
		{"12.505", "EUR", "", "type the cents with 2 digits"},
		{"12.505", "NOK", "", "type the øre with 2 digits"},
		{"12.505", "AED", "", "type the fils with 2 digits"},
		{"AED 12", "", "12.00", ""}, // "" is AED
		{"AED 12", "AED", "12.00", ""},
		{"EUR 12", "AED", "", "payterm pays in AED only"},
	} {
		a, err := parseAmountIn(c.in, c.cur)
		switch {
		case c.refusal == "" && (err != nil || a.String() != c.want):
			t.Errorf("parseAmountIn(%q, %q) = %v, %v; want %s", c.in, c.cur, a, err, c.want)
		case c.refusal != "" && (err == nil || !strings.Contains(amountSentenceIn(err, c.cur), c.refusal)):
			t.Errorf("parseAmountIn(%q, %q) = %v, %v; want the refusal %q", c.in, c.cur, a, err, c.refusal)
		}
	}
	// AED is ParseInput, refusal for refusal.
	for _, in := range []string{"", "-5", "1e9", "1,5", "0", strings.Repeat("9", 41)} {
		_, want := money.ParseInput(in)
		_, got := parseAmountIn(in, "AED")
		if (want == nil) != (got == nil) || (want != nil && amountSentence(want) != amountSentence(got)) {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
	var ie *money.InputError
	if _, err := parseAmountIn(strings.Repeat("1", 41), "EUR"); !errors.As(err, &ie) {
		t.Errorf("a paste over the limit is refused as too long in EUR too: %v", err)
	}
}

// TestAccountFeedback: the as-you-type feedback and the full check follow the product's scheme.
func TestAccountFeedback(t *testing.T) {
	for _, c := range []struct {
		scheme     AccountScheme
		in, want   string
		valid      bool
		normalised string
	}{
		{AccountUAEIBAN, "AE07 0331", "", false, ""},
		{AccountUAEIBAN, "GB29", "starts with AE", false, ""},
		{AccountUAEIBAN, "AE070331234567890123456", "", true, "AE070331234567890123456"},
		{AccountIBAN, "de89 3704 0044 0532 0130 00", "", true, "DE89370400440532013000"},
		{AccountIBAN, "DE89 3704", "", false, ""},
		{AccountIBAN, "12", "starts with a country code, like DE", false, ""},
		{AccountIBAN, "QQ12", "no country's IBAN starts with QQ", false, ""},
		{AccountIBAN, "DEX9", "2 check digits after DE", false, ""},
		{AccountIBAN, "DE89 3704 0044 0532 0130 001", "an IBAN from DE has 22 characters", false, ""},
		{AccountIBAN, "DE88370400440532013000", "check digits do not match", false, ""},
		{AccountIBAN, "GE29NB0000000101904917", "", true, "GE29NB0000000101904917"},
		{"IBAN:GE", "DE89370400440532013000", "starts with GE", false, ""},
		{"IBAN:GE", "GE29NB0000000101904917", "", true, "GE29NB0000000101904917"},
		{AccountNorwegianBBAN, "1234 56 78903", "", true, "12345678903"},
		{AccountNorwegianBBAN, "1234.56", "digits only", false, ""},
		{AccountNorwegianBBAN, "12345678904", "check digit does not match", false, ""},
		{AccountNorwegianBBAN, "123456789031", "a Norwegian account number has 11 digits", false, ""},
	} {
		if got := accountFeedback(c.scheme, c.in); got != c.want {
			t.Errorf("accountFeedback(%s, %q) = %q, want %q", c.scheme, c.in, got, c.want)
		}
		if got := accountValid(c.scheme, c.in); got != c.valid {
			t.Errorf("accountValid(%s, %q) = %v", c.scheme, c.in, got)
		}
		if c.valid {
			if got := normalAccount(c.scheme, c.in); got != c.normalised {
				t.Errorf("normalAccount(%s, %q) = %q", c.scheme, c.in, got)
			}
		}
	}
	if got := groupAccount(AccountNorwegianBBAN, "12345678903"); got != "1234 56 78903" {
		t.Errorf("groupAccount = %q", got)
	}
	if got := accountLabel(AccountNorwegianBBAN); got != "Account no." {
		t.Errorf("label = %q", got)
	}
}

// TestBigTextCurrencies: every letter of an ISO 4217 code has a glyph three cells wide, and no
// two letters or digits look alike (S and 5 excepted: they were one glyph already and never
// share a position — the figures come before the code).
func TestBigTextCurrencies(t *testing.T) {
	seen := map[[3]string]rune{}
	for r := 'A'; r <= 'Z'; r++ {
		g, ok := bigGlyphs[r]
		if !ok {
			t.Fatalf("no glyph for %c", r)
		}
		for _, row := range g {
			if displayWidth(row) != 3 {
				t.Errorf("%c: row %q is not 3 cells", r, row)
			}
		}
	}
	for r, g := range bigGlyphs {
		if o, dup := seen[g]; dup && !(r == 'S' && o == '5' || r == '5' && o == 'S') {
			t.Errorf("%c and %c share a glyph", r, o)
		}
		seen[g] = r
	}
	if b := bigText("12.50 NOK"); strings.Contains(b, "N") || strings.Contains(b, "K") {
		t.Errorf("letters drawn as themselves:\n%s", b)
	}
}

// TestPaidTextPerCurrency: a consent's totals are listed per currency, never added.
func TestPaidTextPerCurrency(t *testing.T) {
	c := Consent{TotalPaid: amt(125000), Terms: PayTerms{Standard: "x", Currency: "NOK"}, OtherPaid: []Money{{Amount: amt(1250), Currency: "EUR"}}}
	if got := paidText(c); got != "1,250.00 NOK · 12.50 EUR" {
		t.Errorf("paidText = %q", got)
	}
	if got := paidText(Consent{TotalPaid: amt(5000)}); got != "50.00 AED" {
		t.Errorf("a UAE consent: %q", got)
	}
}

// TestStatusWordsUAEBothForms: a UAE payment reads the same whether the core sends its AE status
// or the normalised one with the AE code in BankStatus; a Berlin Group one reads "Executed
// (ACSC)".
func TestStatusWordsUAEBothForms(t *testing.T) {
	for _, c := range []struct {
		ae, norm PaymentStatus
	}{
		{PaymentPending, PaymentProcessing},
		{PaymentAcceptedSettlementCompleted, PaymentExecuted},
		{PaymentAcceptedWithoutPosting, PaymentExecuted},
		{PaymentAcceptedCreditSettlementCompleted, PaymentSettled},
		{PaymentRejected, PaymentRejected},
	} {
		bank := string(c.ae)
		if paymentWords(c.ae, "") != paymentWords(c.norm, bank) || statusWithCode(c.ae, "") != statusWithCode(c.norm, bank) ||
			timelineWords(c.ae, "") != timelineWords(c.norm, bank) {
			t.Errorf("%s: %q/%q vs %q/%q", c.ae, statusWithCode(c.ae, ""), timelineWords(c.ae, ""), statusWithCode(c.norm, bank), timelineWords(c.norm, bank))
		}
		if paymentOK(shownStatus(c.norm, bank)) != paymentOK(c.ae) || paymentFinal(shownStatus(c.norm, bank)) != paymentFinal(c.ae) {
			t.Errorf("%s: outcome differs between the forms", c.ae)
		}
	}
	for st, want := range map[PaymentStatus]string{PaymentExecuted: "Executed (ACSC)", PaymentSettled: "Settled (ACCC)", PaymentAwaitingBankSCA: "Awaiting bank approval (RCVD)",
		PaymentAuthorised: "Authorised (ACTC)", PaymentProcessing: "Processing (PDNG)", PaymentRejected: "Failed (RJCT)", PaymentCancelled: "Cancelled (CANC)"} {
		code := map[PaymentStatus]string{PaymentExecuted: "ACSC", PaymentSettled: "ACCC", PaymentAwaitingBankSCA: "RCVD", PaymentAuthorised: "ACTC",
			PaymentProcessing: "PDNG", PaymentRejected: "RJCT", PaymentCancelled: "CANC"}[st]
		if got := statusWithCode(st, code); got != want {
			t.Errorf("statusWithCode(%s, %s) = %q, want %q", st, code, got, want)
		}
	}
	if !paymentFinal(PaymentExecuted) || paymentFinal(PaymentAcceptedSettlementCompleted) || paymentFinal(PaymentAwaitingBankSCA) {
		t.Error("Berlin Group banks stop at ACSC; the UAE's ACSC is followed to its credit; a payment awaiting approval is open")
	}
}

// TestPayTermsResolved: the zero value is the UAE's; terms a core filled are never read as
// delegated unless they say so.
func TestPayTermsResolved(t *testing.T) {
	if got := (PayTerms{}).resolved(); !got.delegated() || got.Currency != "AED" || !got.Purpose || got.Reference.Max != 35 {
		t.Errorf("zero terms = %+v", got)
	}
	got := PayTerms{Standard: "Berlin Group NextGenPSD2", Currency: "EUR"}.resolved()
	if got.delegated() || got.WalletSCA != SCAWalletOnly || len(got.Products) != 1 || got.Products[0].Currency != "EUR" || got.Products[0].scheme() != AccountIBAN {
		t.Errorf("partial terms = %+v", got)
	}
	if (PayTerms{Standard: "x", WalletSCA: "something else"}).delegated() {
		t.Error("an unknown WalletSCA must read as wallet-only")
	}
}

// TestPayFromLeftOnlyInItsCurrency: the chooser's "left" of a consent total limit is worked out
// only against limits in the consent's own currency: an AED limit never has EUR taken from it.
func TestPayFromLeftOnlyInItsCurrency(t *testing.T) {
	m := newDriven(3).(*app)
	eur := Consent{ID: "eur", Bank: "Berlin Test Bank", Status: ConsentAuthorized, Expires: fakeBase.AddDate(1, 0, 0),
		TotalPaid: amt(4200), Terms: fakeBGTerms}
	aed := Consent{ID: "aed", Bank: "Sandbox Bank", Status: ConsentAuthorized, Expires: fakeBase.AddDate(1, 0, 0), TotalPaid: amt(5000)}
	ov := Overview{Active: &eur, Headroom: Headroom{Limits: Limits{ConsentTotal: amt(100000)}, Currency: "AED"}}
	s := newPayFrom(m.c, ov, []Consent{eur, aed}, nil)
	s.SetSize(100, 30)
	v := s.View()
	if strings.Contains(v, "EUR left") || strings.Contains(v, "958.00 AED left") {
		t.Errorf("EUR was taken from an AED limit:\n%s", v)
	}
	if !strings.Contains(v, "950.00 AED left") {
		t.Errorf("the AED consent's headroom is missing:\n%s", v)
	}
	ov.OtherHeadroom = []Headroom{{Limits: Limits{ConsentTotal: amt(50000)}, Currency: "EUR"}}
	s = newPayFrom(m.c, ov, []Consent{eur, aed}, nil)
	s.SetSize(100, 30)
	if v := s.View(); !strings.Contains(v, "458.00 EUR left") {
		t.Errorf("the EUR consent's limit in EUR is not used:\n%s", v)
	}
}

// TestCleanedBankAction: the bank's words in an approval step (its message, method labels and
// ids, challenge text, address) pass the same cleaning as every string from the core.
func TestCleanedBankAction(t *testing.T) {
	const bad = "\x1b]52;c;QQ==\x07\u202e"
	ev := PaymentEvent{Action: &BankAction{Kind: ActionMethod, Message: "Use the app" + bad, URL: "https://bank.example/" + bad,
		Methods: []SCAMethod{{ID: "sms" + bad, Label: "SMS" + bad}}, Challenge: &Challenge{Text: "TAN" + bad}}}
	out := cleaned(ev)
	for _, s := range []string{out.Action.Message, out.Action.URL, out.Action.Methods[0].ID, out.Action.Methods[0].Label, out.Action.Challenge.Text} {
		if !safetext.Clean(s) {
			t.Errorf("not cleaned: %q", s)
		}
	}
	if ev.Action.Methods[0].Label != "SMS"+bad {
		t.Error("cleaning wrote through to the core's value")
	}
	terms := cleaned(Consent{Terms: PayTerms{Standard: "BG" + bad, Products: []Product{{Label: "SEPA" + bad}}, Reference: ReferenceField{Label: "Ref" + bad}}})
	for _, s := range []string{terms.Terms.Standard, terms.Terms.Products[0].Label, terms.Terms.Reference.Label} {
		if !safetext.Clean(s) {
			t.Errorf("terms not cleaned: %q", s)
		}
	}
}

// TestFieldWipe: a wiped field leaves no rune of the secret in its backing array.
func TestFieldWipe(t *testing.T) {
	f := newField("Password")
	f.SetValue("test-bank-password")
	backing := f.value[:cap(f.value)]
	f.Wipe()
	if f.Value() != "" {
		t.Fatal("not cleared")
	}
	for _, r := range backing {
		if r != 0 {
			t.Fatalf("the backing array still holds %q", string(backing))
		}
	}
}
