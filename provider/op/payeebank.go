package op

import "github.com/payterm/payterm/provider"

var _ provider.PayeeBankReader = (*Bank)(nil)

// StoredPayeeBank reads a foreign payee's bank and address back from its stored form
// (CheckPayee's ForeignPayeeRecord), as strictly as a payment built from it does: a damaged
// record shows nothing rather than something the payment would not carry.
func (b *Bank) StoredPayeeBank(wire []byte) (provider.PayeeBank, bool) {
	if len(wire) == 0 {
		return provider.PayeeBank{}, false
	}
	f, err := DecodeForeignPayee(wire)
	if err != nil {
		return provider.PayeeBank{}, false
	}
	return provider.PayeeBank{BIC: f.BIC, Address: append([]string(nil), f.Address...), Country: f.Country}, true
}
