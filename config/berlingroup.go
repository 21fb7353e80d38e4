package config

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/payterm/payterm/internal/iban"
	"github.com/payterm/payterm/internal/safetext"
)

// Berlin Group profiles (Bank.Profile): the generic framework, SpareBank 1, Bank of Georgia.
const (
	ProfileBG  = "bg"
	ProfileSB1 = "sb1"
	ProfileBOG = "bog"
)

// validateBerlinGroup checks a Berlin Group bank: today the embedded strict bank, with the
// payer's account the wallet pays from (a link: Berlin Group has no consent to set up for
// payments; the bank approves each one).
func (b Bank) validateBerlinGroup(bad func(k, why string)) {
	switch b.Mode {
	case ModeSandbox:
	case ModeRemote:
		bad("mode", "\"remote\" is not supported yet for a Berlin Group bank: only the embedded sandbox (mode = \"sandbox\")")
	default:
		bad("mode", fmt.Sprintf("must be %q", ModeSandbox))
	}
	switch b.Profile {
	case ProfileBG, ProfileBOG:
		if _, err := iban.Parse(b.Account); err != nil {
			bad("account", "must be the IBAN of your account at this bank: "+err.Error())
		}
	case ProfileSB1:
		b.validateSpareBank1(bad)
	case "":
		bad("profile", fmt.Sprintf("is required for a Berlin Group bank: %q (the generic framework), %q (SpareBank 1) or %q (Bank of Georgia)", ProfileBG, ProfileSB1, ProfileBOG))
	default:
		bad("profile", fmt.Sprintf("must be %q, %q or %q", ProfileBG, ProfileSB1, ProfileBOG))
	}
	if h := strings.TrimSpace(b.AccountHolder); h == "" || utf8.RuneCountInString(h) > 70 || safetext.Check(h) != nil {
		bad("account_holder", "is required: the account holder's name as the bank shows it, 1 to 70 characters without control or direction characters")
	}
	if err := checkRedirect(b.RedirectURI); err != nil {
		bad("redirect_uri", err.Error())
	}
	if !isUpper3(b.Currency) {
		bad("currency", "must be the ISO 4217 code of the account's currency, such as \"EUR\"")
	}
	switch b.SCAApproach {
	case "", "redirect":
	case "decoupled", "embedded":
		if strings.TrimSpace(b.PSUID) == "" {
			bad("psu_id", fmt.Sprintf("is required with sca_approach = %q: your login id at the bank", b.SCAApproach))
		}
	default:
		bad("sca_approach", "must be \"redirect\", \"decoupled\", \"embedded\" or empty (the bank chooses)")
	}
	if p := b.PSUID; p != "" && (len(p) > 64 || safetext.Check(p) != nil || strings.TrimSpace(p) != p) {
		bad("psu_id", "must be at most 64 characters, without spaces around it or control characters")
	}
	for k, v := range map[string]string{"discovery_url": b.DiscoveryURL, "issuer": b.Issuer, "response_issuer": b.ResponseIssuer,
		"resource_base_url": b.ResourceBaseURL, "cop_base_url": b.CoPBaseURL, "client_id": b.ClientID, "signing_kid": b.SigningKID, "default_purpose_code": b.DefaultPurposeCode,
		"redirect_tls_cert_file": b.RedirectTLSCertFile} {
		if v != "" && !(k == "default_purpose_code" && v == Default().Bank.DefaultPurposeCode) {
			bad(k, "is a UAE setting: a Berlin Group bank does not use it")
		}
	}
	if b.CustomerIPAddress != "" {
		if ip := net.ParseIP(b.CustomerIPAddress); ip == nil || ip.To4() == nil {
			bad("customer_ip_address", "must be an IPv4 address (sent as PSU-IP-Address)")
		}
	}
}

// sb1Currencies are the account currencies SpareBank 1's products pay from through payterm:
// NOK (the two domestic products), EUR (SEPA), and the cross-border product's others.
var sb1Currencies = []string{"NOK", "EUR", "USD", "GBP", "SEK", "DKK"}

// validateSpareBank1 checks what SpareBank 1 needs beyond every Berlin Group bank: a Norwegian
// account (kontonummer, or the NO IBAN that holds it), one of its currencies, the redirect
// approach (its BankID page), and no psu_id: the payer's PSU-ID comes from the bank's login.
func (b Bank) validateSpareBank1(bad func(k, why string)) {
	if i, err := iban.Parse(b.Account); err == nil {
		if i.Country() != "NO" {
			bad("account", "must be your Norwegian account at SpareBank 1: its 11-digit account number, or its IBAN starting with NO")
		}
	} else if _, berr := iban.ParseNorwegianBBAN(b.Account); berr != nil {
		bad("account", "must be your account number at SpareBank 1 (11 digits, such as \"8601 1117 947\") or its IBAN: "+berr.Error())
	}
	if isUpper3(b.Currency) && !slices.Contains(sb1Currencies, b.Currency) {
		bad("currency", fmt.Sprintf("must be the currency of your SpareBank 1 account, one of %v (\"NOK\" for a krone account)", sb1Currencies))
	}
	if b.SCAApproach != "" && b.SCAApproach != "redirect" {
		bad("sca_approach", "must be \"redirect\" or empty at SpareBank 1: it approves on its own BankID page")
	}
	if b.PSUID != "" {
		bad("psu_id", "is not set for SpareBank 1: payterm learns it when you log in at the bank")
	}
}
