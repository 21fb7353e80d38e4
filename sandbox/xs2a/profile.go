package xs2a

import (
	"fmt"
	"slices"
	"strings"

	"github.com/payterm/payterm/sandbox/xs2a/sigcheck"
)

// Approach is an SCA approach (BG; OAuth is announced as REDIRECT in ASPSP-SCA-Approach).
type Approach string

const (
	Redirect  Approach = "REDIRECT"
	OAuth     Approach = "OAUTH"
	Decoupled Approach = "DECOUPLED"
	Embedded  Approach = "EMBEDDED"
)

// Product is one payment product a profile offers.
type Product struct {
	Name       string
	Currencies []string
	// Account is how accounts are written: "iban" (any registry country), "sepa-iban" (an IBAN of a
	// SEPA country), "bban-no" (Norwegian 11-digit BBAN, mod-11), or "iban-ge" (a Georgian IBAN).
	Account string
}

// Profile is one bank's reading of the Berlin Group framework.
type Profile struct {
	Name string // "bg", "sb1", "bog"
	// BankName is shown on the bank's pages.
	BankName string
	// PathPrefix comes before /v1 (BOG's examples use /psd2/v1).
	PathPrefix string
	// AbsoluteLinks writes _links hrefs as absolute URLs (SpareBank 1's example) instead of
	// host-relative paths (the BG and BOG examples).
	AbsoluteLinks bool
	Products      []Product
	// Approaches the bank offers; the first is its default.
	Approaches []Approach
	// RequireSignature: every request must carry Signature, Digest, Date and
	// TPP-Signature-Certificate.
	RequireSignature bool
	// SignDate puts date in the mandatory signed headers (SpareBank 1).
	SignDate bool
	// StrictHeaders refuses any signed header beyond the mandatory ones and date.
	StrictHeaders bool
	// Allow2047 accepts an RFC 2047-wrapped Signature header (SpareBank 1).
	Allow2047 bool
	KeyID     sigcheck.KeyIDStyle
	// UpperSnakeSCA spells scaStatus RECEIVED, PSU_IDENTIFIED, … (SpareBank 1).
	UpperSnakeSCA bool
	// ErrorShape: "bg" ({tppMessages:[…]}) or "era" (SpareBank 1's {id, system, status, code, message}).
	ErrorShape string
	// ProblemJSON answers errors as application/problem+json (RFC 7807, BG's second format) when
	// the request's Accept asks for it.
	ProblemJSON bool
	// SessionGate needs a PSU session (PSU-ID + TPP-Session-ID from the session redirect) on every
	// payment call, else 401 with _links.scaRedirect (SpareBank 1).
	SessionGate bool
	// LogicalDuplicates honours ?allowLogicalDuplicate; absent or false refuses an identical second
	// payment (SpareBank 1).
	LogicalDuplicates bool
	// CancelNeedsSCA answers DELETE of an authorised, unexecuted payment with 202 and a
	// cancellation authorisation; false cancels it at once (204).
	CancelNeedsSCA bool
	// ReportsACCC moves ACSC on to ACCC (credited) after CreditAfter.
	ReportsACCC bool
}

// ProfileBG is the Berlin Group NextGenPSD2 1.3.9 framework as its OpenAPI file states it:
// SEPA products, every SCA approach (redirect by default), signatures required with
// keyId="SN=<hex>,CA=<DN with %20>", tppMessages errors.
func ProfileBG() Profile {
	return Profile{
		Name: "bg", BankName: "payterm XS2A Sandbox Bank",
		Products: []Product{
			{Name: "sepa-credit-transfers", Currencies: []string{"EUR"}, Account: "sepa-iban"},
			{Name: "instant-sepa-credit-transfers", Currencies: []string{"EUR"}, Account: "sepa-iban"},
			{Name: "target-2-payments", Currencies: []string{"EUR"}, Account: "iban"},
			{Name: "cross-border-credit-transfers", Currencies: []string{"EUR", "USD", "GBP", "CHF", "NOK", "SEK", "DKK", "PLN"}, Account: "iban"},
		},
		Approaches:       []Approach{Redirect, Decoupled, Embedded},
		RequireSignature: true, StrictHeaders: true,
		KeyID:      sigcheck.KeyIDStyle{SerialCase: "any", PercentDN: true},
		ErrorShape: "bg", ProblemJSON: true,
		CancelNeedsSCA: true, ReportsACCC: true,
	}
}

// ProfileSB1 is SpareBank 1 (Tietoevry's portal, seed 002): Norwegian products with BBANs,
// redirect SCA (BankID) after a PSU session, date signed, RFC 2047 Signature accepted with the
// raw issuer DN, UPPER_SNAKE scaStatus, ERA-PSD2 error bodies, allowLogicalDuplicate.
func ProfileSB1() Profile {
	return Profile{
		Name: "sb1", BankName: "payterm SpareBank 1 Sandbox", AbsoluteLinks: true,
		Products: []Product{
			{Name: "norwegian-domestic-credit-transfers", Currencies: []string{"NOK"}, Account: "bban-no"},
			{Name: "instant-norwegian-domestic-credit-transfers-straks", Currencies: []string{"NOK"}, Account: "bban-no"},
			{Name: "cross-border-credit-transfers", Currencies: []string{"EUR", "USD", "GBP", "SEK", "DKK"}, Account: "iban"},
			{Name: "sepa-credit-transfers", Currencies: []string{"EUR"}, Account: "sepa-iban"},
		},
		Approaches:       []Approach{Redirect},
		RequireSignature: true, SignDate: true, StrictHeaders: true, Allow2047: true,
		KeyID:         sigcheck.KeyIDStyle{SerialCase: "any", PercentDN: false},
		UpperSnakeSCA: true, ErrorShape: "era",
		SessionGate: true, LogicalDuplicates: true,
	}
}

// ProfileBOG is Bank of Georgia's variant (seed 003): products domestic, foreign and aspsp,
// the OAuth SCA approach only (scaOAuth → RFC 8414 metadata, code flow with PKCE), paths under
// /psd2/v1, BG signatures with the uppercase serial of the OpenAPI example.
func ProfileBOG() Profile {
	return Profile{
		Name: "bog", BankName: "payterm Georgia Sandbox Bank", PathPrefix: "/psd2",
		Products: []Product{
			{Name: "domestic", Currencies: []string{"GEL"}, Account: "iban-ge"},
			{Name: "foreign", Currencies: []string{"USD", "EUR", "GBP"}, Account: "iban"},
			{Name: "aspsp", Currencies: []string{"GEL", "USD", "EUR"}, Account: "iban-ge"},
		},
		Approaches:       []Approach{OAuth},
		RequireSignature: true, StrictHeaders: true,
		KeyID:          sigcheck.KeyIDStyle{SerialCase: "upper", PercentDN: true},
		ErrorShape:     "bg",
		CancelNeedsSCA: true,
	}
}

// ProfileByName returns bg, sb1 or bog.
func ProfileByName(name string) (Profile, error) {
	switch strings.ToLower(name) {
	case "bg", "berlin-group", "":
		return ProfileBG(), nil
	case "sb1", "sparebank1":
		return ProfileSB1(), nil
	case "bog":
		return ProfileBOG(), nil
	}
	return Profile{}, fmt.Errorf("unknown XS2A profile %q (want bg, sb1 or bog)", name)
}

func (p Profile) product(name string) (Product, bool) {
	for _, pr := range p.Products {
		if pr.Name == name {
			return pr, true
		}
	}
	return Product{}, false
}

func (p Profile) offers(a Approach) bool { return slices.Contains(p.Approaches, a) }

// scaStatusWire spells an scaStatus the profile's way.
func (p Profile) scaStatusWire(s string) string {
	if !p.UpperSnakeSCA {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' && i > 0 {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

func (p Profile) validate() error {
	if len(p.Products) == 0 || len(p.Approaches) == 0 {
		return fmt.Errorf("profile %q needs products and approaches", p.Name)
	}
	if p.ErrorShape != "bg" && p.ErrorShape != "era" {
		return fmt.Errorf("profile %q: error shape must be bg or era", p.Name)
	}
	switch p.KeyID.SerialCase {
	case "upper", "lower", "any":
	default:
		return fmt.Errorf("profile %q: keyId serial case must be upper, lower or any", p.Name)
	}
	return nil
}
