package ui_test

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/ui/uitest"
)

// opForecast is the words OP's provider gives for a payment OP may let through without its page.
const opForecast = "OP may not ask: 2 of 5, 45.00 of 100.00 EUR since your last bank approval (OP decides; payments made elsewhere count too)"

// TestReviewShowsTheBankApprovalForecast: a bank that may take the payment without asking the
// payer (OP's exemption) gives its forecast; the review screen shows it as the "Bank approval"
// row, whole (wrapped under its label), and still says the bank asks — the forecast is a guess.
func TestReviewShowsTheBankApprovalForecast(t *testing.T) {
	app, fw, _ := startBG(t)
	fw.SetBankApproval(opForecast)
	fillBGForm(t, app)
	app.Press("enter")
	app.WaitFor("You are about to pay")
	v := golden(t, app)
	flat := strings.Join(strings.Fields(v), " ")
	if !strings.Contains(v, "Bank approval  OP may not ask: 2 of 5, 45.00 of 100.00 EUR") || !strings.Contains(flat, "(OP decides; payments made elsewhere count too)") ||
		!strings.Contains(flat, "approve the payment itself, unless it waives that (Bank approval above).") {
		t.Errorf("the review lacks the forecast:\n%s", v)
	}
}

// TestReviewBankApprovalAccessible: the same row in the accessible view, as plain text.
func TestReviewBankApprovalAccessible(t *testing.T) {
	app, fw, _ := startBG(t, uitest.WithAccessible())
	fw.SetBankApproval(opForecast)
	fillBGForm(t, app)
	app.Press("enter")
	app.WaitFor("You are about to pay")
	v := golden(t, app)
	flat := strings.Join(strings.Fields(v), " ")
	if !strings.Contains(flat, "Bank approval "+opForecast) {
		t.Errorf("the accessible review lacks the forecast:\n%s", v)
	}
}

// TestReviewWithoutForecastHasNoRow: a bank with nothing to forecast shows no such row.
func TestReviewWithoutForecastHasNoRow(t *testing.T) {
	app, _, _ := startBG(t)
	fillBGForm(t, app)
	app.Press("enter")
	app.WaitFor("You are about to pay")
	if v := app.View(); strings.Contains(v, "Bank approval") {
		t.Errorf("a row for a forecast the bank did not give:\n%s", v)
	}
}

// TestReviewOnAShortTerminalSummarisesTheLimits: where the review's rows of limits after the
// payment do not fit (a bank that asks the payer itself, with its forecast, on 100×30) it says
// in one sentence what is left, instead of leaving the limits out, and still ends with what to
// press; on a taller terminal the rows are back.
func TestReviewOnAShortTerminalSummarisesTheLimits(t *testing.T) {
	for _, c := range []struct {
		h         int
		rows, sum bool
	}{{45, true, false}, {30, false, true}} {
		app, fw, _ := startBG(t, uitest.WithSize(100, c.h))
		fw.SetBankApproval(opForecast)
		fillBGForm(t, app)
		app.Press("enter")
		app.WaitFor("You are about to pay")
		v := app.View()
		flat := strings.Join(strings.Fields(v), " ")
		if got := strings.Count(v, "\n") + 1; got > c.h {
			t.Errorf("100×%d: the review is %d lines:\n%s", c.h, got, v)
		}
		if !strings.Contains(flat, "Press enter to confirm with your PIN and code") {
			t.Errorf("100×%d: the review lost what to press:\n%s", c.h, v)
		}
		if rows := strings.Contains(v, "Per month"); rows != c.rows {
			t.Errorf("100×%d: limit rows shown %v, want %v:\n%s", c.h, rows, c.rows, v)
		}
		if sum := strings.Contains(flat, "After this payment: ") && strings.Contains(flat, "left today;") &&
			strings.Contains(flat, "left this month") && strings.Contains(flat, "a taller terminal shows every limit"); sum != c.sum {
			t.Errorf("100×%d: one-line summary shown %v, want %v:\n%s", c.h, sum, c.sum, v)
		}
	}
}
