package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A Berlin Group bank beside the UAE sandbox, as README "A Berlin Group bank" configures it:
// the embedded strict XS2A bank. Its password and one-time code are the sandbox's defaults.
const (
	bgPassword = "12345"
	bgTAN      = "123456"
)

func bgBankTOML(approach string) string {
	return "\n[[banks]]\nid = \"berlin\"\nname = \"Berlin Test Bank\"\nprovider = \"berlin-group\"\nprofile = \"bg\"\n" +
		"account = \"DE40 1001 0010 3307 1186 08\"\naccount_holder = \"Erika Mustermann\"\ncurrency = \"EUR\"\n" +
		"psu_id = \"PSU-1234\"\nsca_approach = \"" + approach + "\"\n"
}

// startBGJourney sets a wallet up with the Berlin Group bank asking for approach (the UAE
// consent approved in Chromium) and pays amount at it, up to the bank's own approval.
func startBGJourney(t *testing.T, approach, amount string) (*walletEnv, *term, *browser) {
	t.Helper()
	needJourneyTools(t)
	b := startBrowser(t)
	w := newWalletEnv(t, walletConfig{Extra: bgBankTOML(approach)})
	tm := w.start()
	w.onboard(tm, b)
	w.payAtBG(tm, amount)
	return w, tm, b
}

// payAtBG picks the Berlin Group link on "Pay from which consent?", types a new payee, an
// amount and a message, and continues to the review; then confirms with the PIN and a code.
func (w *walletEnv) payAtBG(tm *term, amount string) {
	w.t.Helper()
	tm.WaitFor("Recent payments", 30*time.Second)
	tm.Press("p")
	tm.WaitFor("Pay from which consent?", 10*time.Second)
	tm.WaitFor("Berlin Test Bank", 10*time.Second)
	tm.Type("2")
	tm.Press("Enter")
	tm.WaitFor("Paying from Berlin Test Bank", 10*time.Second)
	tm.Press("Tab", "Tab") // product → payee → payee name
	tm.Type("Max Muster")
	tm.Press("Tab")
	tm.Type("DE02 1001 0010 9307 1186 03")
	tm.Press("Tab")
	tm.Type(amount)
	tm.Press("Tab")
	tm.Type("Invoice 42")
	tm.Press("Enter")
	s := tm.WaitFor("You are about to pay", 30*time.Second)
	for _, want := range []string{"Berlin Group NextGenPSD2", "Berlin Test Bank then asks you to approve the payment itself"} {
		if !strings.Contains(s, want) {
			w.t.Fatalf("the review lacks %q:\n%s", want, s)
		}
	}
	tm.Press("Enter")
	tm.WaitFor("Confirm "+amount, 10*time.Second)
	w.authenticate(tm, w.nextCode())
}

// TestJourneyBerlinGroupEmbedded: the real binary in tmux pays at the embedded Berlin Group
// bank with embedded SCA: after the wallet's own PIN and code, the bank's password, its SCA
// method, a wrong one-time code (asked again with one attempt fewer) and the right one are
// typed into payterm; the receipt shows the bank's final ISO status in EUR. Nothing typed for the bank is
// echoed (app.TestBerlinGroupEmbeddedPayment checks the data dir with distinctive ones).
func TestJourneyBerlinGroupEmbedded(t *testing.T) {
	t.Parallel()
	w, tm, _ := startBGJourney(t, "embedded", "12.50")
	tm.WaitFor("asks for your online banking password", 60*time.Second)
	tm.Type(bgPassword)
	tm.WaitFor("Password •••••", 10*time.Second)
	tm.Press("Enter")
	tm.WaitFor("asks how you want to approve this payment", 30*time.Second)
	tm.Press("Enter")
	tm.WaitFor("5 attempts left", 30*time.Second)
	tm.Type("000000")
	tm.Press("Enter")
	tm.WaitFor("4 attempts left", 30*time.Second)
	tm.Type(bgTAN)
	tm.Press("Enter")
	// The bank is final at ACSC (the money left the account) or, had it credited already, ACCC.
	s := tm.WaitMatch(regexp.MustCompile(`Executed \(ACSC\)|Settled \(ACCC\)`), 60*time.Second)
	for _, want := range []string{"12.50 EUR", "Max Muster", "Invoice 42", "From            Berlin Test Bank"} {
		if !strings.Contains(s, want) {
			t.Errorf("the receipt lacks %q:\n%s", want, s)
		}
	}
	for _, line := range strings.Split(tm.Transcript(), "\n") {
		if (strings.Contains(line, "Password") || strings.Contains(line, "Code")) && (strings.Contains(line, bgPassword) || strings.Contains(line, "000000")) {
			t.Fatalf("what was typed for the bank was echoed: %q", line)
		}
	}
	w.quit(tm)
}

// TestJourneyBerlinGroupRedirectInChromium: a SEPA payment with redirect SCA, approved in
// Chromium. payterm shows the bank's page and opens it in the browser; the payer approves
// there; the bank sends the browser back to the redirect URI, and payterm, which polls the
// bank, shows the payment settled.
func TestJourneyBerlinGroupRedirectInChromium(t *testing.T) {
	t.Parallel()
	w, tm, b := startBGJourney(t, "redirect", "30.00")
	s := tm.WaitFor("Approve the payment at Berlin Test Bank", 60*time.Second)
	tm.Press("o")
	page := w.openedURL(2, 10*time.Second)
	if !strings.HasPrefix(page, "http://127.0.0.1") || !strings.Contains(s, page[:min(len(page), 40)]) {
		t.Fatalf("payterm opened %q, not the address on screen:\n%s", redactQuery(page), s)
	}
	b.Navigate(page)
	if text := oneLine(b.Text()); !strings.Contains(text, "30.00 EUR") {
		t.Fatalf("the bank's page does not show the payment:\n%s", text)
	}
	b.Click(b.Find("#approve"))
	s = tm.WaitMatch(regexp.MustCompile(`Executed \(ACSC\)|Settled \(ACCC\)`), 90*time.Second)
	if !strings.Contains(s, "30.00 EUR") {
		t.Fatalf("the receipt:\n%s", s)
	}
	w.quit(tm)
}

// killDuringBankSCAAndReopen pays 12.50 EUR at the embedded Berlin Group bank, kills payterm
// with SIGKILL while the bank asks for its password, starts it again, sees the payment on Home
// as awaiting the bank's approval and opens its History detail.
func killDuringBankSCAAndReopen(t *testing.T) (*walletEnv, *term) {
	t.Helper()
	w, tm, _ := startBGJourney(t, "embedded", "12.50")
	tm.WaitFor("asks for your online banking password", 60*time.Second)
	tm.SIGKILL()
	tm = w.start()
	tm.WaitMatch(regexp.MustCompile(`Max Muster\s+12\.50 EUR\s+Awaiting bank approval`), 30*time.Second)
	tm.Press("h")
	tm.WaitFor("payterm · History", 10*time.Second)
	tm.WaitFor("1 of 1", 10*time.Second) // the rows have loaded: enter opens the payment
	tm.Press("Enter")
	return w, tm
}

// TestJourneyBerlinGroupKilledDuringBankSCAThenCancelled: payterm is killed with SIGKILL while the bank asks
// for its password (the payment is created there, its authorisation started). After the restart
// the payment is on Home and in History as awaiting the bank's approval, with the bank's status
// (RCVD), and the bank holds exactly one payment: nothing was sent again. The payer then
// cancels it from History (X, y): payterm asks the bank, and the payment shows Cancelled (CANC).
func TestJourneyBerlinGroupKilledDuringBankSCAThenCancelled(t *testing.T) {
	t.Parallel()
	w, tm := killDuringBankSCAAndReopen(t)
	s := tm.WaitFor("Awaiting bank approval (RCVD)", 10*time.Second)
	if !strings.Contains(oneLine(s), "rejects the payment if it is not approved in time") {
		t.Errorf("the detail does not say what happens next:\n%s", s)
	}
	// The restarted bank folded its journal into state.json.
	if n := w.bgBankPayments(); n != 1 {
		t.Fatalf("the bank holds %d payments after the kill and restart, want exactly 1", n)
	}
	// The payer cancels it: payterm asks the bank, which has not approved it.
	tm.Press("X")
	tm.WaitFor("Ask the bank to cancel this payment?", 10*time.Second)
	tm.Press("y")
	tm.WaitFor("Cancelled (CANC)", 30*time.Second)
	w.quit(tm)
}

// TestJourneyBerlinGroupKilledDuringBankSCAThenApproved: payterm is killed while the bank asks
// for its password; after the restart the payer opens the payment in History and presses a:
// the bank's questions come again (the password, the method, the code), are answered, and the
// payment ends at the bank's final status. The bank holds exactly one payment.
func TestJourneyBerlinGroupKilledDuringBankSCAThenApproved(t *testing.T) {
	t.Parallel()
	w, tm := killDuringBankSCAAndReopen(t)
	tm.WaitFor("a approve at your bank now", 10*time.Second)
	tm.Press("a")
	tm.WaitFor("asks for your online banking password", 30*time.Second)
	tm.Type(bgPassword)
	tm.Press("Enter")
	tm.WaitFor("asks how you want to approve this payment", 30*time.Second)
	tm.Press("Enter")
	tm.WaitFor("5 attempts left", 30*time.Second)
	tm.Type(bgTAN)
	tm.Press("Enter")
	s := tm.WaitMatch(regexp.MustCompile(`Executed \(ACSC\)|Settled \(ACCC\)`), 60*time.Second)
	if !strings.Contains(s, "12.50 EUR") {
		t.Fatalf("the receipt:\n%s", s)
	}
	w.quit(tm) // the bank folds its journal into state.json as it closes
	if n := w.bgBankPayments(); n != 1 {
		t.Fatalf("the bank holds %d payments, want exactly 1", n)
	}
}

// bgBankPayments counts the payments in the embedded Berlin Group bank's state.json (as of
// its last start or close).
func (w *walletEnv) bgBankPayments() int {
	w.t.Helper()
	raw, err := os.ReadFile(filepath.Join(w.dataDir, "banks", "berlin", "xs2a-bank", "state.json"))
	if err != nil {
		w.t.Fatal(err)
	}
	var st struct {
		Payments map[string]json.RawMessage `json:"payments"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		w.t.Fatal(err)
	}
	return len(st.Payments)
}
