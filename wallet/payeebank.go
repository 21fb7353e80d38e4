package wallet

import (
	"encoding/json"

	"github.com/payterm/payterm/provider"
)

// payeeBankOf is the payee's bank and address a payment of product will carry, read back from
// the payee's stored form (creditor) by its bank's provider: for a saved payee as much as for
// one typed now, the review shows what the bank is told. Nil when the product names no payee
// bank, or the provider keeps none.
func payeeBankOf(bank provider.Bank, product provider.Product, creditor json.RawMessage) *provider.PayeeBank {
	r, ok := bank.(provider.PayeeBankReader)
	if !ok || !product.PayeeBank || len(creditor) == 0 {
		return nil
	}
	pb, ok := r.StoredPayeeBank(creditor)
	if !ok {
		return nil
	}
	return &pb
}
