package uae

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode"

	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/provider"
)

// PayeeName puts a typed payee name in the slot of its script: a name with Arabic letters is
// the Arabic name, any other the English one (AEName keeps the two apart). The consent page and
// the pay form use it alike, so a payee typed either way is the same creditor.
func PayeeName(typed string) consent.Name {
	for _, r := range typed {
		if unicode.Is(unicode.Arabic, r) {
			return consent.Name{AR: typed}
		}
	}
	return consent.Name{EN: typed}
}

// CheckPayee checks a payee typed at payment time as the standard's creditor (an AE IBAN, a
// name in the slot of its script) and gives its wire form (AEDomesticCreditor JSON), which the
// payment's PII carries byte for byte.
func (b *Bank) CheckPayee(p provider.Party, _ string) (provider.Party, error) {
	if p.BIC != "" || len(p.Address) > 0 || p.Country != "" {
		// The creditor has no such fields: dropping them would let the payer believe they were sent.
		return p, errors.New("payments at this bank name no payee bank or address: leave them empty")
	}
	accountType := consent.CreditorIndividual
	if p.Kind == "corporate" {
		accountType = consent.CreditorBusiness
	}
	dc, err := consent.BuildCreditor(consent.CreditorInput{IBAN: p.Account, AccountName: PayeeName(p.Name), AccountType: accountType})
	if err != nil {
		return p, err
	}
	wire, err := json.Marshal(dc)
	if err != nil {
		return p, fmt.Errorf("encode creditor: %w", err)
	}
	name := dc.CreditorAccount.Name.EN
	if name == "" {
		name = dc.CreditorAccount.Name.AR
	}
	return provider.Party{Name: name, Account: dc.CreditorAccount.Identification.Canonical(), Kind: p.Kind, Wire: wire}, nil
}
