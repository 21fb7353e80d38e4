// Package consent builds and runs the delegated-SCA payment consent of the UAE Open Finance v2.1
// standard, from the builders to fresh tokens.
//
// Everything a user or a bank sends is untrusted. Builders validate locally before any network
// call and name the offending field in their errors (a *FieldError matching ErrInvalid), never
// its value: IBANs and names are PII; codes, verifiers and tokens are secrets and redact
// themselves when printed.
//
// Typical use (wallet/):
//
//	bank := consent.NewLFIBank(lfiClient)
//	res, err := consent.Onboard(ctx, consent.OnboardingConfig{
//		Bank: bank, RedirectURI: cfg.RedirectURI, Store: keystore,
//	}, consent.OnboardingRequest{
//		Params: consent.ConsentParams{ExpirationDateTime: exp, IsSingleAuthorization: true, PaymentPurposeCode: "MWP"},
//		PII:    consent.ConsentPIIInput{Model: consent.SingleBeneficiary, Creditors: payees, Risk: riskJSON},
//	}, consent.Presentation{Out: os.Stdout, QR: true, Opener: consent.SystemOpener})
//	tm, err := consent.NewTokenManager(consent.TokenManagerConfig{
//		ConsentID: res.ConsentID, Store: keystore, Refresh: bank.Refresh, Initial: &res.Tokens,
//	})
//	token, err := tm.AccessToken(ctx) // for POST /payments
//
// Pieces, for callers that need a step on its own:
//   - ParseIBAN, BuildCreditor, BuildConsentPII: consent PII (open, single, multiple beneficiaries);
//     BuildCreditor is also the canonical creditor for payment-time PII.
//   - ValidateConsentParams, BuildAuthorizationDetails, Scope: the RAR element.
//   - NewPKCE, NewRequestObjectClaims, SignRequestObject, AuthorizationURL.
//   - ParseCallbackURL (paste-back), ListenLoopback (loopback receiver), CodeGuard (replays).
//   - Begin / Onboarding.Authorize / Onboarding.Complete: the flow in steps (for a TUI).
//     Complete validates the bank's id_token (lfi.Client.VerifyIDToken: signature, iss, aud,
//     exp/iat, this request's nonce, s_hash/c_hash) before using anything in the token
//     answer; a bad one is ErrIDTokenRejected and nothing is saved. No id_token is accepted
//     (optional in UAE v2.1) and leaves Result.IDToken nil. Whenever Complete refuses a token
//     answer it revokes the consent it staged (RevokedBy TPP) and returns a *RefusedError
//     saying whether that worked (ErrRevokeFailed when not).
//   - TokenManager with a TokenStore (keystore/ implements it).
package consent
