package ui_test

import (
	"strings"
	"testing"

	"github.com/payterm/payterm/ui/uitest"
)

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
