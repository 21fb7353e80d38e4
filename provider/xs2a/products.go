package xs2aprov

import (
	"strings"

	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/xs2a"
)

// productWords are the products in words a payer knows.
var productWords = map[string]string{
	"sepa-credit-transfers":                              "SEPA transfer",
	"instant-sepa-credit-transfers":                      "Instant SEPA transfer",
	"cross-border-credit-transfers":                      "Transfer abroad",
	"norwegian-domestic-credit-transfers":                "Transfer in Norway",
	"instant-norwegian-domestic-credit-transfers-straks": "Instant transfer in Norway (straks)",
	"domestic": "Transfer in Georgia",
	"foreign":  "Transfer abroad",
}

// openCurrencies are the currencies offered where a profile's product names none (the
// cross-border products): the ones the client formats that the bank family is known to take.
// A bank that refuses one answers 400, and the payment is refused before anything is created.
var openCurrencies = map[string][]string{
	"bg":  {"EUR", "USD", "GBP", "CHF", "NOK", "SEK", "DKK", "PLN"},
	"sb1": {"EUR", "USD", "GBP", "SEK", "DKK"},
	"bog": {"USD", "EUR", "GBP"},
}

// sepaCountries are the IBAN country codes of the SEPA schemes' geographical scope (EPC409-09):
// the EU, the EEA, Switzerland, the United Kingdom, Monaco, San Marino, the Vatican, Andorra,
// Gibraltar, and the 2024–2025 accessions (Albania, Moldova, Montenegro, North Macedonia,
// Serbia).
var sepaCountries = strings.Fields("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE " +
	"IS LI NO CH GB MC SM VA AD GI AL MD ME MK RS")

func scheme(k xs2a.AccountKind) provider.AccountScheme {
	if k == xs2a.AccountBBANNorway {
		return provider.SchemeNorwayBBAN
	}
	return provider.SchemeIBAN
}

func products(p xs2a.Profile) []provider.Product {
	out := make([]provider.Product, 0, len(p.Products))
	for _, pr := range p.Products {
		label := productWords[pr.Name]
		if label == "" {
			label = pr.Name
		}
		cur := pr.Currencies
		if cur == nil {
			cur = openCurrencies[p.Name]
		}
		var countries []string
		switch {
		case strings.Contains(pr.Name, "sepa"):
			countries = sepaCountries
		case pr.Creditor == xs2a.AccountIBANDomestic:
			countries = []string{p.HomeCountry}
		}
		out = append(out, provider.Product{ID: pr.Name, Label: label, Currencies: append([]string(nil), cur...),
			Creditor: scheme(pr.Creditor), Debtor: scheme(pr.Debtor), IBANCountries: append([]string(nil), countries...)})
	}
	return out
}

func signingWords(p xs2a.Profile) string {
	switch p.Name {
	case "sb1":
		return "HTTP signature (draft-cavage, rsa-sha256, RFC 2047-wrapped) over Date, Digest, X-Request-ID, PSU-ID and TPP-Redirect-URI, with the QSealC; mTLS with the QWAC"
	default:
		return "HTTP signature (draft-cavage, rsa-sha256) over Digest, X-Request-ID, Date, TPP-Redirect-URI (and PSU-ID when sent), with the QSealC; mTLS with the QWAC"
	}
}

// Steps of a Berlin Group payment, as the progress screen shows them.
const (
	StepWallet   = "Wallet check"
	StepSigned   = "Signed"
	StepSaved    = "Saved"
	StepSent     = "Sent"
	StepApprove  = "Approve at your bank"
	StepBankSays = "Bank says"
	StepExecuted = "Executed"
)

func caps(name string, p xs2a.Profile) provider.Caps {
	dedup := provider.DedupNone
	if p.RefuseLogicalDuplicates {
		dedup = provider.DedupBankRefusesDuplicates
	}
	return provider.Caps{
		Kind: provider.BerlinGroup, Profile: p.Name, BankName: name,
		WalletSCA: provider.WalletSCAProtectsTheWallet, BankSCA: provider.BankSCAPerPayment,
		Grant: provider.GrantLink, Dedup: dedup, Products: products(p),
		Fields:  provider.Fields{ReferenceMax: 140, ReferenceName: "Message to the payee"},
		Signing: signingWords(p),
		Scheme:  "HTTP signature rsa-sha256 (QSealC)",
		Steps:   []string{StepWallet, StepSigned, StepSaved, StepSent, StepApprove, StepBankSays, StepExecuted},
	}
}
