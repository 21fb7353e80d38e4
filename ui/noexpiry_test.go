package ui

import (
	"strings"
	"testing"
	"time"
)

// A link without an end (an OP, Berlin Group or Fintecture link before any bank approval that
// ends) says so on the consents screen and is never flagged "renew soon"; one whose approval
// ends shows that day and the warning in its last 30 days.
func TestALinkWithoutAnEndIsNotFlagged(t *testing.T) {
	now := time.Date(2030, 1, 15, 12, 0, 0, 0, time.UTC)
	link := Consent{Status: ConsentAuthorized}
	if renewSoon(now, link.Expires) || endCell(link, time.UTC) != "no end date" || !strings.HasSuffix(endLine(link, now, time.UTC), "no end date") {
		t.Fatalf("a link without an end: renew %v, cell %q, line %q", renewSoon(now, link.Expires), endCell(link, time.UTC), endLine(link, now, time.UTC))
	}
	link.Expires = now.Add(45 * 24 * time.Hour)
	if renewSoon(now, link.Expires) || endCell(link, time.UTC) != "expires 2030-03-01" {
		t.Fatalf("45 days left: renew %v, cell %q", renewSoon(now, link.Expires), endCell(link, time.UTC))
	}
	if !renewSoon(now.Add(16*24*time.Hour), link.Expires) {
		t.Fatal("29 days left and no warning")
	}
}

// A link whose end is still being read back says so in the list (in the 18 cells of the
// column, like a date), in the detail and in the chooser, and is never flagged "renew soon".
func TestALinkWhoseEndIsRestoredSaysSo(t *testing.T) {
	now := time.Date(2030, 1, 15, 12, 0, 0, 0, time.UTC)
	link := Consent{Status: ConsentAuthorized, ExpiryRestoring: true}
	cell, line, label := endCell(link, time.UTC), endLine(link, now, time.UTC), expiryLabel(link, time.UTC)
	if cell != "expiry: restoring…" || displayWidth(cell) != 18 || !strings.Contains(line, "restoring") || label != "expiry: restoring…" ||
		renewSoon(now, link.Expires) || cardEnd(link, now, time.UTC) != restoringEnd {
		t.Fatalf("a link being restored: cell %q, line %q, chooser %q, card %q", cell, line, label, cardEnd(link, now, time.UTC))
	}
	// Once its end is known, the end wins whatever the flag says.
	link.Expires = now.Add(45 * 24 * time.Hour)
	if endCell(link, time.UTC) != "expires 2030-03-01" || expiryLabel(link, time.UTC) != "expires 2030-03-01" {
		t.Fatalf("a link whose end is back: cell %q, chooser %q", endCell(link, time.UTC), expiryLabel(link, time.UTC))
	}
	if got := cardEnd(Consent{Status: ConsentAuthorized}, now, time.UTC); got != "no end date" {
		t.Fatalf("Home's card for a link without an end: %q", got)
	}
}
