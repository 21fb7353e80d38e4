package ui

import (
	"context"

	"github.com/payterm/payterm/money"
)

// BundleService is the optional part of the Wallet that pays several payments at one bank with
// one wallet check (PIN + code) and one approval at the bank (PayTerms.Bundle > 1). The bank's
// question during a bundle is answered with PaymentService.ContinuePayment under the bundle's
// ID.
type BundleService interface {
	// PrepareBundle checks every payment as PreparePayment does, and the bundle's total
	// against the limits. A refusal names the payment it is about.
	PrepareBundle(ctx context.Context, consentID string, items []PaymentDraft) (PreparedBundle, error)
	// SubmitBundle runs the wallet's check once for the whole bundle, then makes every payment,
	// asks the bank for one approval (BundleEvent.Action) and follows each to its end.
	SubmitBundle(ctx context.Context, bundleID string, in SCAInput) (<-chan BundleEvent, error)
	// RevokeBundle withdraws the bundle at the bank (PreparedBundle.RevokeWarning is said
	// first): every payment of it not yet submitted ends. It returns each payment's status.
	RevokeBundle(ctx context.Context, bundleID string) ([]BundleItem, error)
}

// PreparedBundle is a checked bundle, ready for the wallet's check.
type PreparedBundle struct {
	ID        string
	ConsentID string
	Items     []PreparedPayment
	Total     money.Amount
	Currency  string
	// RevokeWarning is the bank's sentence the screen shows before it asks to revoke the
	// bundle ("revoking this bundle revokes every payment in it…").
	RevokeWarning string
}

// BundleItem is where one payment of a bundle is.
type BundleItem struct {
	PaymentID  string // "" until it is saved
	Status     PaymentStatus
	BankStatus string
	Reason     string // why it failed, in words ("" while it runs or when paid)
}

// BundleEvent is one step of a bundle on its way.
type BundleEvent struct {
	// Item is the payment (1…) the event is about; 0 for the bundle as a whole (the wallet's
	// check, the bank's approval).
	Item  int
	State StepState
	Note  string
	// Action is set while the bank waits for the payer's one approval of the bundle.
	Action *BankAction
	Err    error
	// Items are every payment's status as of this event, in order (a payment not yet saved
	// has Status "").
	Items []BundleItem
	// Final marks the last event.
	Final bool
}
