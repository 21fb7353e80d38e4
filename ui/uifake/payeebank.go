package uifake

import "github.com/payterm/payterm/ui"

// Saved payees abroad at the fake Berlin Group (or OP) bank: the wallet keeps their bank and
// address with them, and a payment to one carries them (PreparedPayment.PayeeBank), as the core
// reads them back from the payee's stored form.

// AddSavedForeignPayee saves a payee of the fake bank with its bank and address (what a foreign
// payment to it carries).
func (f *FakeWallet) AddSavedForeignPayee(p ui.Payee, pb ui.PayeeBank) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bg.payees = append(f.bg.payees, p)
	if f.bg.payeeBanks == nil {
		f.bg.payeeBanks = map[string]ui.PayeeBank{}
	}
	f.bg.payeeBanks[p.ID] = pb
}

// payeeBankFor is the bank and address a payment of a product that names them carries: a saved
// payee's as kept, a new payee's as typed; the caller holds f.mu.
func (f *FakeWallet) payeeBankFor(payeeID string, typed ui.PayeeDraft) ui.PayeeBank {
	if pb, ok := f.bg.payeeBanks[payeeID]; ok {
		return pb
	}
	if payeeID == "payee-new" {
		return ui.PayeeBank{BIC: typed.BIC, Address: typed.Address, Country: typed.Country}
	}
	return ui.PayeeBank{}
}
