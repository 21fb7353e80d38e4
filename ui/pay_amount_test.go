package ui_test

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/ui/uitest"
)

// TestPayAmountKeptAndRefused: issue 11 — the amount field dropped every key but digits, '.'
// and ',': "1e9" reached review as 19.00 AED and "-5" as 5.00. Now what is typed stays in the
// field, the form refuses it with one sentence saying what is wrong and what to type, and
// nothing reaches the core.
func TestPayAmountKeptAndRefused(t *testing.T) {
	for _, c := range []struct{ typed, sentence string }{
		{"1e9", "An exponent such as 1e9 is not an amount; type every digit, like 1000000000."},
		{"-5", "An amount cannot be negative; type it without a minus sign, like 125.50."},
		{"USD 20", "payterm pays in AED only; type the amount alone or with AED, like 125.50 or AED 125.50."},
		{"1.000,50", "A comma after the decimal point cannot be read; type a point before the fils and commas only between thousands, like 1,250.50."},
		{"12.505", "An amount has at most 2 decimal places and payterm never rounds one; type the fils with 2 digits, like 125.50."},
		{"1٠5", "The amount mixes different kinds of digits; type it with 0-9 throughout, or with ٠-٩ (or ۰-۹) throughout."},
	} {
		t.Run(c.typed, func(t *testing.T) {
			app, fw, _ := start(t, 3)
			app.WaitFor("Recent payments")
			fillPayForm(app, c.typed)
			app.WaitFor("Amount (AED)  " + c.typed)
			app.Press("enter")
			v := waitSentence(t, app, c.sentence)
			if !strings.Contains(v, "› Amount (AED)  "+c.typed+"▏") {
				t.Errorf("the focus is not back on the amount as typed:\n%s", v)
			}
			if d := fw.Drafts(); len(d) != 0 {
				t.Fatalf("the core received %+v", d)
			}
			if c.typed == "1e9" {
				golden(t, app)
			}
		})
	}
}

// TestPayArabicIndicDigits: Arabic-Indic digits are read as digits, never dropped: the review
// shows the amount as read and what was typed.
func TestPayArabicIndicDigits(t *testing.T) {
	app, fw, _ := start(t, 3)
	app.WaitFor("Recent payments")
	fillPayForm(app, "١٬٢٥٠٫٥")
	app.WaitFor("Amount (AED)  ١٬٢٥٠٫٥")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	v := golden(t, app)
	if !strings.Contains(v, "You typed ١٬٢٥٠٫٥, read as 1,250.50 AED.") {
		t.Errorf("the review does not restate the amount as read:\n%s", v)
	}
	if d := fw.Drafts(); len(d) != 1 || d[0].Amount != "١٬٢٥٠٫٥" {
		t.Fatalf("drafts = %+v; want the amount as typed", d)
	}
}

// TestPayArabicIndicDigitsAccessible: the accessible review says the same in words.
func TestPayArabicIndicDigitsAccessible(t *testing.T) {
	app, _, _ := start(t, 3, uitest.WithAccessible())
	app.WaitFor("Recent payments")
	fillPayForm(app, "۱۲۵")
	app.Press("enter")
	app.WaitFor("You are about to pay")
	if v := app.View(); !strings.Contains(v, "Amount: 125.00 AED\nYou typed ۱۲۵, read as 125.00 AED.") {
		t.Errorf("accessible review:\n%s", v)
	}
}

// TestPayLongPasteNeverCut: a paste longer than the field keeps what fits and is refused as
// too long; it is never read as the shorter amount that fits.
func TestPayLongPasteNeverCut(t *testing.T) {
	app, fw, _ := start(t, 3)
	app.WaitFor("Recent payments")
	fillPayForm(app, strings.Repeat("0", 85)+"1.505")
	app.Press("enter")
	waitSentence(t, app, "The amount is too long; type at most 16 digits before the decimal point and 2 after, like 125.50.")
	if d := fw.Drafts(); len(d) != 0 {
		t.Fatalf("the core received %+v", d)
	}
}
