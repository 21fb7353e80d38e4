package rules

import "time"

// ClientAssertionType is the only accepted client_assertion_type (rule 3).
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

type clientAssertionClaims struct {
	Iss *string  `json:"iss"`
	Sub *string  `json:"sub"`
	Aud any      `json:"aud"`
	Iat *float64 `json:"iat"`
	Exp *float64 `json:"exp"`
	Nbf *float64 `json:"nbf,omitempty"`
	Jti *string  `json:"jti"`
}

// AssertionResult is what the server needs after a valid assertion: the
// jti for its replay cache, kept at least until ExpiresAt.
type AssertionResult struct {
	JTI       string
	ExpiresAt time.Time
}

// CheckClientAssertionType applies rule 3 to the form value (already
// URL-decoded). Code invalid_client.
func CheckClientAssertionType(v string) error {
	if v != ClientAssertionType {
		return violation(3, OAuthInvalidClient, "client_assertion_type", "must be %s", ClientAssertionType)
	}
	return nil
}

// VerifyClientAssertion applies rules 3 and 4 to a private_key_jwt
// assertion: PS256 JWS whose kid resolves in the client's JWKS with
// use=sig (keyFor), then ClientAssertion on its claims. Every failure is
// invalid_client; the jti replay check is the caller's (it owns the memory).
func VerifyClientAssertion(assertion string, keyFor KeyLookup, clientID, issuer string, now time.Time, opts Options) (*AssertionResult, error) {
	payload, _, err := verifyJWS(assertion, keyFor, 3)
	if err != nil {
		return nil, AsOAuth(err, OAuthInvalidClient)
	}
	return ClientAssertion(payload, clientID, issuer, now, opts)
}

// ClientAssertion applies rule 4 to the verified claims: iss == sub ==
// clientID; aud is issuer (a string, or an array containing it); exp in the
// future; iat present and not in the future; exp − iat ≤ 300 s; nbf, if
// present, not in the future; jti present. No other claims. Code
// invalid_client, Path = claim name.
func ClientAssertion(claims []byte, clientID, issuer string, now time.Time, opts Options) (*AssertionResult, error) {
	var c clientAssertionClaims
	if err := DecodeStrict(claims, &c, ""); err != nil {
		return nil, decodeViolation(err, 4, OAuthInvalidClient)
	}
	ck := newChecker(4, OAuthInvalidClient)
	leeway := opts.leeway()
	switch {
	case c.Iss == nil:
		ck.fail("iss", "is required")
	case *c.Iss != clientID:
		ck.fail("iss", "must equal the authenticated client_id")
	}
	switch {
	case c.Sub == nil:
		ck.fail("sub", "is required")
	case *c.Sub != clientID:
		ck.fail("sub", "must equal iss and the client_id")
	}
	if c.Aud == nil {
		ck.fail("aud", "is required")
	} else if !audContains(c.Aud, issuer, true, true) {
		ck.fail("aud", "must be the issuer identifier (not the /par or /token URL)")
	}
	if c.Jti == nil || *c.Jti == "" {
		ck.fail("jti", "is required (a new value for every assertion)")
	}
	exp := ck.requiredDate("exp", c.Exp)
	iat := ck.requiredDate("iat", c.Iat)
	if !ck.ok() {
		return nil, ck.result()
	}
	switch {
	case !exp.After(now.Add(-leeway)):
		ck.fail("exp", "assertion has expired")
	case iat.After(now.Add(leeway)):
		ck.fail("iat", "is in the future")
	case !exp.After(iat):
		ck.fail("exp", "must be after iat")
	case exp.Sub(iat) > opts.clientAssertionLifetime():
		ck.fail("exp", "exp − iat must be at most %s", opts.clientAssertionLifetime())
	}
	if c.Nbf != nil {
		if nbf, ok := numericDate(*c.Nbf); !ok {
			ck.fail("nbf", "is not a valid NumericDate")
		} else if nbf.After(now.Add(leeway)) {
			ck.fail("nbf", "is in the future")
		}
	}
	if !ck.ok() {
		return nil, ck.result()
	}
	return &AssertionResult{JTI: *c.Jti, ExpiresAt: exp}, nil
}
