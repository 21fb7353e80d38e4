package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestJourneyOPBundleOfThreeApprovedOnce: the real binary in tmux pays a bundle of three from
// the OP link (b on Home): three payments typed, one review with the total, one PIN and code,
// then o opens OP's page in Chromium, which lists all three; the payer approves them with one
// click, pastes the address OP sends the browser to, and payterm submits each payment once:
// the bundle's list shows all three executed with OP's word, and History holds each once.
func TestJourneyOPBundleOfThreeApprovedOnce(t *testing.T) {
	t.Parallel()
	b, w, tm := startWithOP(t)
	tm.Press("b")
	tm.WaitFor("Add a payment", 10*time.Second)
	payments := []struct{ name, iban, amount, msg string }{
		{"Kahvila Oy", "FI21 1234 5600 0007 85", "12.50", "Invoice 42"},
		{"Asunto Oy", "FI91 1234 5600 0007 86", "40.00", "Rent share"},
		{"Kirjasto", "FI69 1234 5600 0007 94", "7.25", "Fine"},
	}
	for i, p := range payments {
		tm.Type(p.name)
		tm.Press("Tab")
		tm.Type(p.iban)
		tm.Press("Tab")
		tm.Type(p.amount)
		tm.Press("Tab")
		tm.Type(p.msg)
		tm.Press("Enter")
		tm.WaitFor([]string{"In the bundle: 1 payment", "In the bundle: 2 payments", "In the bundle: 3 payments"}[i], 10*time.Second)
	}
	tm.Press("Enter") // the form is empty: review
	s := tm.WaitFor("You are about to pay", 30*time.Second)
	if !strings.Contains(s, "59.75 EUR to 3 payees from OP Test Bank") {
		t.Fatalf("the review:\n%s", s)
	}
	tm.Press("Enter")
	tm.WaitFor("Confirm the bundle", 10*time.Second)
	w.authenticate(tm, w.nextCode())
	tm.WaitFor("each waits for your approval at OP Test Bank", 60*time.Second)
	tm.Press("o")
	tm.WaitFor("Callback URL", 10*time.Second)
	page := w.openedURL(2, 10*time.Second)
	if !strings.HasPrefix(page, "http://127.0.0.1") || !strings.Contains(page, "/oauth/authorize?") {
		t.Fatalf("payterm opened %q, not OP's authorize page", redactQuery(page))
	}
	b.Navigate(page)
	text := oneLine(b.Text())
	for _, p := range payments {
		if !strings.Contains(text, p.name) {
			t.Fatalf("OP's page does not list %s:\n%s", p.name, text)
		}
	}
	b.Click(b.Find(`button[value="approve"]`)) // one approval for the three
	back := b.WaitURL(func(u string) bool {
		return strings.HasPrefix(u, "https://127.0.0.1:8443/op/back?") && strings.Contains(u, "code=")
	}, 20*time.Second)
	tm.Type(back)
	tm.Press("Enter")
	s = tm.WaitFor("Every payment of the bundle has ended", 90*time.Second)
	if n := strings.Count(s, "Executed (Submitted)") + strings.Count(s, "Settled (Credited)"); n != 3 {
		t.Fatalf("%d of the 3 payments paid:\n%s", n, s)
	}
	if strings.Contains(s, "code=") {
		t.Fatalf("the screen shows the pasted address:\n%s", s)
	}
	tm.Press("Enter") // back to Home
	tm.WaitFor("Recent payments", 10*time.Second)
	tm.Press("h")
	s = tm.WaitFor("Kirjasto", 20*time.Second)
	for _, p := range payments {
		if n := strings.Count(s, p.name); n != 1 {
			t.Fatalf("History lists %s %d times, want once:\n%s", p.name, n, s)
		}
	}
	w.quit(tm)
}
