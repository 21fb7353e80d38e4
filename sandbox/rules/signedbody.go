package rules

import (
	"encoding/json"
	"strings"
	"time"
)

type signedBodyClaims struct {
	Iss     *string         `json:"iss"`
	Sub     *string         `json:"sub,omitempty"`
	Aud     any             `json:"aud,omitempty"`
	Exp     *float64        `json:"exp"`
	Nbf     *float64        `json:"nbf"`
	Iat     *float64        `json:"iat,omitempty"`
	Jti     *string         `json:"jti,omitempty"`
	Message json.RawMessage `json:"message"`
}

// SignedBody is a verified resource-request JWT (AEJwt + message).
type SignedBody struct {
	ExpiresAt time.Time
	JTI       string          // "" when absent
	Message   json.RawMessage // validate with PaymentRequest or PatchConsent
}

// VerifyPaymentBody verifies a POST /payments body: the JWS checks of
// VerifyJWS, then PaymentJWTClaims (rule 27).
func VerifyPaymentBody(compact string, keyFor KeyLookup, clientID, issuer string, now time.Time, opts Options) (*SignedBody, error) {
	payload, _, err := verifyJWS(compact, keyFor, 27)
	if err != nil {
		return nil, err
	}
	return PaymentJWTClaims(payload, clientID, issuer, now, opts)
}

// PaymentJWTClaims applies rule 27's claim checks to a verified signed body
// (also used for PATCH, rule 37, via WithRule): iss == clientID (sub too
// when present); exp and nbf present, nbf not in the future, exp not
// passed, exp − nbf (and exp − iat) at most 600 s; aud, if present, an
// array containing issuer (a string too when Options.AcceptStringAud); no
// claims beyond iss, sub, aud, exp, nbf, iat, jti, message. Claim problems
// are JWS.InvalidClaim; a missing message is Body.InvalidFormat.
func PaymentJWTClaims(payload []byte, clientID, issuer string, now time.Time, opts Options) (*SignedBody, error) {
	var c signedBodyClaims
	if err := DecodeStrict(payload, &c, ""); err != nil {
		v := decodeViolation(err, 27, CodeJWSInvalidClaim)
		switch {
		case v.Path == "":
			v.Code = CodeJWSMalformed
		case v.Path == "message" || strings.HasPrefix(v.Path, "message."):
			v.Code = CodeBodyInvalidFormat
		}
		return nil, v
	}
	ck := newChecker(27, CodeJWSInvalidClaim)
	leeway := opts.leeway()
	switch {
	case c.Iss == nil:
		ck.fail("iss", "is required")
	case *c.Iss != clientID:
		ck.fail("iss", "must equal the client_id")
	}
	if c.Sub != nil && *c.Sub != clientID {
		ck.fail("sub", "must equal the client_id")
	}
	if c.Aud != nil && !audContains(c.Aud, issuer, opts.AcceptStringAud, true) {
		ck.fail("aud", "must be an array containing the issuer identifier")
	}
	exp := ck.requiredDate("exp", c.Exp)
	nbf := ck.requiredDate("nbf", c.Nbf)
	life := opts.signedBodyLifetime()
	if ck.ok() {
		switch {
		case nbf.After(now.Add(leeway)):
			ck.fail("nbf", "is in the future")
		case !exp.After(now.Add(-leeway)):
			ck.fail("exp", "has passed")
		case !exp.After(nbf):
			ck.fail("exp", "must be after nbf")
		case exp.Sub(nbf) > life:
			ck.fail("exp", "exp − nbf must be at most %s", life)
		}
	}
	if c.Iat != nil && ck.ok() {
		iat, ok := numericDate(*c.Iat)
		switch {
		case !ok:
			ck.fail("iat", "is not a valid NumericDate")
		case iat.After(now.Add(leeway)):
			ck.fail("iat", "is in the future")
		case exp.Sub(iat) > life:
			ck.fail("exp", "exp − iat must be at most %s", life)
		}
	}
	if c.Message == nil && ck.ok() {
		ck.failAs(27, CodeBodyInvalidFormat, "message", "is required: the payload is {claims…, message}")
	}
	if !ck.ok() {
		return nil, ck.result()
	}
	out := &SignedBody{ExpiresAt: exp, Message: c.Message}
	if c.Jti != nil {
		out.JTI = *c.Jti
	}
	return out, nil
}
