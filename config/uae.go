package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"unicode"

	"github.com/payterm/payterm/internal/pkcs11key"
)

// validateUAE checks what only a UAE bank (provider = "uae", the default) sets: where a remote bank
// is and the keys it needs, the keys in a PKCS#11 token, the redirect (and serving it over
// TLS), the FAPI customer address, the answers' issuer and the default purpose code.
func (b Bank) validateUAE(key string, inToken bool, bad func(k, why string)) {
	switch b.Mode {
	case ModeSandbox:
	case ModeRemote:
		required := map[string]string{
			"discovery_url": b.DiscoveryURL, "issuer": b.Issuer, "resource_base_url": b.ResourceBaseURL,
			"client_id": b.ClientID, "signing_kid": b.SigningKID, "transport_cert_file": b.TransportCertFile,
		}
		if !inToken {
			required["signing_key_file"], required["transport_key_file"] = b.SigningKeyFile, b.TransportKeyFile
		}
		for k, v := range required {
			if strings.TrimSpace(v) == "" {
				bad(k, fmt.Sprintf("is required when %s.mode = \"remote\"", key))
			}
		}
		for k, v := range map[string]string{"discovery_url": b.DiscoveryURL, "resource_base_url": b.ResourceBaseURL, "cop_base_url": b.CoPBaseURL} {
			if v != "" {
				if u, err := url.Parse(v); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
					bad(k, "must be an https:// URL without credentials, query or fragment")
				}
			}
		}
	default:
		bad("mode", fmt.Sprintf("must be %q or %q", ModeSandbox, ModeRemote))
	}
	if inToken {
		for k, v := range map[string]string{"signing_key_file": b.SigningKeyFile, "transport_key_file": b.TransportKeyFile} {
			if v != "" {
				bad(k, "must be empty when [pkcs11] holds the private keys (name them with pkcs11_*_key_label or pkcs11_*_key_id)")
			}
		}
	}
	for k, v := range map[string]string{
		"pkcs11_signing_key_label": b.PKCS11SigningKeyLabel, "pkcs11_signing_key_id": b.PKCS11SigningKeyID,
		"pkcs11_transport_key_label": b.PKCS11TransportKeyLabel, "pkcs11_transport_key_id": b.PKCS11TransportKeyID,
	} {
		switch {
		case v == "":
		case !inToken:
			bad(k, "needs [pkcs11] module: without a token the keys are PEM files")
		case strings.HasSuffix(k, "_id"):
			if _, err := pkcs11key.ParseID(v); err != nil {
				bad(k, err.Error())
			}
		case len(v) > 128 || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			bad(k, "must be at most 128 characters without control characters")
		}
	}
	if err := checkRedirect(b.RedirectURI); err != nil {
		bad("redirect_uri", err.Error())
	}
	switch cert, key := b.RedirectTLSCertFile != "", b.RedirectTLSKeyFile != ""; {
	case cert != key:
		bad("redirect_tls_cert_file", "and redirect_tls_key_file go together: give both, or neither to paste the callback back")
	case cert:
		if err := checkTLSRedirect(b.RedirectURI); err != nil {
			bad("redirect_tls_cert_file", err.Error())
		}
	}
	if b.CustomerIPAddress != "" && net.ParseIP(b.CustomerIPAddress) == nil {
		bad("customer_ip_address", "must be an IPv4 or IPv6 address")
	}
	if r := b.ResponseIssuer; r != "" && (strings.TrimSpace(r) != r || strings.ContainsFunc(r, unicode.IsControl)) {
		bad("response_issuer", "must be the exact iss the bank signs its API answers with (no spaces around it)")
	}
	if p := b.DefaultPurposeCode; p != "" && !isUpper3(p) {
		bad("default_purpose_code", "must be a three-letter AANI purpose code such as TOF")
	}
}
