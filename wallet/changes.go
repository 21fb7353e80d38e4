package wallet

import "strconv"

// The ledger tells whoever runs the wallet what it recorded, so a screen showing a payment or a
// consent can redraw when the record changes, whichever part of the core changed it (a payment
// being sent, the background resume, start-up reconciliation, a consent sync, the user's own
// action). The hook is one generic call after each committed write of a payment or a consent:
// the ledger says what changed, never how, so new statuses and new writers need nothing more.

// ChangeKind says which kind of record changed.
type ChangeKind int

// The records the ledger reports.
const (
	// PaymentChanged: a payment was recorded or its status changed.
	PaymentChanged ChangeKind = iota + 1
	// ConsentChanged: a consent was recorded, or its status or local pause changed.
	ConsentChanged
)

// Change is one committed write: which record, by its id (a payment's ledger id in decimal, or a
// consent's id). It carries no content: readers read the record again.
type Change struct {
	Kind ChangeKind
	ID   string
}

// changed reports a committed write to LedgerOptions.OnChange, if set.
func (l *Ledger) changed(k ChangeKind, id string) {
	if l.onChange != nil {
		l.onChange(Change{Kind: k, ID: id})
	}
}

func (l *Ledger) paymentChanged(id int64) { l.changed(PaymentChanged, strconv.FormatInt(id, 10)) }
