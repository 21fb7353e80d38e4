package ui

import (
	"fmt"

	"github.com/charmbracelet/bubbles/key"
)

// Bundles waiting for the payer's one approval at their bank, after the Bundle screen is gone
// (a restart, esc): there is no screen of open bundles, so History's detail of a bundled
// payment says which bundle it is in and that approving it approves the bundle (a), and Home
// counts the bundles still waiting, per bank.

// BundleMembership is where a payment stands in its bundle (PaymentDetail.Bundle).
type BundleMembership struct {
	Item int // its place in the bundle, 1…
	Size int // the payments in the bundle
	// Awaiting counts the bundle's payments, this one included when it waits, still awaiting
	// the bank's approval: one approval at the bank covers them all.
	Awaiting int
}

// BundlesWaiting counts the bundles whose payments await the payer's approval at one bank
// (Overview.BundlesAwaiting).
type BundlesWaiting struct {
	Bank  string // the bank's display name
	Count int
}

// keyApproveBundle is keyApproveAgain for a payment of a bundle: the bank's one page approves
// every payment of it still waiting.
var keyApproveBundle = key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "approve the whole bundle at your bank now"))

// approveKey is a with the help that fits the payment of d.
func approveKey(d *PaymentDetail) key.Binding {
	if d != nil && d.Bundle != nil && d.Bundle.Awaiting > 1 {
		return keyApproveBundle
	}
	return keyApproveAgain
}

// bundleField is the detail's "Bundle" value: which payment of how many, approved together.
func bundleField(m BundleMembership, bank string) string {
	at := ""
	if bank != "" {
		at = " at " + bank
	}
	return fmt.Sprintf("payment %d of a bundle of %d, approved together%s", m.Item, m.Size, at)
}

// bundleApprovalNote says, under the detail of a payment awaiting its bank's approval, what a
// does to the rest of its bundle; "" when the payment does not wait.
func bundleApprovalNote(m BundleMembership, bank string, st PaymentStatus) string {
	if st != PaymentAwaitingBankSCA {
		return ""
	}
	if bank == "" {
		bank = "your bank"
	}
	if m.Awaiting <= 1 {
		return "The other payments of its bundle have ended: approving it (a) approves this payment alone."
	}
	return fmt.Sprintf("Approving it approves them all: a opens %s's one page for the %d payments of this bundle still awaiting your approval (the page lets you untick any).",
		bank, m.Awaiting)
}

// bundlesWaitingLines are Home's lines about bundles awaiting approval, one per bank.
func bundlesWaitingLines(ws []BundlesWaiting) []string {
	var out []string
	for _, w := range ws {
		if w.Count <= 0 {
			continue
		}
		bank := plainName(w.Bank)
		if bank == "" {
			bank = "your bank"
		}
		out = append(out, fmt.Sprintf("%s awaiting your approval at %s (History: open a payment of it, press a)",
			count(w.Count, "bundle", "bundles"), bank))
	}
	return out
}
