package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/payterm/payterm/internal/iban"
	"github.com/payterm/payterm/internal/safetext"
)

// validateOP checks an OP bank: today the embedded strict OP bank (sandbox/op). The payer
// approves each payment (or bundle) on OP's page and pastes the address OP sends the browser
// back to; the account, holder and currency are the wallet's link (limits, history).
func (b Bank) validateOP(bad func(k, why string)) {
	switch b.Mode {
	case ModeSandbox:
	case ModeRemote:
		bad("mode", "\"remote\" is not supported yet for an OP bank: only the embedded bank (mode = \"sandbox\")")
	default:
		bad("mode", fmt.Sprintf("must be %q", ModeSandbox))
	}
	if _, err := iban.Parse(b.Account); err != nil {
		bad("account", "must be the IBAN of the account you pay from: "+err.Error())
	}
	if h := strings.TrimSpace(b.AccountHolder); h == "" || utf8.RuneCountInString(h) > 140 || safetext.Check(h) != nil {
		bad("account_holder", "is required: your name as OP shows it, 1 to 140 characters without control or direction characters")
	}
	if len(b.OwnAccounts) > 20 {
		bad("own_accounts", "lists at most 20 accounts")
	}
	for _, a := range b.OwnAccounts {
		if i, err := iban.Parse(a); err != nil || i.Country() != "FI" {
			bad("own_accounts", "must list the IBANs of your own accounts at OP (Finnish, starting with FI)")
			break
		}
	}
	if b.Currency != "EUR" {
		bad("currency", "must be \"EUR\": OP's PSD2 payments are SEPA credit transfers in euros")
	}
	if u, err := url.Parse(b.RedirectURI); err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		bad("redirect_uri", "must be an https address without query or fragment (OP registers https only), for example \"https://127.0.0.1:8443/op/back\": you paste the address OP sends your browser to")
	}
	if ip := net.ParseIP(b.CustomerIPAddress); b.CustomerIPAddress != "" && ip == nil {
		bad("customer_ip_address", "must be an IP address (sent as x-fapi-customer-ip-address)")
	}
	if b.PayerEmail != "" {
		bad("payer_email", "is a Fintecture setting: it needs provider = \"fintecture\"")
	}
	for k, v := range map[string]string{"profile": b.Profile, "psu_id": b.PSUID, "sca_approach": b.SCAApproach} {
		if v != "" {
			bad(k, "is a Berlin Group setting: an OP bank does not use it")
		}
	}
	for k, v := range map[string]string{"discovery_url": b.DiscoveryURL, "issuer": b.Issuer, "response_issuer": b.ResponseIssuer,
		"resource_base_url": b.ResourceBaseURL, "cop_base_url": b.CoPBaseURL, "client_id": b.ClientID, "signing_kid": b.SigningKID, "default_purpose_code": b.DefaultPurposeCode,
		"redirect_tls_cert_file": b.RedirectTLSCertFile} {
		if v != "" && !(k == "default_purpose_code" && v == Default().Bank.DefaultPurposeCode) {
			bad(k, "is a UAE setting: an OP bank does not use it")
		}
	}
}
