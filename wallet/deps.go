package wallet

import (
	"context"

	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/sca"
)

// The narrow views of the other packages the wallet calls. *lfi.Client satisfies Bank and
// *sca.Authenticator satisfies Authenticator; tests use the real ones against the sandbox.

// Bank is what the payment pipeline and the consent lifecycle need of the bank client.
type Bank interface {
	SealPII(ctx context.Context, piiJSON []byte) (string, error)
	SignPayment(message []byte) ([]byte, error)
	CreatePayment(ctx context.Context, userToken lfi.Secret, p lfi.SignedPayment) (*lfi.Payment, error)
	GetPayment(ctx context.Context, paymentID string) (*lfi.Payment, error)
	GetPaymentByIdempotencyKey(ctx context.Context, key string) (*lfi.Payment, error)
	GetConsent(ctx context.Context, consentID string) (*lfi.Consent, error)
	// RevokeConsent returns the x-fapi-interaction-id of the PATCH.
	RevokeConsent(ctx context.Context, consentID, revokedBy string) (string, error)
}

// Tokens hands out the consent-bound user access token for a consent.
type Tokens interface {
	AccessToken(ctx context.Context, consentID string) (lfi.Secret, error)
	// Invalidate drops a cached access token the bank answered 401 to.
	Invalidate(consentID string)
	// Forget deletes every token of a consent (after revocation).
	Forget(ctx context.Context, consentID string) error
}

// Authenticator performs the wallet's own SCA for one payment intent, or for one change of
// the limits (raising or removing one), with one attempt counter for both.
type Authenticator interface {
	Authenticate(in sca.Intent, pin sca.PIN, code sca.OTP) (*sca.Evidence, error)
	AuthenticateChange(c sca.Change, pin sca.PIN, code sca.OTP) (*sca.Evidence, error)
}

var (
	_ Bank          = (*lfi.Client)(nil)
	_ Authenticator = (*sca.Authenticator)(nil)
)
