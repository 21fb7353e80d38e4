package config

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

// Checks of single values that several banks' settings share.

// checkRedirect accepts HTTPS redirect URIs, and loopback http://127.0.0.1:{port}/path for a
// native client (RFC 8252 §7.3); port 0 means "any free port, chosen at run time".
func checkRedirect(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("must be an absolute URL without query, fragment or user info")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if u.Hostname() != "127.0.0.1" && u.Hostname() != "::1" {
			return errors.New("plain http is only allowed for the loopback address 127.0.0.1 (RFC 8252 §7.3)")
		}
		return nil
	}
	return errors.New("must use https, or http on 127.0.0.1")
}

// checkTLSRedirect accepts the redirect URIs a certificate can serve here: https on a loopback
// host with a fixed port (the bank matches an https redirect URI exactly).
func checkTLSRedirect(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" {
		return errors.New("serves only an https redirect_uri; an http one on 127.0.0.1 needs no certificate")
	}
	h := u.Hostname()
	if ip := net.ParseIP(h); !strings.EqualFold(h, "localhost") && (ip == nil || !ip.IsLoopback()) {
		return errors.New("serves only a redirect_uri on this machine (127.0.0.1, [::1] or localhost)")
	}
	if p := u.Port(); p == "" || p == "0" {
		return errors.New("needs a fixed port in redirect_uri, such as https://127.0.0.1:8443/callback: the bank matches it exactly")
	}
	return nil
}

func isUpper3(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// checkAmount accepts "" (when optional) or a decimal with exactly two places, more than zero
// unless allowZero (an empty sandbox account is a useful test bank).
func checkAmount(s string, optional, allowZero bool) error {
	if s == "" {
		if optional {
			return nil
		}
		return errors.New("is required")
	}
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) != 2 || len(whole) == 0 || len(whole) > 16 || !digits(whole) || !digits(frac) {
		return errors.New("must be an amount in AED with exactly two decimals, like \"5000.00\"")
	}
	if !allowZero && strings.Trim(whole, "0") == "" && frac == "00" {
		return errors.New("must be more than zero")
	}
	return nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
