package uitest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/ui/uifake"
	"github.com/payterm/payterm/ui/uitest"
)

// TestHelpersPayAPickedPayee: PickPayee, TypeAmount, Authenticate and WaitForPayment make a
// payment to the payee named, of the amount typed, on the exported fake.
func TestHelpersPayAPickedPayee(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	fw := uifake.NewFakeWallet(clock.Now, 3)
	app := uitest.Start(t, fw, uitest.WithClock(clock))
	app.WaitFor("Recent payments")
	app.Press("p")
	app.PickPayee("Example Trading LLC")
	app.TypeAmount("99")
	app.TypeAmount("12.5") // replaces what the field held
	app.FocusField("Purpose")
	app.Type("mwp")
	app.WaitFor("MWP  Mobile Wallet Payments")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	app.Press("enter")
	app.Authenticate(fw.PIN, fw.Code)
	app.WaitForPayment("Settled")
	v := app.FinalView()
	for _, want := range []string{"12.50 AED", "Example Trading LLC"} {
		if !strings.Contains(v, want) {
			t.Errorf("the receipt lacks %q:\n%s", want, v)
		}
	}
	ds := fw.Drafts()
	if len(ds) != 1 || ds[0].Amount != "12.5" {
		t.Fatalf("drafts = %+v, want one of 12.5", ds)
	}
}

// TestHelpersPickPayeeFailsOnAnUnknownPayee: PickPayee does not settle for another payee.
func TestHelpersPickPayeeFailsOnAnUnknownPayee(t *testing.T) {
	clock := uitest.NewClock(uifake.FakeBase)
	rec := &recorder{TB: t}
	inner := uitest.Start(rec, uifake.NewFakeWallet(clock.Now, 3), uitest.WithClock(clock), uitest.WithTimeout(3*time.Second))
	inner.WaitFor("Recent payments")
	inner.Press("p")
	func() {
		defer func() { _ = recover() }()
		inner.PickPayee("Nobody Of That Name")
	}()
	if !strings.Contains(rec.fatal, `no payee "Nobody Of That Name"`) {
		t.Fatalf("PickPayee of an unknown payee: fatal = %q", rec.fatal)
	}
}

// recorder is a testing.TB whose Fatal is recorded (and stops the helper by panicking).
type recorder struct {
	testing.TB
	fatal string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	panic("fatal")
}

// TestStatusLine: the footer's status line is the last non-empty line above the key help.
func TestStatusLine(t *testing.T) {
	v := "payterm · Limits\n\nPer payment  5,000.00 AED\n\n\nLimits saved.\nesc back · ? help"
	if got := uitest.StatusLine(v); got != "Limits saved." {
		t.Fatalf("StatusLine = %q", got)
	}
}

// TestMaskIDs: each distinct UUID becomes a numbered placeholder of the same width; equal ids
// stay equal; other text is untouched.
func TestMaskIDs(t *testing.T) {
	in := "Consent id  9f1c2d3e-4b5a-4c6d-8e7f-0123456789ab\nInteraction 1b2c3d4e-5f60-4718-9a0b-c1d2e3f40516\nagain 9f1c2d3e-4b5a-4c6d-8e7f-0123456789ab"
	want := "Consent id  00000000-0000-4000-8000-000000000001\nInteraction 00000000-0000-4000-8000-000000000002\nagain 00000000-0000-4000-8000-000000000001"
	if got := uitest.MaskIDs(in); got != want {
		t.Fatalf("MaskIDs:\n%s\nwant\n%s", got, want)
	}
	if got := uitest.MaskIDs("no id here"); got != "no id here" {
		t.Fatalf("MaskIDs changed text without an id: %q", got)
	}
}

// TestMaskGolden: times and ids are masked, numbered by first appearance, widths kept.
func TestMaskGolden(t *testing.T) {
	in := "When  2026-12-06 17:46 UTC\nId    9f1c2d3e-4b5a-4c6d-8e7f-0123456789ab\nUntil 2027-12-05"
	want := "When  0000-00-00 00:01 UTC\nId    00000000-0000-4000-8000-000000000001\nUntil 0000-00-02"
	if got := uitest.MaskGolden(in); got != want {
		t.Fatalf("MaskGolden:\n%s\nwant\n%s", got, want)
	}
}
