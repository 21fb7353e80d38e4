package ui_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// The wallet-level view: a UAE bank, a Berlin Group bank and a Fintecture hub at once. Each
// screen that lists banks shows each one's currency, approval model and signature scheme side
// by side; with one standard nothing changes (the existing goldens).

// startThreeBanks is the fake wallet at three standards, at w×h, on Home.
func startThreeBanks(t *testing.T, w, h int) (*uitest.App, *uifake.FakeWallet) {
	t.Helper()
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeThreeBankWallet(clock.Now, 3)
	app := uitest.Start(t, fw, uitest.WithClock(clock), uitest.WithSize(w, h))
	app.WaitFor("Recent payments")
	return app, fw
}

// requireSideBySide fails unless v has a row per bank naming its currency, who approves and how
// it is signed, in that order on the bank's line or (narrow) its line and the one under it.
func requireSideBySide(t *testing.T, v string) {
	t.Helper()
	if !strings.Contains(v, "Your banks") {
		t.Fatalf("no banks side by side:\n%s", v)
	}
	for _, want := range [][]string{
		{"Sandbox Bank", "AED", "in payterm (PIN + code)", "JWS PS256 + JWE"},
		{"Berlin Test Bank", "EUR", "at the bank, each payment", "HTTP signature rsa-sha256 (QSealC)"},
		{"Fintecture Test Hub", "EUR", "at the bank, each payment", "HTTP signature rsa-sha256 (app key)"},
	} {
		found := false
		lines := strings.Split(v, "\n")
		for i := range lines {
			line := lines[i]
			if i+1 < len(lines) {
				line += "\n" + lines[i+1]
			}
			if !strings.HasPrefix(strings.TrimLeft(line, " >"), want[0]) {
				continue
			}
			at, ok := 0, true
			for _, part := range want {
				i := strings.Index(line[at:], part)
				if i < 0 {
					ok = false
					break
				}
				at += i + len(part)
			}
			found = found || ok
		}
		if !found {
			t.Errorf("no line with %q in order:\n%s", want, v)
		}
	}
	for _, std := range []string{"UAE Open Finance", "Berlin Group NextGenPSD2", "Fintecture payment session (PSD2 PISP)"} {
		if !strings.Contains(v, std) {
			t.Errorf("lacks the standard %q:\n%s", std, v)
		}
	}
}

// TestThreeBanksHome: on a wide terminal one line per bank with its standard; at 80×24 the
// standard goes under the bank and every line still fits.
func TestThreeBanksHome(t *testing.T) {
	t.Run("wide", func(t *testing.T) {
		app, _ := startThreeBanks(t, 140, 44)
		app.WaitFor("Your banks")
		v := golden(t, app)
		requireSideBySide(t, v)
		if !strings.Contains(v, "Standard") {
			t.Errorf("the wide table has no standard column:\n%s", v)
		}
	})
	t.Run("80x40", func(t *testing.T) {
		app, _ := startThreeBanks(t, 80, 40)
		app.WaitFor("Your banks")
		requireSideBySide(t, golden(t, app))
	})
}

// TestThreeBanksConsents: the Current tab lists the UAE consent, the Berlin Group link and the
// Fintecture link, and their banks side by side under them.
func TestThreeBanksConsents(t *testing.T) {
	app, _ := startThreeBanks(t, 100, 30)
	app.Press("c")
	app.WaitFor("payterm · Consents")
	app.WaitFor("Your banks")
	v := golden(t, app)
	requireSideBySide(t, v)
}

// TestThreeBanksPayFrom: p on Home asks which consent pays, with the banks side by side.
func TestThreeBanksPayFrom(t *testing.T) {
	app, _ := startThreeBanks(t, 100, 30)
	app.Press("p")
	app.WaitFor("Pay from which consent?")
	app.WaitFor("Your banks")
	requireSideBySide(t, golden(t, app))
}

// TestThreeBanksHistory: with payments at several banks the table gains a bank column; a
// payment's detail names its bank, the standard, who approved it and how it was signed.
func TestThreeBanksHistory(t *testing.T) {
	app, _ := startThreeBanks(t, 100, 30)
	app.Press("h")
	app.WaitFor("1 of 7")
	v := app.View()
	for _, want := range []string{"Bank", "Berlin Test Bank", "Fintecture Test Hub", "Sandbox Bank", "sum 79.49 EUR (54.50 EUR paid) · 141.03 AED (57.01 AED paid)"} {
		if !strings.Contains(v, want) {
			t.Errorf("the table lacks %q:\n%s", want, v)
		}
	}
	app.Press("down", "enter")
	app.WaitFor("Timeline")
	v = golden(t, app)
	for _, want := range []string{"12.50 EUR to Boulangerie Paul", "Bank            Fintecture Test Hub",
		"Standard        Fintecture payment session (PSD2 PISP), in EUR", "Approval        at the bank, each payment",
		"Signed with     HTTP signature rsa-sha256 (app key)"} {
		if !strings.Contains(v, want) {
			t.Errorf("the detail lacks %q:\n%s", want, v)
		}
	}
}

// TestThreeBanksHistoryTable pins the table with its bank column.
func TestThreeBanksHistoryTable(t *testing.T) {
	app, _ := startThreeBanks(t, 100, 30)
	app.Press("h")
	app.WaitFor("1 of 7")
	golden(t, app)
}

// TestThreeBanksInspector: the inspector lists the banks under the message, each with its
// signature scheme.
func TestThreeBanksInspector(t *testing.T) {
	app, _ := startThreeBanks(t, 80, 60)
	app.Press("i")
	app.WaitFor("POST /payments")
	app.WaitFor("Your banks")
	v := golden(t, app)
	requireSideBySide(t, v)
}

// TestFintectureMessageRequired: Fintecture refuses a payment without a message to the payee:
// the form marks the field required and asks for it before anything is prepared; typed, the
// payment goes on to the core.
func TestFintectureMessageRequired(t *testing.T) {
	app, fw := startThreeBanks(t, 100, 30)
	app.Press("c")
	app.WaitFor("Fintecture Test Hub")
	app.Press("down", "enter")
	app.WaitFor("Fintecture Test Hub · Active")
	app.Press("p")
	app.WaitFor("Paying from Fintecture Test Hub")
	app.WaitFor("Message to the payee")
	v := app.View()
	if !strings.Contains(v, "Message to the payee required") {
		t.Fatalf("the message field is not marked required:\n%s", v)
	}
	app.FocusField("Payee name")
	app.Type("Boulangerie Paul")
	app.FocusField("IBAN")
	app.Type("FR1420041010050500013M02606")
	app.FocusField("Amount")
	app.Type("12.50")
	app.Press("enter")
	app.WaitFor("does not take a payment without one")
	v = app.View()
	if !strings.Contains(v, "Type a message to the payee: Fintecture Test Hub does not take a payment without one.") {
		t.Errorf("the refusal:\n%s", v)
	}
	if slices.Contains(fw.Calls(), "PreparePayment") {
		t.Fatal("a payment without the message was prepared")
	}
	app.Type("Invoice 42") // the refusal put the cursor in the message field
	app.Press("enter")
	app.WaitFor("You are about to pay")
	if d := fw.Drafts(); len(d) != 1 || d[0].Reference != "Invoice 42" {
		t.Fatalf("drafts %+v", d)
	}
}

// TestThreeBanksHomeShort: at 80×24 Home scrolls; the table is below the fold, reached with
// pgdn, and every line of it fits the width.
func TestThreeBanksHomeShort(t *testing.T) {
	app, _ := startThreeBanks(t, 80, 24)
	app.WaitFor("lines more: pgdn")
	app.Press("pgdown")
	app.WaitFor("Your banks")
	app.Press("pgdown")
	app.WaitFor("Fintecture payment session")
	requireSideBySide(t, golden(t, app))
}
