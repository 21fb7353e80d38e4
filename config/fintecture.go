package config

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/payterm/payterm/internal/iban"
	"github.com/payterm/payterm/internal/safetext"
)

var payerEmail = regexp.MustCompile(`^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s.]{2,}$`)

// validateFintecture checks a Fintecture bank: today the embedded strict hub. The payer chooses
// their bank on Fintecture's Connect page for each payment; the account, holder and currency
// are the wallet's link (limits, history), and the holder's name and payer_email go in each
// payment session as psu_name and psu_email, customer_ip_address as psu_ip.
func (b Bank) validateFintecture(bad func(k, why string)) {
	switch b.Mode {
	case ModeSandbox:
	case ModeRemote:
		bad("mode", "\"remote\" is not supported yet for a Fintecture bank: only the embedded hub (mode = \"sandbox\")")
	default:
		bad("mode", fmt.Sprintf("must be %q", ModeSandbox))
	}
	if _, err := iban.Parse(b.Account); err != nil {
		bad("account", "must be the IBAN of the account you pay from: "+err.Error())
	}
	if h := strings.TrimSpace(b.AccountHolder); h == "" || utf8.RuneCountInString(h) > 140 || safetext.Check(h) != nil {
		bad("account_holder", "is required: your name as Fintecture shows it to the bank, 1 to 140 characters without control or direction characters")
	}
	if !payerEmail.MatchString(b.PayerEmail) {
		bad("payer_email", "is required: your e-mail address (Fintecture requires psu_email)")
	}
	if b.Currency != "EUR" {
		bad("currency", "must be \"EUR\": Fintecture's immediate transfers are SEPA credit transfers")
	}
	if err := checkRedirect(b.RedirectURI); err != nil {
		bad("redirect_uri", err.Error())
	}
	if ip := net.ParseIP(b.CustomerIPAddress); b.CustomerIPAddress == "" || ip == nil {
		bad("customer_ip_address", "must be an IP address (sent as psu_ip, which Fintecture requires)")
	}
	for k, v := range map[string]string{"profile": b.Profile, "psu_id": b.PSUID, "sca_approach": b.SCAApproach} {
		if v != "" {
			bad(k, "is a Berlin Group setting: a Fintecture bank does not use it")
		}
	}
	for k, v := range map[string]string{"discovery_url": b.DiscoveryURL, "issuer": b.Issuer, "response_issuer": b.ResponseIssuer,
		"resource_base_url": b.ResourceBaseURL, "cop_base_url": b.CoPBaseURL, "client_id": b.ClientID, "signing_kid": b.SigningKID, "default_purpose_code": b.DefaultPurposeCode,
		"redirect_tls_cert_file": b.RedirectTLSCertFile} {
		if v != "" && !(k == "default_purpose_code" && v == Default().Bank.DefaultPurposeCode) {
			bad(k, "is a UAE setting: a Fintecture bank does not use it")
		}
	}
}
