package lfi

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Observer receives one Exchange per HTTP attempt, after the response has been processed
// (verified or rejected). It is called synchronously; keep it fast and do not block.
type Observer func(Exchange)

// Exchange is what the protocol inspector shows about one HTTP call. Secrets are already
// redacted: the Authorization header, client assertions, authorization codes, PKCE
// verifiers, access, refresh and ID tokens. Personal data is kept but marked (PIIHeaders,
// JOSEPart.PIIPaths) so a UI can hide it off-sandbox; WithoutPII masks it.
type Exchange struct {
	Op              string // e.g. "PAR", "token authorization_code", "create payment"
	Attempt         int    // 1-based
	Method          string
	URL             string
	Status          int // 0 when no response arrived
	InteractionID   string
	Started         time.Time
	Duration        time.Duration
	RequestHeaders  http.Header
	ResponseHeaders http.Header
	Form            url.Values     // form bodies (PAR, token) with secret members redacted
	ResponseJSON    map[string]any // plain-JSON responses (discovery, PAR, token) with tokens redacted
	Sent            []JOSEPart     // decoded JOSE objects we sent
	Received        []JOSEPart     // decoded JOSE objects we received
	Verification    *Verification  // result of verifying the response, when it was signed
	Err             string         // the error this attempt ended with, if any
	// BankErrors are the bank's error codes with its own words (resource Errors[], or OAuth
	// error/error_description/error_uri), bounded and free of what we sent, but NOT cleaned for
	// a terminal: they are the bank's free text. Clean them with internal/safetext to show them.
	BankErrors []ErrorItem
	PIIHeaders []string // header names (canonical) whose values are personal data
}

// JOSEPart is one decoded JWS or JWE. For a JWE only the protected header is known.
type JOSEPart struct {
	Label    string         // "client assertion", "request object", "payment request", "PII (JWE)", "response"
	Header   map[string]any // protected header
	Claims   map[string]any // payload claims (nil for a JWE)
	PIIPaths []string       // dotted paths in Claims that hold personal data
}

// Verification records how a signed response was checked.
type Verification struct {
	KeyID    string
	Alg      string
	OK       bool
	Error    string
	Refetch  bool // the JWKS was refetched because the kid was unknown
	Issuer   string
	Expiry   time.Time
	Verified []string // the checks that passed, in order
}

// WithoutPII returns a copy with every marked personal value replaced by "[PII]".
func (e Exchange) WithoutPII() Exchange {
	out := e
	out.RequestHeaders = e.RequestHeaders.Clone()
	out.ResponseHeaders = e.ResponseHeaders.Clone()
	for _, h := range e.PIIHeaders {
		if out.RequestHeaders.Get(h) != "" {
			out.RequestHeaders.Set(h, "[PII]")
		}
	}
	mask := func(parts []JOSEPart) []JOSEPart {
		res := make([]JOSEPart, len(parts))
		for i, p := range parts {
			res[i] = p
			if len(p.PIIPaths) > 0 {
				res[i].Claims = maskPaths(deepCopy(p.Claims).(map[string]any), p.PIIPaths)
			}
		}
		return res
	}
	out.Sent = mask(e.Sent)
	out.Received = mask(e.Received)
	if e.BankErrors != nil {
		// The bank's own words are not structured data; an account number in them is masked.
		out.BankErrors = make([]ErrorItem, len(e.BankErrors))
		for i, it := range e.BankErrors {
			it.Message, it.Path, it.URL = MaskIBANs(it.Message), MaskIBANs(it.Path), MaskIBANs(it.URL)
			out.BankErrors[i] = it
		}
	}
	if _, ok := e.Form["request"]; ok {
		// The raw request object (PAR) carries unmasked, in base64, what Sent shows decoded.
		out.Form = redactForm(e.Form, []string{"request"}, "[PII]")
	}
	return out
}

// ibanLike matches what looks like an IBAN (two letters, two check digits, 11–30 more letters
// or digits, optionally in groups separated by single spaces) inside free text.
var ibanLike = regexp.MustCompile(`\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}\b`)

// MaskIBANs replaces every IBAN-looking run in s (a bank's free text) with "[IBAN]". Names
// cannot be recognised this way: text that may hold one stays off exports for remote banks.
func MaskIBANs(s string) string { return ibanLike.ReplaceAllString(s, "[IBAN]") }

// piiHeaders are request headers that carry the customer's personal data.
var piiHeaders = []string{"X-Fapi-Customer-Ip-Address", "X-Customer-User-Agent"}

// piiKeys are JSON member names whose values are personal data (UAE PII objects, Risk,
// references typed by the user). Matching by name is deliberately broad.
var piiKeys = map[string]bool{
	"PersonalIdentifiableInformation": true, "Initiation": true, "Creditor": true,
	"CreditorAccount": true, "DebtorAccount": true, "Debtor": true, "Name": true,
	"Identification": true, "DebtorReference": true, "CreditorReference": true, "Risk": true,
	"login_hint": true,
}

// secretFormKeys are form members never shown.
var secretFormKeys = []string{"client_assertion", "code", "code_verifier", "refresh_token", "access_token", "client_secret"}

// secretJSONKeys are response members never shown.
var secretJSONKeys = map[string]bool{"access_token": true, "refresh_token": true, "id_token": true, "code": true}

func redactHeaders(h http.Header) http.Header {
	out := h.Clone()
	if out == nil {
		return http.Header{}
	}
	if v := out.Get("Authorization"); v != "" {
		scheme, _, _ := strings.Cut(v, " ")
		out.Set("Authorization", scheme+" "+redacted)
	}
	for _, k := range []string{"Cookie", "Set-Cookie", "Proxy-Authorization"} {
		if out.Get(k) != "" {
			out.Set(k, redacted)
		}
	}
	return out
}

// redactForm returns a copy of f with each of keys present replaced by with.
func redactForm(f url.Values, keys []string, with string) url.Values {
	out := url.Values{}
	for k, v := range f {
		out[k] = append([]string(nil), v...)
	}
	for _, k := range keys {
		if _, ok := out[k]; ok {
			out.Set(k, with)
		}
	}
	return out
}

// redactJSON decodes a JSON object and redacts secret members at any depth. Non-objects
// yield nil: the inspector then shows only status and headers.
func redactJSON(body []byte) map[string]any {
	var m map[string]any
	if err := unmarshal(body, &m); err != nil {
		return nil
	}
	redactSecretsIn(m)
	return m
}

func redactSecretsIn(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			if secretJSONKeys[k] {
				t[k] = redacted
				continue
			}
			redactSecretsIn(child)
		}
	case []any:
		for _, child := range t {
			redactSecretsIn(child)
		}
	}
}

// decodeJOSE decodes a compact JWS (3 parts) or the header of a compact JWE (5 parts)
// without verifying anything: it is for display only.
func decodeJOSE(label, compact string) (JOSEPart, bool) {
	parts := strings.Split(strings.TrimSpace(compact), ".")
	if len(parts) != 3 && len(parts) != 5 {
		return JOSEPart{}, false
	}
	p := JOSEPart{Label: label}
	if err := decodeSegment(parts[0], &p.Header); err != nil {
		return JOSEPart{}, false
	}
	if len(parts) == 3 {
		if err := decodeSegment(parts[1], &p.Claims); err != nil {
			return JOSEPart{}, false
		}
		p.PIIPaths = findPII(p.Claims, "")
	}
	return p, true
}

// decodeJOSEWithNested decodes a JWS and also the header of every PII JWE inside it.
func decodeJOSEWithNested(label, compact string) []JOSEPart {
	p, ok := decodeJOSE(label, compact)
	if !ok {
		return nil
	}
	out := []JOSEPart{p}
	for _, jwe := range findStrings(p.Claims, "PersonalIdentifiableInformation") {
		if inner, ok := decodeJOSE("PII (JWE header)", jwe); ok && inner.Claims == nil {
			out = append(out, inner)
		}
	}
	return out
}

func decodeSegment(seg string, into *map[string]any) error {
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return unmarshal(raw, into)
}

func findPII(v any, prefix string) []string {
	var out []string
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			if piiKeys[k] {
				out = append(out, p)
				continue
			}
			out = append(out, findPII(child, p)...)
		}
	case []any:
		for _, child := range t {
			out = append(out, findPII(child, prefix)...)
		}
	}
	return out
}

func findStrings(v any, key string) []string {
	var out []string
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			if s, ok := child.(string); ok && k == key {
				out = append(out, s)
				continue
			}
			out = append(out, findStrings(child, key)...)
		}
	case []any:
		for _, child := range t {
			out = append(out, findStrings(child, key)...)
		}
	}
	return out
}

// maskPaths replaces the value at each dotted path (arrays are traversed) with "[PII]".
func maskPaths(m map[string]any, paths []string) map[string]any {
	for _, p := range paths {
		maskPath(m, strings.Split(p, "."))
	}
	return m
}

func maskPath(v any, path []string) {
	switch t := v.(type) {
	case map[string]any:
		if len(path) == 1 {
			if _, ok := t[path[0]]; ok {
				t[path[0]] = "[PII]"
			}
			return
		}
		maskPath(t[path[0]], path[1:])
	case []any:
		for _, child := range t {
			maskPath(child, path)
		}
	}
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, c := range t {
			m[k] = deepCopy(c)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, c := range t {
			s[i] = deepCopy(c)
		}
		return s
	default:
		return v
	}
}
