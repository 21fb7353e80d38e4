package ui_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/ui/uitest"
)

func TestHistoryTable(t *testing.T) {
	app, _, _ := start(t, 1000)
	app.WaitFor("Recent payments")
	app.Press("h")
	app.WaitFor("1 of 1000")
	app.Press("j", "j")
	app.WaitFor("3 of 1000")
	golden(t, app)
}

// TestHistoryDeepScroll pages far beyond the in-memory window and back: the position counter
// proves rows were fetched with keyset pages, and the frame stays one screen tall.
func TestHistoryDeepScroll(t *testing.T) {
	app, _, _ := start(t, 100000)
	app.WaitFor("Recent payments")
	app.Press("h")
	app.WaitFor("1 of 100000")
	prev := 1
	for range 40 {
		app.Press("pgdown")
		prev = waitPosition(t, app, prev)
	}
	if prev < 1000 {
		t.Fatalf("40 pages down reached row %d, want beyond 1000", prev)
	}
	app.Press("G")
	app.WaitFor("100000 of 100000")
	app.Press("pgup")
	app.WaitFor("99967 of 100000")
	app.Press("g")
	app.WaitFor("1 of 100000")
	v := golden(t, app)
	if n := strings.Count(v, "\n"); n != 39 {
		t.Errorf("frame has %d lines, want 39", n)
	}
}

// positionRE is the position line with no page load pending (the sums follow the count).
var positionRE = regexp.MustCompile(`(?m)^(\d+) of 100000(?: · sum [0-9,.]+ AED \([^)]*\))?$`)

// waitPosition waits until the position line shows a row other than prev, with no page load
// pending, and returns it.
func waitPosition(t *testing.T, app *uitest.App, prev int) int {
	t.Helper()
	deadline := time.Now().Add(uitest.DefaultTimeout)
	for time.Now().Before(deadline) {
		if m := positionRE.FindStringSubmatch(app.View()); m != nil {
			if n, _ := strconv.Atoi(m[1]); n != prev {
				return n
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("position did not move from %d:\n%s", prev, app.View())
	return 0
}

func TestHistoryFilterForm(t *testing.T) {
	app, _, _ := start(t, 200)
	app.WaitFor("Recent payments")
	app.Press("h")
	app.WaitFor("1 of 200")
	app.Press("/")
	app.WaitFor("Filter history")
	app.Type("مثال")
	app.Press("tab")
	app.Type("2030-01-10")
	app.Press("ctrl+s", "ctrl+s")
	app.WaitFor("pending")
	golden(t, app)
}

func TestHistoryFiltered(t *testing.T) {
	app, _, _ := start(t, 200)
	app.WaitFor("Recent payments")
	app.Press("h")
	app.WaitFor("1 of 200")
	app.Press("/")
	app.Type("مثال")
	app.Press("enter")
	app.WaitFor(`payee "مثال"`)
	app.WaitFor("1 of 66")
	app.Press("s") // successful only
	app.WaitFor("status successful")
	app.WaitFor("1 of 39") // the filtered page, not the frame before it loads
	golden(t, app)
}

func TestHistoryFilterBadDate(t *testing.T) {
	app, _, _ := start(t, 20)
	app.WaitFor("Recent payments")
	app.Press("h")
	app.WaitFor("1 of 20")
	app.Press("/")
	app.WaitFor("Filter history")
	app.Press("tab")
	app.Type("15/01/2030")
	app.Press("enter")
	app.WaitFor("From: use YYYY-MM-DD")
}

func TestHistoryDetail(t *testing.T) {
	app, _, _ := start(t, 20)
	app.WaitFor("Recent payments")
	app.Press("h")
	app.WaitFor("1 of 20")
	app.Press("j", "j", "j", "enter")
	app.WaitFor("Timeline")
	v := golden(t, app)
	if !strings.Contains(v, "Insufficient funds") {
		t.Errorf("rejected payment detail lacks its reason:\n%s", v)
	}
}

// TestTypeAhead: keys typed faster than the screens load land on the screen the user will see
// (navigation is applied inside the same update, not by a later message).
func TestTypeAhead(t *testing.T) {
	app, _, _ := start(t, 20)
	app.WaitFor("Recent payments")
	app.Press("h", "/")
	app.WaitFor("Filter history")
	app.Press("esc", "esc", "c", "l")
	app.WaitFor("[History]")
}

func TestHistoryNoMatch(t *testing.T) {
	app, _, _ := start(t, 20)
	app.WaitFor("Recent payments")
	app.Press("h", "/")
	app.WaitFor("Filter history")
	app.Type("nobody by this name")
	app.Press("enter")
	app.WaitFor("No payments match.")
	golden(t, app)
}

// TestHistoryCancelQueuedPayment: a queued payment's detail offers X; after y it is cancelled,
// in the detail and in the list.
func TestHistoryCancelQueuedPayment(t *testing.T) {
	app, fw, _ := start(t, 5)
	fw.QueueRow(0)
	app.WaitFor("Recent payments")
	app.Press("h")
	app.WaitFor("1 of 5")
	app.Press("enter")
	app.WaitFor("X cancel this queued payment")
	app.Press("X")
	app.WaitFor("Cancel this payment? The bank has not got it")
	app.Press("n")
	app.WaitGone("Cancel this payment?")
	app.Press("X", "y")
	app.WaitFor("Status          Cancelled (not sent) (Cancelled)")
	app.Press("esc")
	// The table's row, not the detail's status line (still on screen until esc lands): the
	// reload after the cancel has reached the list.
	app.WaitFor("10.00 AED  Cancelled (not sent)")
	// The cancel is a change the core publishes too: the list reloads once more; let it land.
	app.WaitGone("loading more…")
	v := golden(t, app)
	if strings.Contains(v, "Queued — not sent") {
		t.Errorf("the list still shows it queued:\n%s", v)
	}
}
