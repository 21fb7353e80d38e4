package op

import (
	"slices"
	"testing"

	"github.com/payterm/payterm/provider"
)

// foreignParty is a payee abroad as typed (the NatWest example IBAN, JPMorgan's BIC).
func foreignParty() provider.Party {
	return provider.Party{Name: "Acme Corp", Account: "GB29 NWBK 6016 1331 9268 19", BIC: "CHASUS33",
		Address: []string{"1 Main Street", "New York NY"}, Country: "US"}
}

// TestStoredPayeeBankReadsWhatCheckPayeeKept: the bank and address CheckPayee kept for a
// foreign payee come back from its stored form; a SEPA payee (no stored form) and a damaged
// record give nothing.
func TestStoredPayeeBankReadsWhatCheckPayeeKept(t *testing.T) {
	b := &Bank{}
	p, err := b.CheckPayee(foreignParty(), ForeignProductID)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := b.StoredPayeeBank(p.Wire)
	if !ok || got.BIC != p.BIC || !slices.Equal(got.Address, p.Address) || got.Country != p.Country {
		t.Fatalf("read back %+v, %v; kept %q %q %q", got, ok, p.BIC, p.Address, p.Country)
	}
	sepa := foreignParty()
	sepa.BIC, sepa.Address, sepa.Country = "", nil, ""
	s, err := b.CheckPayee(sepa, ProductID)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := b.StoredPayeeBank(s.Wire); ok {
		t.Fatalf("a SEPA payee has a bank and address: %+v", got)
	}
	for _, bad := range []string{`{"v":1,"bic":"not a bic","country":"GB"}`, `{"v":2,"bic":"NWBKGB2L","country":"GB"}`, `{`,
		`{"v":1,"bic":"NWBKGB2L","address":["` + "\x1b[31m" + `"],"country":"GB"}`} {
		if got, ok := b.StoredPayeeBank([]byte(bad)); ok {
			t.Errorf("%s read as %+v", bad, got)
		}
	}
}
