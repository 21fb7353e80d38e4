package xs2a

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Observer receives one Exchange per Send, after the answer was decoded (or refused). It is
// called synchronously: keep it fast.
type Observer func(Exchange)

// Protection is what protected one message: for Berlin Group requests an HTTP signature
// (draft-cavage-http-signatures-10) over the listed headers, the body bound through Digest.
// Responses are not signed; TLS (mTLS) protects them.
type Protection struct {
	Scheme        string // "draft-cavage-http-signatures-10"
	Profile       string // bg, sb1, fintecture
	KeyID         string
	Algorithm     string
	Headers       []string
	SigningString string
	Digest        string
}

// Exchange is one request and its answer for the protocol inspector, secrets redacted
// (Authorization, TPP-Session-ID, passwords, TANs, confirmation codes, tokens). Personal data
// is kept but marked (PIIHeaders, PIIKeys) so a UI can hide it off-sandbox; WithoutPII masks it.
type Exchange struct {
	Op              Op
	Method          string
	URL             string
	RequestID       string
	Status          int // 0 when no answer arrived
	Started         time.Time
	Duration        time.Duration
	RequestHeaders  http.Header
	RequestBody     any // decoded JSON, secrets redacted; nil without a body
	ResponseHeaders http.Header
	ResponseBody    any // decoded JSON with sent secrets scrubbed; nil when not JSON
	Protection      Protection
	Err             string
	PIIHeaders      []string
	PIIKeys         []string
}

var piiHeaders = []string{"Psu-Id", "Psu-Ip-Address", "Psu-Ip-Port", "Psu-User-Agent", "Psu-Device-Id", "Psu-Geo-Location", "Psu-Corporate-Id"}

// piiKeys are JSON members holding personal data, matched by name at any depth.
var piiKeys = []string{"debtorAccount", "creditorAccount", "creditorName", "creditorAddress", "debtorName", "remittanceInformationUnstructured", "ultimateCreditor", "ultimateDebtor", "psuId"}

// secretKeys are JSON members never shown.
var secretKeys = map[string]bool{"password": true, "scaAuthenticationData": true, "confirmationCode": true, "access_token": true, "refresh_token": true, "id_token": true, "encryptedPassword": true}

// WithoutPII returns a copy with every marked personal value replaced by "[PII]", in the
// headers, the bodies and the signing string.
func (e Exchange) WithoutPII() Exchange {
	out := e
	out.RequestHeaders = e.RequestHeaders.Clone()
	for _, h := range e.PIIHeaders {
		if out.RequestHeaders.Get(h) != "" {
			out.RequestHeaders.Set(h, "[PII]")
		}
	}
	out.RequestBody = maskKeys(deepCopy(e.RequestBody), e.PIIKeys, "[PII]")
	out.ResponseBody = maskKeys(deepCopy(e.ResponseBody), e.PIIKeys, "[PII]")
	lines := strings.Split(e.Protection.SigningString, "\n")
	for i, l := range lines {
		name, _, _ := strings.Cut(l, ": ")
		for _, h := range e.PIIHeaders {
			if strings.EqualFold(name, h) {
				lines[i] = name + ": [PII]"
			}
		}
	}
	out.Protection.SigningString = strings.Join(lines, "\n")
	out.Protection.Headers = append([]string(nil), e.Protection.Headers...)
	return out
}

func decodeForDisplay(b []byte, secrets []string) any {
	if len(b) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil
	}
	v = maskSecrets(v)
	return scrubValues(v, secrets)
}

func maskSecrets(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			if secretKeys[k] {
				t[k] = redacted
				continue
			}
			t[k] = maskSecrets(c)
		}
	case []any:
		for i, c := range t {
			t[i] = maskSecrets(c)
		}
	}
	return v
}

// scrubValues replaces any sent secret a bank echoes back in a string.
func scrubValues(v any, secrets []string) any {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			t[k] = scrubValues(c, secrets)
		}
	case []any:
		for i, c := range t {
			t[i] = scrubValues(c, secrets)
		}
	case string:
		for _, s := range secrets {
			if len(s) >= 4 && strings.Contains(t, s) {
				t = strings.ReplaceAll(t, s, redacted)
			}
		}
		return t
	}
	return v
}

func maskKeys(v any, keys []string, with string) any {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			hit := false
			for _, p := range keys {
				if k == p {
					hit = true
				}
			}
			if hit {
				t[k] = with
				continue
			}
			t[k] = maskKeys(c, keys, with)
		}
	case []any:
		for i, c := range t {
			t[i] = maskKeys(c, keys, with)
		}
	}
	return v
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
	}
	return v
}
