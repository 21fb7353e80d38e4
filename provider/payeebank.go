package provider

// PayeeBankReader is implemented by providers whose checked payees keep their bank and address
// in the stored form (Party.Wire, made by PayeeChecker), such as OP's foreign payees: the core
// reads them back, so the review of a payment to a saved payee shows the bank (BIC) and address
// the bank will be told, as it does for a payee typed on the form.
type PayeeBankReader interface {
	// StoredPayeeBank returns the payee's bank, address and country kept in wire; ok is false
	// when wire holds none (a payee of another product) or cannot be read.
	StoredPayeeBank(wire []byte) (bank PayeeBank, ok bool)
}

// PayeeBank is a payee's bank (BIC), postal address lines and ISO 3166 alpha-2 country.
type PayeeBank struct {
	BIC     string
	Address []string
	Country string
}
