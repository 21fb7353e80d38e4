package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// A Fintecture bank beside the UAE sandbox, as README "A Fintecture bank" configures it: the
// embedded strict Fintecture hub.
const ftBankTOML = "\n[[banks]]\nid = \"fin\"\nname = \"Fintecture Test Hub\"\nprovider = \"fintecture\"\n" +
	"account = \"FR76 3000 6000 0112 3456 7890 189\"\naccount_holder = \"Camille Martin\"\ncurrency = \"EUR\"\n" +
	"payer_email = \"camille@example.org\"\n"

// payAtFintecture sets a wallet up with the Fintecture bank (the UAE consent approved in
// Chromium), pays amount from the Fintecture link up to the Connect page, opens the page with
// `o` and loads it in Chromium.
func payAtFintecture(t *testing.T, amount string) (*walletEnv, *term, *browser) {
	t.Helper()
	needJourneyTools(t)
	b := startBrowser(t)
	w := newWalletEnv(t, walletConfig{Extra: ftBankTOML})
	tm := w.start()
	w.onboard(tm, b)
	tm.WaitFor("Recent payments", 30*time.Second)
	tm.Press("p")
	tm.WaitFor("Pay from which consent?", 10*time.Second)
	tm.WaitFor("Fintecture Test Hub", 10*time.Second)
	tm.Type("2")
	tm.Press("Enter")
	tm.WaitFor("Paying from Fintecture Test Hub", 10*time.Second)
	tm.Press("Tab") // payee → payee name (one product: no product row)
	tm.Type("Boulangerie Paul")
	tm.Press("Tab")
	tm.Type("FR14 2004 1010 0505 0001 3M02 606")
	tm.Press("Tab")
	tm.Type(amount)
	tm.Press("Tab")
	tm.Type("Invoice 42")
	tm.Press("Enter")
	s := tm.WaitFor("You are about to pay", 30*time.Second)
	if !strings.Contains(s, "Fintecture payment session") {
		t.Fatalf("the review does not name the standard:\n%s", s)
	}
	tm.Press("Enter")
	tm.WaitFor("Confirm "+amount, 10*time.Second)
	w.authenticate(tm, w.nextCode())
	s = tm.WaitFor("Approve the payment at Fintecture Test Hub", 60*time.Second)
	tm.Press("o")
	page := w.openedURL(2, 10*time.Second)
	if !strings.HasPrefix(page, "http://127.0.0.1") || !strings.Contains(page, "/connect/") || !strings.Contains(s, page[:min(len(page), 40)]) {
		t.Fatalf("payterm opened %q, not the Connect page on screen:\n%s", redactQuery(page), s)
	}
	b.Navigate(page)
	if text := oneLine(b.Text()); !strings.Contains(text, amount+" EUR") || !strings.Contains(text, "Boulangerie Paul") {
		t.Fatalf("the Connect page does not show the payment:\n%s", text)
	}
	return w, tm, b
}

// TestJourneyFintecturePayInChromium: the real binary in tmux pays through the Connect page in
// Chromium; the hub sends the browser back to the redirect URI (nothing serves it), and
// payterm, which polls the hub, shows the payment executed with Fintecture's status.
func TestJourneyFintecturePayInChromium(t *testing.T) {
	t.Parallel()
	w, tm, b := payAtFintecture(t, "30.00")
	b.Click(b.Find("#pay"))
	s := tm.WaitMatch(regexp.MustCompile(`Executed \(payment_created\)`), 90*time.Second)
	if !strings.Contains(s, "30.00 EUR") {
		t.Fatalf("the receipt:\n%s", s)
	}
	w.quit(tm)
}

// TestJourneyFintectureTabClosedResolvedByPolling: the payer pays on the Connect page and
// closes the tab without going back; payterm still learns the outcome by polling the hub.
func TestJourneyFintectureTabClosedResolvedByPolling(t *testing.T) {
	t.Parallel()
	w, tm, b := payAtFintecture(t, "12.50")
	b.Click(b.Find("#leave"))
	b.WaitText("closed the tab", 10*time.Second) // the form's answer replaces the page
	s := tm.WaitMatch(regexp.MustCompile(`Executed \(payment_created\)`), 90*time.Second)
	if !strings.Contains(s, "12.50 EUR") {
		t.Fatalf("the receipt:\n%s", s)
	}
	w.quit(tm)
}
