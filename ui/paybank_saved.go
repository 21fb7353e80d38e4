package ui

// payeeBankOf is the payee's bank and address the review shows for p: as typed on this form
// for a new payee (never rewritten), else what the core says the payment carries for a saved
// payee (PreparedPayment.PayeeBank, kept with the payee); false when there is none.
func (s *payScreen) payeeBankOf(p PreparedPayment) (PayeeBank, bool) {
	if t := s.payeeBankShown; t.BIC != "" {
		return PayeeBank{BIC: t.BIC, Address: t.Address, Country: t.Country}, true
	}
	if p.PayeeBank.BIC != "" {
		return p.PayeeBank, true
	}
	return PayeeBank{}, false
}
