package xs2a

import (
	"fmt"
	"slices"

	"github.com/payterm/payterm/internal/httpsig"
)

// Approach is an SCA approach (BG: the ASPSP-SCA-Approach header; OAuth counts as REDIRECT
// there, but the link it gives is scaOAuth).
type Approach string

const (
	Redirect  Approach = "REDIRECT"
	OAuth     Approach = "OAUTH"
	Decoupled Approach = "DECOUPLED"
	Embedded  Approach = "EMBEDDED"
)

// AccountKind is how a product identifies accounts.
type AccountKind string

const (
	AccountIBAN         AccountKind = "iban"      // any IBAN of the registry
	AccountBBANNorway   AccountKind = "bban-no"   // Norwegian 11-digit kontonummer
	AccountIBANDomestic AccountKind = "iban-home" // an IBAN of the profile's home country
)

// ErrorShape is how a bank writes an error body.
type ErrorShape string

const (
	// ShapeNextGen is {"tppMessages":[{category,code,path,text}],"_links":…} (application/json)
	// or RFC 7807 {type,title,detail,code,additionalErrors,_links} (application/problem+json),
	// told apart by the content type.
	ShapeNextGen ErrorShape = "nextgen"
	// ShapeSB1 is SpareBank 1's {"id","system","status","code","message"} (seed 002).
	ShapeSB1 ErrorShape = "sb1"
)

// Product is one payment product of a profile.
type Product struct {
	Name       string // the path segment
	Service    string // "payments": the only service this client initiates
	Creditor   AccountKind
	Debtor     AccountKind
	Currencies []string // nil: any currency the client can format
	Instant    bool
}

// Profile is one bank family's protocol variant, as data.
type Profile struct {
	Name        string
	HomeCountry string // for AccountIBANDomestic
	Products    []Product
	Approaches  []Approach
	Signing     httpsig.Profile
	KeyID       httpsig.KeyIDStyle
	Errors      ErrorShape
	// PSUSession: the bank wants PSU-ID and TPP-Session-ID on every call, obtained through
	// GET /v1/users (or a 401 with scaRedirect) and the redirect back (SpareBank 1).
	PSUSession bool
	// RefuseLogicalDuplicates: initiation carries ?allowLogicalDuplicate=false, so the bank
	// refuses a second identical payment and a resend of a lost create cannot pay twice.
	RefuseLogicalDuplicates bool
	// OAuthScope is the scope of the OAuth SCA approach's authorization request, {paymentId}
	// replaced by the payment's id ("" when the profile has no OAuth).
	OAuthScope string
}

// Product returns the named product of the profile.
func (p Profile) Product(name string) (Product, error) {
	for _, pr := range p.Products {
		if pr.Name == name {
			return pr, nil
		}
	}
	return Product{}, fmt.Errorf("%s does not offer the payment product %q", p.Name, name)
}

// Supports reports whether the profile lists the approach.
func (p Profile) Supports(a Approach) bool { return slices.Contains(p.Approaches, a) }

// Generic is a Berlin Group NextGenPSD2 1.3.x bank: the standard's JSON products, every
// approach, the BG signing profile with adorsys's keyId spelling (lower-case serial, DN with
// %20), NextGen or RFC 7807 errors.
func Generic() Profile {
	return Profile{
		Name: "bg",
		Products: []Product{
			{Name: "sepa-credit-transfers", Service: "payments", Creditor: AccountIBAN, Debtor: AccountIBAN, Currencies: []string{"EUR"}},
			{Name: "instant-sepa-credit-transfers", Service: "payments", Creditor: AccountIBAN, Debtor: AccountIBAN, Currencies: []string{"EUR"}, Instant: true},
			{Name: "cross-border-credit-transfers", Service: "payments", Creditor: AccountIBAN, Debtor: AccountIBAN},
		},
		Approaches: []Approach{Redirect, OAuth, Decoupled, Embedded},
		Signing:    httpsig.BerlinGroup(),
		KeyID:      httpsig.KeyIDStyle{DN: httpsig.DNPercent20},
		Errors:     ShapeNextGen,
		OAuthScope: "PIS:{paymentId}",
	}
}

// SpareBank1 is the Tietoevry portal the SpareBank 1 banks share (seed 002): Norwegian
// domestic products on BBANs, redirect (BankID) only, date signed and the Signature header
// RFC 2047-wrapped with the raw DN, UPPER_SNAKE scaStatus, its own error body, a PSU session,
// and allowLogicalDuplicate=false on initiation.
func SpareBank1() Profile {
	return Profile{
		Name:        "sb1",
		HomeCountry: "NO",
		Products: []Product{
			{Name: "norwegian-domestic-credit-transfers", Service: "payments", Creditor: AccountBBANNorway, Debtor: AccountBBANNorway, Currencies: []string{"NOK"}},
			{Name: "instant-norwegian-domestic-credit-transfers-straks", Service: "payments", Creditor: AccountBBANNorway, Debtor: AccountBBANNorway, Currencies: []string{"NOK"}, Instant: true},
			// Only the two domestic products take kontonummer; cross-border and SEPA name both
			// accounts by IBAN (the debtor's Norwegian one too).
			{Name: "cross-border-credit-transfers", Service: "payments", Creditor: AccountIBAN, Debtor: AccountIBAN},
			{Name: "sepa-credit-transfers", Service: "payments", Creditor: AccountIBAN, Debtor: AccountIBAN, Currencies: []string{"EUR"}},
		},
		Approaches:              []Approach{Redirect},
		Signing:                 httpsig.SpareBank1(),
		KeyID:                   httpsig.KeyIDStyle{DN: httpsig.DNRaw},
		Errors:                  ShapeSB1,
		PSUSession:              true,
		RefuseLogicalDuplicates: true,
	}
}

// BankOfGeorgia is seed 003's variant: products domestic (GEL between Georgian IBANs) and
// foreign (any IBAN; the currency list is not published, so any the client can format), the
// OAuth SCA approach only, the BG signing profile with the keyId serial in upper-case hex as
// the OpenAPI example writes it (SN=9FA1), NextGen errors (the seed also spells the list
// "tppMessage", which the decoder accepts).
func BankOfGeorgia() Profile {
	return Profile{
		Name:        "bog",
		HomeCountry: "GE",
		Products: []Product{
			{Name: "domestic", Service: "payments", Creditor: AccountIBANDomestic, Debtor: AccountIBANDomestic, Currencies: []string{"GEL"}},
			{Name: "foreign", Service: "payments", Creditor: AccountIBAN, Debtor: AccountIBANDomestic},
		},
		Approaches: []Approach{OAuth},
		Signing:    httpsig.BerlinGroup(),
		KeyID:      httpsig.KeyIDStyle{UpperHex: true, DN: httpsig.DNPercent20},
		Errors:     ShapeNextGen,
		// The seed does not say how the scope binds the payment; PIS:<paymentId> is the BG
		// implementation guide's form and what the embedded bank requires.
		OAuthScope: "PIS:{paymentId}",
	}
}

// ProfileByName returns bg, sb1 or bog.
func ProfileByName(name string) (Profile, error) {
	switch name {
	case "bg":
		return Generic(), nil
	case "sb1":
		return SpareBank1(), nil
	case "bog":
		return BankOfGeorgia(), nil
	}
	return Profile{}, fmt.Errorf("no Berlin Group profile %q (bg, sb1 or bog)", name)
}
