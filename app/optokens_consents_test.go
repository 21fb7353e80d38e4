package app

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uitest"
)

// TestOPLinkEndShownOnceTheTokensAreBack: after a payment approved at OP the payer's tokens are
// kept, and the OP link's end is that approval's (45 days). After a restart with a secrets file
// that opens in the background (held back here: its machine secret waits for the test), the
// consents screen of the production UI says the link's end is being restored — not "no end
// date" — and its detail says so too. Once the store opens, the same screen shows the day
// without a key being pressed (the background open's "everything changed" reloads it).
func TestOPLinkEndShownOnceTheTokensAreBack(t *testing.T) {
	clock := newSCAClock()
	cfg := opConfig(t)
	cfg.Security.FileStorePassphrase = false
	a := openApp(t, cfg, clock)
	w := a.UIWallet()
	_, js := onboard(t, w, clock, twoPayees()[:1])
	payAtOPFor(t, a, w, clock, js.totpSecret, "3.00")
	link := opLink(t, w)
	if link.Expires.IsZero() || link.ExpiryRestoring {
		a.Close()
		t.Fatalf("the OP link after an approval: end %v, restoring %v", link.Expires, link.ExpiryRestoring)
	}
	day := link.Expires.In(time.Local).Format("2006-01-02")
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	m := newGatedMachine("app-test-machine")
	var once sync.Once
	release := func() { once.Do(m.release) }
	defer release()
	opts := testOptions(clock)
	opts.MachineSecret = m.get
	a, err := Open(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Registered before uitest.Start, so it runs after the UI has quit (cleanups run last-in
	// first-out); release first, or Close would wait for an open that cannot finish.
	t.Cleanup(func() { release(); _ = a.Close() })
	if _, later := a.store.(*laterStore); !later {
		t.Fatal("the test needs a store that opens in the background")
	}
	w = a.UIWallet()

	// The core says "restoring" for the link while the store cannot open, in the list and in
	// the detail's rules.
	link = opLink(t, w)
	if !link.Expires.IsZero() || !link.ExpiryRestoring {
		t.Fatalf("the OP link while the store opens: end %v, restoring %v", link.Expires, link.ExpiryRestoring)
	}
	d, err := w.ConsentDetail(context.Background(), link.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := ruleValue(d.Rules, "Expires"); !strings.Contains(r, "restoring") {
		t.Fatalf("the OP link's rules while the store opens say Expires %q", r)
	}

	app := uitest.Start(t, w, uitest.WithTimeout(30*time.Second), uitest.WithSize(110, 45))
	app.WaitFor("Recent payments")
	app.Press("c")
	app.WaitFor("OP Test Bank")
	app.WaitFor("expiry: restoring…")
	if row := lineWith(app.View(), "OP Test Bank"); !strings.Contains(row, "expiry: restoring…") || strings.Contains(row, "no end date") {
		t.Fatalf("the OP link's row while the store opens: %q", row)
	}
	release()
	// No key: the screen reloads by itself once the tokens are back.
	app.WaitFor("expires " + day)
	if row := lineWith(app.View(), "OP Test Bank"); !strings.Contains(row, "expires "+day) {
		t.Fatalf("the OP link's row once the store is open: %q\n%s", row, app.View())
	}
	d, err = w.ConsentDetail(context.Background(), link.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := ruleValue(d.Rules, "Expires"); r == "" || strings.Contains(r, "restoring") {
		t.Fatalf("the OP link's rules once the store is open say Expires %q", r)
	}
}

// ruleValue is the value of the consent rule labelled label ("" when there is none).
func ruleValue(rules []ui.Rule, label string) string {
	for _, r := range rules {
		if r.Label == label {
			return r.Value
		}
	}
	return ""
}

// lineWith is the first line of view that contains s.
func lineWith(view, s string) string {
	for _, l := range strings.Split(view, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}
