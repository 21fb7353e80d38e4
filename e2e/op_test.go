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

// An OP bank beside the UAE sandbox, as README "An OP bank" configures it: the embedded strict
// OP bank (mTLS API, authorize page on 127.0.0.1).
const opBankTOML = "\n[[banks]]\nid = \"op\"\nname = \"OP Test Bank\"\nprovider = \"op\"\n" +
	"redirect_uri = \"https://127.0.0.1:8443/op/back\"\naccount = \"FI49 5000 9420 0287 30\"\n" +
	"account_holder = \"Matti Meikäläinen\"\ncurrency = \"EUR\"\n"

// startWithOP starts the real binary with the embedded OP bank beside the UAE sandbox, onboards
// at the UAE bank in Chromium and waits on Home.
func startWithOP(t *testing.T) (*browser, *walletEnv, *term) {
	t.Helper()
	needJourneyTools(t)
	b := startBrowser(t)
	w := newWalletEnv(t, walletConfig{Extra: opBankTOML})
	tm := w.start()
	w.onboard(tm, b)
	tm.WaitFor("Recent payments", 30*time.Second)
	return b, w, tm
}

// openOPPayForm opens the pay form at the OP link (the second consent) from Home; the focus is
// on the product row (the SEPA transfer, first of two).
func (w *walletEnv) openOPPayForm(tm *term) {
	w.t.Helper()
	tm.Press("p")
	tm.WaitFor("Pay from which consent?", 10*time.Second)
	tm.WaitFor("OP Test Bank", 10*time.Second)
	tm.Type("2")
	tm.Press("Enter")
	tm.WaitFor("Paying from OP Test Bank", 10*time.Second)
	tm.WaitFor("SEPA transfer (OP)", 10*time.Second)
}

// TestJourneyOPApproveInChromium: the real binary in tmux pays 12.50 EUR from the OP link. After
// the wallet's PIN and code, o opens OP's page in Chromium and the paste field; the payer
// approves the payment there (its checkbox ticked, "Approve selected"); OP sends Chromium to the
// redirect URI with code and state (nothing serves it), the payer pastes that address, and
// payterm exchanges the code, submits the payment and shows it executed with OP's word.
func TestJourneyOPApproveInChromium(t *testing.T) {
	t.Parallel()
	b, w, tm := startWithOP(t)
	w.openOPPayForm(tm)
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
	w.approveAtOP(tm, b, 2, "12.50 EUR", "Kahvila Oy")
	s = opPaidReceipt(t, tm, "12.50")
	if strings.Contains(s, "code=") {
		t.Fatalf("the receipt shows the pasted address:\n%s", s)
	}
	w.quit(tm)
}

// payAtOP fills the pay form at the OP link (the second consent) and goes to the review: a new
// payee the first time, then the saved one.
func (w *walletEnv) payAtOP(tm *term, amount string, newPayee bool) string {
	w.t.Helper()
	w.openOPPayForm(tm)
	tm.Press("Tab") // product (the SEPA transfer, first of two) → payee
	if newPayee {
		tm.Press("Tab")
		tm.Type("Kahvila Oy")
		tm.Press("Tab")
		tm.Type("FI21 1234 5600 0007 85")
	}
	tm.Press("Tab")
	tm.Type(amount)
	tm.Press("Tab")
	tm.Type("Kahvi")
	tm.Press("Enter")
	return tm.WaitFor("You are about to pay", 30*time.Second)
}

// approveAtOP is the payer on OP's page: o opens it (the n-th address payterm opened), the page
// shows each of shows, Chromium approves, and the address OP sends it to is pasted back.
func (w *walletEnv) approveAtOP(tm *term, b *browser, n int, shows ...string) {
	w.t.Helper()
	tm.WaitFor("Approve the payment at OP Test Bank", 60*time.Second)
	tm.Press("o")
	tm.WaitFor("Callback URL", 10*time.Second)
	page := w.openedURL(n, 10*time.Second)
	if !strings.HasPrefix(page, "http://127.0.0.1") || !strings.Contains(page, "/oauth/authorize?") {
		w.t.Fatalf("payterm opened %q, not OP's authorize page", redactQuery(page))
	}
	b.Navigate(page)
	if text := oneLine(b.Text()); !containsAll(text, shows) {
		w.t.Fatalf("OP's page does not show %q:\n%s", shows, text)
	}
	b.Click(b.Find(`button[value="approve"]`))
	back := b.WaitURL(func(u string) bool {
		return strings.HasPrefix(u, "https://127.0.0.1:8443/op/back?") && strings.Contains(u, "code=")
	}, 20*time.Second)
	tm.Type(back)
	tm.Press("Enter")
}

// opPaidReceipt waits for the receipt of an executed OP payment to Kahvila Oy.
func opPaidReceipt(t *testing.T, tm *term, amount string) string {
	t.Helper()
	return opPaidReceiptTo(t, tm, amount, "Kahvila Oy")
}

// opPaidReceiptTo waits for the receipt of an executed OP payment of amount EUR to payee.
func opPaidReceiptTo(t *testing.T, tm *term, amount, payee string) string {
	t.Helper()
	s := tm.WaitMatch(regexp.MustCompile(`Executed \(Submitted\)|Settled \(Credited\)`), 90*time.Second)
	if !strings.Contains(s, amount+" EUR") || !strings.Contains(s, payee) {
		t.Fatalf("the receipt:\n%s", s)
	}
	return s
}

// containsAll says whether s contains every one of subs.
func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// opBankState is the embedded OP bank's journal: its payments and their submissions.
type opBankState struct {
	Payments    map[string]json.RawMessage `json:"payments"`
	Submissions map[string]json.RawMessage `json:"submissions"` // paymentId/submissionId
	Exempt      map[string]map[string]any  `json:"exemptions"`
}

func (w *walletEnv) opStatePath() string {
	return filepath.Join(w.dataDir, "banks", "op", "op-bank", "state.json")
}

func (w *walletEnv) opBank() opBankState {
	w.t.Helper()
	raw, err := os.ReadFile(w.opStatePath())
	if err != nil {
		w.t.Fatal(err)
	}
	var st opBankState
	if err := json.Unmarshal(raw, &st); err != nil {
		w.t.Fatal(err)
	}
	return st
}

// eachSubmittedOnce fails unless OP holds want payments, each submitted exactly once.
func (w *walletEnv) eachSubmittedOnce(want int) {
	w.t.Helper()
	st := w.opBank()
	if len(st.Payments) != want {
		w.t.Fatalf("OP holds %d payments, want %d", len(st.Payments), want)
	}
	for id := range st.Payments {
		n := 0
		for k := range st.Submissions {
			if strings.HasPrefix(k, id+"/") {
				n++
			}
		}
		if n != 1 {
			w.t.Fatalf("OP holds %d submissions of payment %s, want 1", n, id)
		}
	}
}

// TestJourneyOPExemptionWithoutBrowser: the real binary pays 12.50 EUR at OP through OP's page
// in Chromium (the bank approval), then 9.00 EUR: the review says OP may not ask ("1 of 5,
// 9.00 of 100.00 EUR"), and after the PIN and code the payment is executed with no page — no
// address opened, no paste field. OP holds two payments, each submitted once.
func TestJourneyOPExemptionWithoutBrowser(t *testing.T) {
	t.Parallel()
	b, w, tm := startWithOP(t)
	s := w.payAtOP(tm, "12.50", true)
	if !strings.Contains(oneLine(s), "OP will ask you to approve: there is no bank approval from the last 45 days to re-use") {
		t.Fatalf("the first review:\n%s", s)
	}
	tm.Press("Enter")
	tm.WaitFor("Confirm 12.50", 10*time.Second)
	w.authenticate(tm, w.nextCode())
	w.approveAtOP(tm, b, 2)
	opPaidReceipt(t, tm, "12.50")
	w.home(tm)
	s = w.payAtOP(tm, "9.00", false)
	if !strings.Contains(oneLine(s), "OP may not ask: 1 of 5, 9.00 of 100.00 EUR since your last bank approval") {
		t.Fatalf("the review does not forecast the exemption:\n%s", s)
	}
	tm.Press("Enter")
	tm.WaitFor("Confirm 9.00", 10*time.Second)
	w.authenticate(tm, w.nextCode())
	s = opPaidReceipt(t, tm, "9.00")
	if strings.Contains(s, "Callback URL") {
		t.Fatalf("payterm asked for OP's address:\n%s", s)
	}
	if raw, _ := os.ReadFile(w.urlFile); len(strings.Fields(string(raw))) != 2 {
		t.Fatalf("payterm opened %d addresses, want 2 (the onboarding's and the first payment's)", len(strings.Fields(string(raw))))
	}
	w.quit(tm)
	w.eachSubmittedOnce(2)
}

// TestJourneyOPExemptionRefusedCompletesInChromium: after the bank approval, OP counts five
// exemption payments made through other channels (written into the stopped bank's journal, as
// the sandbox's "other channels" control does): the wallet cannot see them and still forecasts
// "OP may not ask"; OP refuses the exemption, and the same payment shows OP's page, is approved
// in Chromium, and is executed — OP holds two payments, each submitted once.
func TestJourneyOPExemptionRefusedCompletesInChromium(t *testing.T) {
	t.Parallel()
	b, w, tm := startWithOP(t)
	w.payAtOP(tm, "12.50", true)
	tm.Press("Enter")
	tm.WaitFor("Confirm 12.50", 10*time.Second)
	w.authenticate(tm, w.nextCode())
	w.approveAtOP(tm, b, 2)
	opPaidReceipt(t, tm, "12.50")
	w.home(tm)
	w.quit(tm)
	w.useUpOPExemptionsElsewhere()
	tm = w.start()
	tm.WaitFor("Recent payments", 30*time.Second)
	s := w.payAtOP(tm, "9.00", false)
	if !strings.Contains(oneLine(s), "OP may not ask: 1 of 5") {
		t.Fatalf("the review:\n%s", s)
	}
	tm.Press("Enter")
	tm.WaitFor("Confirm 9.00", 10*time.Second)
	w.authenticate(tm, w.nextCode())
	w.approveAtOP(tm, b, 3)
	opPaidReceipt(t, tm, "9.00")
	w.quit(tm)
	w.eachSubmittedOnce(2)
}

// useUpOPExemptionsElsewhere writes five exemption payments "from other channels" for the
// sandbox's payer into the stopped OP bank's journal (sandbox/op AddOtherChannelExemptions).
func (w *walletEnv) useUpOPExemptionsElsewhere() {
	w.t.Helper()
	raw, err := os.ReadFile(w.opStatePath())
	if err != nil {
		w.t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(raw, &st); err != nil {
		w.t.Fatal(err)
	}
	ex, _ := st["exemptions"].(map[string]any)
	payer, _ := ex["sandbox-user"].(map[string]any)
	if payer == nil {
		w.t.Fatalf("the bank has no exemption counter for the payer: %v", ex)
	}
	payer["other_count"], payer["other_cents"] = 5, 500
	out, err := json.Marshal(st)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(w.opStatePath(), out, 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// TestJourneyOPForeignPaymentInChromium: the real binary pays 250.00 EUR abroad from the OP link
// as OP's foreign payment: → on the product row chooses it, the form asks for the payee's bank
// (BIC), address and country, the review shows them, OP's page shows the payment, and payterm
// submits it after the pasted address.
func TestJourneyOPForeignPaymentInChromium(t *testing.T) {
	t.Parallel()
	b, w, tm := startWithOP(t)
	w.openOPPayForm(tm)
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
	w.approveAtOP(tm, b, 2, "250.00 EUR", "Acme Ltd")
	opPaidReceiptTo(t, tm, "250.00", "Acme Ltd")
	w.quit(tm)
}
