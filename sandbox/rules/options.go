package rules

import "time"

// Options holds the [SIM-CHOICE] settings. The zero value is the strict
// bank: every bool is named so that false is the strict reading, and zero
// durations take the defaults below. Use DefaultOptions() to see them.
type Options struct {
	// Leeway is the clock skew allowed on every time check. Zero means
	// 30 s; a negative value means no leeway at all.
	Leeway time.Duration

	// RejectRequestObjectIATJTI rejects iat/jti in the request object. By
	// default they are tolerated with a warning (uae-spec §2 [SIM-CHOICE]).
	RejectRequestObjectIATJTI bool

	// RejectJWECtyJWT rejects a PII JWE whose header carries cty "JWT".
	// By default cty is accepted when absent or equal to JWT (any case).
	RejectJWECtyJWT bool

	// AllowEmptyCreditorArray accepts "Creditor": [] in the consent PII as
	// an open beneficiary. Strict: rejected (schema minItems 1).
	AllowEmptyCreditorArray bool

	// OpenNestedPaymentRisk follows the payment-time schema literally:
	// only the Risk root is closed. Strict: nested objects are closed too.
	OpenNestedPaymentRisk bool

	// AcceptStringAud accepts a single-string aud in signed resource
	// bodies (the v1.2 PATCH sample); AEJwt says array.
	AcceptStringAud bool

	// AllowLoopbackRedirects accepts http://127.0.0.1:{any port}/path and
	// http://[::1]:{any port}/path when the same URI without a port (or
	// with any port) is registered (RFC 8252 §7.3). Strict: off.
	AllowLoopbackRedirects bool

	// BICs maps the 3-digit IBAN bank code to the bank's BIC (8 chars).
	// Nil means DefaultBICs().
	BICs map[string]string

	// MaxClientAssertionLifetime bounds exp−iat (default 300 s, rule 4).
	MaxClientAssertionLifetime time.Duration
	// MaxRequestObjectLifetime bounds exp−nbf and now−nbf (default 600 s, rule 7).
	MaxRequestObjectLifetime time.Duration
	// MaxSignedBodyLifetime bounds exp−nbf of payment/PATCH bodies (default 600 s, rule 27).
	MaxSignedBodyLifetime time.Duration
}

// The defaults a zero Options field takes.
const (
	defaultLeeway                  = 30 * time.Second
	defaultClientAssertionLifetime = 300 * time.Second
	defaultRequestObjectLifetime   = 600 * time.Second
	defaultSignedBodyLifetime      = 600 * time.Second
)

// DefaultOptions is the strict bank with every default spelled out.
func DefaultOptions() Options {
	return Options{
		Leeway:                     defaultLeeway,
		BICs:                       DefaultBICs(),
		MaxClientAssertionLifetime: defaultClientAssertionLifetime,
		MaxRequestObjectLifetime:   defaultRequestObjectLifetime,
		MaxSignedBodyLifetime:      defaultSignedBodyLifetime,
	}
}

func (o Options) leeway() time.Duration {
	switch {
	case o.Leeway < 0:
		return 0
	case o.Leeway == 0:
		return defaultLeeway
	}
	return o.Leeway
}

func (o Options) bics() map[string]string {
	if o.BICs == nil {
		return DefaultBICs()
	}
	return o.BICs
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func (o Options) clientAssertionLifetime() time.Duration {
	return orDefault(o.MaxClientAssertionLifetime, defaultClientAssertionLifetime)
}

func (o Options) requestObjectLifetime() time.Duration {
	return orDefault(o.MaxRequestObjectLifetime, defaultRequestObjectLifetime)
}

func (o Options) signedBodyLifetime() time.Duration {
	return orDefault(o.MaxSignedBodyLifetime, defaultSignedBodyLifetime)
}
