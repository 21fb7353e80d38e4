package rules

import (
	"errors"
	"fmt"
)

// Payment-API error codes (uae-spec §7.5, [SIM-CHOICE] mapping).
const (
	CodeBodyInvalidFormat     = "Body.InvalidFormat"
	CodeJWSMalformed          = "JWS.Malformed"
	CodeJWSInvalidHeader      = "JWS.InvalidHeader"
	CodeJWSInvalidSignature   = "JWS.InvalidSignature"
	CodeJWSInvalidClaim       = "JWS.InvalidClaim"
	CodeJWEInvalidHeader      = "JWE.InvalidHeader"
	CodeJWEDecryptionError    = "JWE.DecryptionError"
	CodeResourceInvalidFormat = "Resource.InvalidFormat"
	CodeConsentInvalid        = "Consent.Invalid"
	CodeConsentBusinessRule   = "Consent.BusinessRuleViolation"
)

// OAuth 2.0 error codes for the PAR and token side (RFC 6749 §5.2).
const (
	OAuthInvalidRequest = "invalid_request"
	OAuthInvalidClient  = "invalid_client"
	OAuthInvalidGrant   = "invalid_grant"
	OAuthInvalidScope   = "invalid_scope"
)

// Violation is one broken rule of uae-spec §11. Message never contains PII
// or secrets (no IBANs, names, tokens): it names the field, not its value.
type Violation struct {
	Rule    int    // the §11 rule number (1–40)
	Code    string // payment-API code (§7.5) or OAuth error code
	Message string // human sentence, PII-free
	Path    string // JSON path (Data.Instruction.Amount) or header/form name
}

func (v *Violation) Error() string {
	if v.Path == "" {
		return fmt.Sprintf("rule %d: %s: %s", v.Rule, v.Code, v.Message)
	}
	return fmt.Sprintf("rule %d: %s at %s: %s", v.Rule, v.Code, v.Path, v.Message)
}

func violation(rule int, code, path, format string, args ...any) *Violation {
	return &Violation{Rule: rule, Code: code, Path: path, Message: fmt.Sprintf(format, args...)}
}

// AsViolation extracts the *Violation from err (nil when err carries none).
func AsViolation(err error) *Violation {
	var v *Violation
	if errors.As(err, &v) {
		return v
	}
	return nil
}

// AsOAuth re-labels a violation for the PAR/token side: the OAuth code
// replaces a payment-API Code, which is kept at the head of the message, so
// a PII error found at PAR reads "invalid_request: JWE.InvalidHeader: …".
// A violation that already carries an OAuth code (invalid_scope from rule
// 9, invalid_client from rule 4) keeps it. Errors that carry no Violation
// become an OAuth violation with rule 0.
func AsOAuth(err error, oauthCode string) *Violation {
	if err == nil {
		return nil
	}
	v := AsViolation(err)
	if v == nil {
		return &Violation{Code: oauthCode, Message: "request rejected"}
	}
	out := *v
	if !IsOAuthCode(v.Code) {
		out.Code = oauthCode
		out.Message = v.Code + ": " + v.Message
	}
	return &out
}

// IsOAuthCode reports whether code is one of the OAuth error codes of the
// authorization endpoints (RFC 6749 §5.2), as opposed to a payment-API code.
func IsOAuthCode(code string) bool {
	switch code {
	case OAuthInvalidRequest, OAuthInvalidClient, OAuthInvalidGrant, OAuthInvalidScope,
		"unauthorized_client", "unsupported_grant_type":
		return true
	}
	return false
}

// WithRule returns a copy of the violation in err attributed to another
// rule, for checks shared by several rules (the JWE checks of rule 17 are
// also rule 31's). Errors without a Violation are returned unchanged.
func WithRule(err error, rule int) error {
	v := AsViolation(err)
	if v == nil {
		return err
	}
	out := *v
	out.Rule = rule
	return &out
}
