package consent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/payterm/payterm/lfi"
)

// ErrRevokeFailed matches a RefusedError whose revocation at the bank failed: the consent may
// still be Authorized there, so the user should check their bank and cancel it.
var ErrRevokeFailed = errors.New("could not revoke the consent at the bank")

// RefusedError is Complete's error when the bank issued tokens but the wallet refused the
// answer (id_token invalid, another consent, not Authorized, no tokens, refresh token not
// saved). The tokens were dropped and the consent this onboarding staged by PAR was revoked at
// the bank, best effort, so no consent the wallet does not show is left able to pay.
//
// errors.Is / errors.As see Reason (ErrIDTokenRejected, ErrConsentMismatch, …) and, when the
// revocation failed, ErrRevokeFailed. The revocation's own error is kept in RevokeErr but is
// not unwrapped, so its classes (a bank 5xx, say) are never mistaken for the refusal's.
type RefusedError struct {
	ConsentID string // the staged consent id (from our PAR), the one revoked
	Reason    error  // why the answer was refused
	RevokeErr error  // nil when the bank confirmed the revocation (204)
}

func (e *RefusedError) Error() string {
	if e.RevokeErr == nil {
		return fmt.Sprintf("%v; the consent was revoked at the bank", e.Reason)
	}
	return fmt.Sprintf("%v; %v, so it may still be active: check your bank and cancel it there (%v)",
		e.Reason, ErrRevokeFailed, e.RevokeErr)
}

// Unwrap exposes the reason the answer was refused.
func (e *RefusedError) Unwrap() error { return e.Reason }

// Is matches ErrRevokeFailed when the revocation did not go through.
func (e *RefusedError) Is(target error) bool { return target == ErrRevokeFailed && e.RevokeErr != nil }

// Revoked reports whether the bank confirmed the revocation.
func (e *RefusedError) Revoked() bool { return e.RevokeErr == nil }

// revokeTimeout bounds the best-effort revocation. It runs even when the caller's context has
// ended (a cancelled save must not leave the consent live), so it needs its own limit.
const revokeTimeout = 30 * time.Second

// refuse revokes the consent this onboarding staged and returns reason wrapped in a
// RefusedError. It is called only once the bank has issued tokens for a code it issued for
// our request: the consent is Authorized at the bank, and tokens for it exist, so it could pay.
//
// The id revoked is always o.consentID, the one we generated and pushed by PAR, never one read
// from the refused answer: that answer is exactly what we do not trust, and revoking an id it
// names could cancel another of the user's consents.
//
// RevokedBy is "TPP": the standard's AERevokedBy table reads "TPP — Revoked by TPP without User
// initiation" and "TPP.InitiatedByUser — Initiated by User via the TPP". Here the user asked
// for a consent, not for its revocation; the wallet revokes on its own because it refused the
// bank's answer, so TPP is the honest value (the user-initiated revoke in wallet/ uses
// TPP.InitiatedByUser).
//
// Not revoked, by design, when the failure comes before any token exists:
//   - a refused callback (iss/state missing or wrong, repeated parameters, no code): nothing
//     in it can be trusted, so it is no evidence about our consent. If the user did approve, the
//     bank marked the consent Authorized before redirecting (UAE and the sandbox both do), but
//     the code can only be redeemed with our PKCE verifier, our mTLS key and our signed client
//     assertion; we never redeem it, so no token for the consent is ever issued and it cannot
//     pay. It stays visible at the bank until it expires or the user cancels it there.
//   - a code replayed or arriving after CallbackTimeout: refused before /token for the same
//     reason, and with the same outcome (no token ever exists).
//   - a failed code exchange (the bank refused the code, or the network failed): we hold no
//     token; a lost 200 leaves tokens nobody can read.
//   - an access_denied callback: the bank already Rejected the consent.
func (o *Onboarding) refuse(ctx context.Context, reason error) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), revokeTimeout)
	defer cancel()
	err := o.cfg.Bank.RevokeConsent(rctx, o.consentID, lfi.RevokedByTPP)
	return &RefusedError{ConsentID: o.consentID, Reason: reason, RevokeErr: err}
}
