package e2e

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// SpareBank 1 beside the UAE sandbox, as README "SpareBank 1" configures it: the embedded
// strict XS2A bank with the sb1 profile, a krone account by its account number.
const sb1BankTOML = "\n[[banks]]\nid = \"sb1\"\nname = \"SpareBank 1\"\nprovider = \"berlin-group\"\nprofile = \"sb1\"\n" +
	"account = \"8601 1117 947\"\naccount_holder = \"Kari Nordmann\"\ncurrency = \"NOK\"\n"

// payAtSB1 picks the SpareBank 1 link, pays amount NOK by the first product (a transfer in
// Norway) to a new payee's account number or to the one saved, and confirms with the PIN and
// a code.
func (w *walletEnv) payAtSB1(tm *term, amount string, newPayee bool) {
	w.t.Helper()
	tm.WaitFor("Recent payments", 30*time.Second)
	tm.Press("p")
	tm.WaitFor("Pay from which consent?", 10*time.Second)
	tm.WaitFor("SpareBank 1", 10*time.Second)
	tm.Type("2")
	tm.Press("Enter")
	tm.WaitFor("Paying from SpareBank 1", 10*time.Second)
	tm.Press("Tab", "Tab")
	if newPayee {
		tm.Type("Ola Nordmann")
		tm.Press("Tab")
		tm.Type("1234 5678 903")
		tm.Press("Tab")
	}
	tm.Type(amount)
	tm.Press("Enter")
	tm.WaitFor("You are about to pay", 30*time.Second)
	tm.Press("Enter")
	tm.WaitFor("Confirm "+amount, 10*time.Second)
	w.authenticate(tm, w.nextCode())
}

// approveInChromium opens the bank's page payterm opened (the n-th address it opened) in
// Chromium and presses Approve there.
func (w *walletEnv) approveInChromium(b *browser, n int) string {
	w.t.Helper()
	page := w.openedURL(n, 10*time.Second)
	if !strings.HasPrefix(page, "http://127.0.0.1") {
		w.t.Fatalf("payterm opened %q", redactQuery(page))
	}
	b.Navigate(page)
	b.Click(b.Find("#approve"))
	return page
}

// TestJourneySpareBank1LoginInChromium: the real binary in tmux pays 250.00 NOK at the embedded
// SpareBank 1 bank. After the wallet's PIN and code, payterm asks for the bank's login (its PSU
// session): o opens the login page in Chromium and the paste field; the payer approves there,
// and pastes the address Chromium was sent back to (it carries psu-id and tpp-session-id); the
// payment is then built, sent, approved on the bank's page in Chromium, and executed. The
// session id is in no file of the data dir outside the bank's own state. After a restart a
// second payment asks for no login: the session came back from the secret store.
func TestJourneySpareBank1LoginInChromium(t *testing.T) {
	t.Parallel()
	needJourneyTools(t)
	b := startBrowser(t)
	w := newWalletEnv(t, walletConfig{Extra: sb1BankTOML})
	tm := w.start()
	w.onboard(tm, b)
	w.payAtSB1(tm, "250.00", true)
	tm.WaitFor("Log in at SpareBank 1 first", 60*time.Second)
	tm.Press("o")
	tm.WaitFor("Callback URL", 10*time.Second)
	login := w.approveInChromium(b, 2)
	if !strings.Contains(login, "/session/") {
		t.Fatalf("the login page %q is not SpareBank 1's session page", redactQuery(login))
	}
	back := b.WaitURL(func(u string) bool { return strings.Contains(u, "tpp-session-id=") }, 20*time.Second)
	bu, err := url.Parse(back)
	if err != nil {
		t.Fatal(err)
	}
	sid := bu.Query().Get("tpp-session-id")
	if len(sid) < 16 {
		t.Fatalf("no session id in the address Chromium landed on (%s)", redactQuery(back))
	}
	tm.Type(back)
	tm.Press("Enter")
	tm.WaitFor("Approve the payment at SpareBank 1", 60*time.Second)
	tm.Press("o")
	w.approveInChromium(b, 3)
	s := tm.WaitMatch(regexp.MustCompile(`Executed \(ACSC\)|Settled \(ACCC\)`), 90*time.Second)
	for _, want := range []string{"250.00 NOK", "Ola Nordmann", "From            SpareBank 1"} {
		if !strings.Contains(s, want) {
			t.Errorf("the receipt lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, sid) {
		t.Fatalf("the receipt shows the session id:\n%s", s)
	}
	w.quit(tm)
	w.noSessionOnDisk(sid)

	tm = w.start()
	w.payAtSB1(tm, "10.00", false)
	s = tm.WaitFor("Approve the payment at SpareBank 1", 60*time.Second)
	if strings.Contains(s, "Log in at SpareBank 1") {
		t.Fatalf("the restarted wallet asked for the login again:\n%s", s)
	}
	tm.Press("o")
	w.approveInChromium(b, 4)
	tm.WaitMatch(regexp.MustCompile(`Executed \(ACSC\)|Settled \(ACCC\)`), 90*time.Second)
	w.quit(tm)
	w.noSessionOnDisk(sid)
}

// noSessionOnDisk fails when a file of the data dir, the SpareBank 1 bank's own state aside,
// holds the session id.
func (w *walletEnv) noSessionOnDisk(sid string) {
	w.t.Helper()
	bankDir := filepath.Join(w.dataDir, "banks", "sb1", "xs2a-bank")
	err := filepath.Walk(w.dataDir, func(path string, fi os.FileInfo, err error) error {
		switch {
		case err != nil:
			return err
		case fi.IsDir() && path == bankDir:
			return filepath.SkipDir
		case fi.IsDir():
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(raw), sid) {
			w.t.Errorf("%s holds the SpareBank 1 session id", path)
		}
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
}
