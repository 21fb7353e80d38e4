package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// An OP bank beside the UAE sandbox, as README "An OP bank" configures it: the embedded strict
// OP bank (mTLS API, authorize page on 127.0.0.1).
const opBankTOML = "\n[[banks]]\nid = \"op\"\nname = \"OP Test Bank\"\nprovider = \"op\"\n" +
	"redirect_uri = \"https://127.0.0.1:8443/op/back\"\naccount = \"FI49 5000 9420 0287 30\"\n" +
	"account_holder = \"Matti Meikäläinen\"\ncurrency = \"EUR\"\n"

// TestJourneyOPApproveInChromium: the real binary in tmux pays 12.50 EUR from the OP link. After
// the wallet's PIN and code, o opens OP's page in Chromium and the paste field; the payer
// approves the payment there (its checkbox ticked, "Approve selected"); OP sends Chromium to the
// redirect URI with code and state (nothing serves it), the payer pastes that address, and
// payterm exchanges the code, submits the payment and shows it executed with OP's word.
func TestJourneyOPApproveInChromium(t *testing.T) {
	t.Parallel()
	needJourneyTools(t)
	b := startBrowser(t)
	w := newWalletEnv(t, walletConfig{Extra: opBankTOML})
	tm := w.start()
	w.onboard(tm, b)
	tm.WaitFor("Recent payments", 30*time.Second)
	tm.Press("p")
	tm.WaitFor("Pay from which consent?", 10*time.Second)
	tm.WaitFor("OP Test Bank", 10*time.Second)
	tm.Type("2")
	tm.Press("Enter")
	tm.WaitFor("Paying from OP Test Bank", 10*time.Second)
	tm.WaitFor("SEPA transfer (OP)", 10*time.Second)
	tm.Press("Tab", "Tab") // product (the SEPA transfer, first of two) → payee → payee name
	tm.Type("Kahvila Oy")
	tm.Press("Tab")
	tm.Type("FI21 1234 5600 0007 85")
	tm.Press("Tab")
	tm.Type("12.50")
	tm.Press("Tab")
	tm.Type("Invoice 42")
	tm.Press("Enter")
	s := tm.WaitFor("You are about to pay", 30*time.Second)
	if !strings.Contains(s, "OP PSD2 Payment Initiation") {
		t.Fatalf("the review does not name the standard:\n%s", s)
	}
	tm.Press("Enter")
	tm.WaitFor("Confirm 12.50", 10*time.Second)
	w.authenticate(tm, w.nextCode())
	tm.WaitFor("Approve the payment at OP Test Bank", 60*time.Second)
	tm.Press("o")
	tm.WaitFor("Callback URL", 10*time.Second)
	page := w.openedURL(2, 10*time.Second)
	if !strings.HasPrefix(page, "http://127.0.0.1") || !strings.Contains(page, "/oauth/authorize?") {
		t.Fatalf("payterm opened %q, not OP's authorize page", redactQuery(page))
	}
	b.Navigate(page)
	if text := oneLine(b.Text()); !strings.Contains(text, "12.50 EUR") || !strings.Contains(text, "Kahvila Oy") {
		t.Fatalf("OP's page does not show the payment:\n%s", text)
	}
	b.Click(b.Find(`button[value="approve"]`))
	back := b.WaitURL(func(u string) bool {
		return strings.HasPrefix(u, "https://127.0.0.1:8443/op/back?") && strings.Contains(u, "code=")
	}, 20*time.Second)
	tm.Type(back)
	tm.Press("Enter")
	s = tm.WaitMatch(regexp.MustCompile(`Executed \(Submitted\)|Settled \(Credited\)`), 90*time.Second)
	if !strings.Contains(s, "12.50 EUR") || !strings.Contains(s, "Kahvila Oy") {
		t.Fatalf("the receipt:\n%s", s)
	}
	if strings.Contains(s, "code=") {
		t.Fatalf("the receipt shows the pasted address:\n%s", s)
	}
	w.quit(tm)
}

// TestJourneyOPForeignPaymentInChromium: the real binary pays 250.00 EUR abroad from the OP link
// as OP's foreign payment: → on the product row chooses it, the form asks for the payee's bank
// (BIC), address and country, the review shows them, OP's page shows the payment, and payterm
// submits it after the pasted address.
func TestJourneyOPForeignPaymentInChromium(t *testing.T) {
	t.Parallel()
	needJourneyTools(t)
	b := startBrowser(t)
	w := newWalletEnv(t, walletConfig{Extra: opBankTOML})
	tm := w.start()
	w.onboard(tm, b)
	tm.WaitFor("Recent payments", 30*time.Second)
	tm.Press("p")
	tm.WaitFor("Pay from which consent?", 10*time.Second)
	tm.WaitFor("OP Test Bank", 10*time.Second)
	tm.Type("2")
	tm.Press("Enter")
	tm.WaitFor("SEPA transfer (OP)", 10*time.Second)
	tm.Press("Right")
	tm.WaitFor("Payee's BIC", 10*time.Second)
	tm.Press("Tab", "Tab") // product → payee → payee name
	for _, typed := range []string{"Acme Ltd", "GB29 NWBK 6016 1331 9268 19", "NWBKGB2L", "1 High Street", "London", "GB", "250.00", "Invoice 7"} {
		tm.Type(typed)
		tm.Press("Tab")
	}
	tm.Press("Enter")
	s := tm.WaitFor("You are about to pay", 30*time.Second)
	for _, want := range []string{"Foreign payment (OP)", "NWBKGB2L", "1 High Street, London, GB"} {
		if !strings.Contains(s, want) {
			t.Fatalf("the review lacks %q:\n%s", want, s)
		}
	}
	tm.Press("Enter")
	tm.WaitFor("Confirm 250.00", 10*time.Second)
	w.authenticate(tm, w.nextCode())
	tm.WaitFor("Approve the payment at OP Test Bank", 60*time.Second)
	tm.Press("o")
	tm.WaitFor("Callback URL", 10*time.Second)
	page := w.openedURL(2, 10*time.Second)
	b.Navigate(page)
	if text := oneLine(b.Text()); !strings.Contains(text, "250.00 EUR") || !strings.Contains(text, "Acme Ltd") {
		t.Fatalf("OP's page does not show the payment:\n%s", text)
	}
	b.Click(b.Find(`button[value="approve"]`))
	back := b.WaitURL(func(u string) bool {
		return strings.HasPrefix(u, "https://127.0.0.1:8443/op/back?") && strings.Contains(u, "code=")
	}, 20*time.Second)
	tm.Type(back)
	tm.Press("Enter")
	s = tm.WaitMatch(regexp.MustCompile(`Executed \(Submitted\)|Settled \(Credited\)`), 90*time.Second)
	if !strings.Contains(s, "250.00 EUR") || !strings.Contains(s, "Acme Ltd") {
		t.Fatalf("the receipt:\n%s", s)
	}
	w.quit(tm)
}
