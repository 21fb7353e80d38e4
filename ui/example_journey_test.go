// This file is the example in README.md, kept compiling and passing.

package ui_test

import (
	"testing"

	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

func TestPayArabicPayee(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	w := uifake.NewFakeWallet(clock.Now, 3)            // any ui.Wallet; realapp.Start gives the real one
	app := uitest.Start(t, w, uitest.WithClock(clock)) // 100×40 unless uitest.WithSize

	app.WaitFor("Recent payments") // polls the latest rendered frame
	app.Press("p")
	app.WaitFor("Purpose")
	app.Press("right", "right") // third payee
	app.Press("tab")
	app.Type("1,250.5") // one key message per rune: Arabic and "€" arrive intact
	app.Press("tab")
	app.Type("فاتورة ٧")
	app.Press("tab")
	app.Type("mob")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.Type("123456")
	app.Press("tab")
	app.Type("654321")
	app.Press("enter")
	app.WaitFor("Payment Settled")
	app.RequireGolden(app.FinalView()) // testdata/TestPayArabicPayee.golden
}
