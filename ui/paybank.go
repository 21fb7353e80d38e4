package ui

import "strings"

// payeeBank fills the payee's bank (BIC), address and country from the form, for a product that
// asks for them (Product.PayeeBank), or says in one sentence what is missing. What was typed is
// passed on as typed (trimmed): the bank's provider checks it and refuses it in words.
func (s *payScreen) payeeBank(d *PayeeDraft) string {
	d.BIC = strings.TrimSpace(s.newBIC.Value())
	d.Country = strings.TrimSpace(s.newCountry.Value())
	d.Address = nil
	for _, f := range []*field{s.newAddr1, s.newAddr2} {
		if p := typedTextProblem("The address", f.Value()); p != "" {
			return p
		}
		if l := strings.TrimSpace(f.Value()); l != "" {
			d.Address = append(d.Address, l)
		}
	}
	switch {
	case d.BIC == "":
		s.focusOn("bic")
		return "Type the payee's bank BIC (8 or 11 letters and digits, such as DEUTDEFF): a foreign payment needs it."
	case d.Country == "":
		s.focusOn("country")
		return "Type the payee's country as its two-letter code (such as US): a foreign payment needs it."
	}
	return ""
}
