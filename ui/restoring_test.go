package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/ui/uifake"
)

// TestLinkEndRestoringThenShown: an OP link whose end (its latest bank approval) is still being
// read back after a start says so on Home's card and in the pay chooser — "…", "restoring" —
// never "no end date" nor an expiry in year 1. When the core reports that everything changed
// (the secret store opened, the tokens are back), the chooser on screen reloads by itself and
// shows the day; Home shows it when it is uncovered.
func TestLinkEndRestoringThenShown(t *testing.T) {
	app, fw, _ := start(t, 3)
	link := ui.Consent{ID: "link-0b5e0000-0000-4000-8000-000000000001", Bank: "OP Test Bank", BankID: "op",
		Status: ui.ConsentAuthorized, Created: uifake.FakeBase.Add(-24 * time.Hour), Model: ui.BeneficiaryOpen, ExpiryRestoring: true}
	fw.AddConsent(link)
	app.WaitFor("OP Test Bank")
	app.WaitFor("Expires       … (restoring your bank approval)")
	if v := app.View(); strings.Contains(v, "no end date") || strings.Contains(v, "0001-01-01") || strings.Contains(v, "Renew soon") {
		t.Fatalf("Home while the link's end is restored:\n%s", v)
	}

	app.Press("p")
	app.WaitFor("Pay from which consent?")
	app.WaitFor("expiry: restoring…")
	if row := rowWith(app.View(), "OP Test Bank"); !strings.Contains(row, "expiry: restoring…") {
		t.Fatalf("the link's row in the chooser: %q", row)
	}
	end := uifake.FakeBase.Add(45 * 24 * time.Hour)
	fw.RestoreLinkEnd(0, end)
	want := "expires " + end.In(time.Local).Format("2006-01-02")
	app.WaitFor(want) // no key: the chooser reloads on the core's report
	if row := rowWith(app.View(), "OP Test Bank"); !strings.Contains(row, want) {
		t.Fatalf("the link's row once its end is back: %q", row)
	}
	app.Press("esc")
	app.WaitFor("Expires       in 45 days")
}

// rowWith is the first line of view that contains s.
func rowWith(view, s string) string {
	for _, l := range strings.Split(view, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}
