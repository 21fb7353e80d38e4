package consent

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/lfi"
)

// Bank is what onboarding needs from the bank client. NewLFIBank adapts *lfi.Client; tests of
// the flow's own rules may supply fakes, but the integration tests use the real client against
// the sandbox.
type Bank interface {
	ClientID() string
	// Issuer is the discovered, verified issuer: the request object's aud and the callback's iss.
	Issuer(ctx context.Context) (string, error)
	AuthorizationEndpoint(ctx context.Context) (string, error)
	// SealPII signs the PII JSON (PS256) and encrypts it to the bank's enc key (compact JWE).
	SealPII(ctx context.Context, pii []byte) (string, error)
	// SignClaims signs a claims set with the TPP's PS256 key.
	SignClaims(claims any) (string, error)
	// PushAuthorizationRequest posts the signed request object to /par.
	PushAuthorizationRequest(ctx context.Context, requestObject string) (requestURI string, expiresIn time.Duration, err error)
	// ExchangeCode calls /token with grant_type=authorization_code.
	ExchangeCode(ctx context.Context, code AuthCode, verifier CodeVerifier, redirectURI string) (TokenResult, error)
	// VerifyIDToken checks an id_token from the token endpoint against the bank's signing keys,
	// the discovered issuer, our client_id, the clock and this authorization's values.
	VerifyIDToken(ctx context.Context, idToken lfi.Secret, want lfi.IDTokenExpectations) (*lfi.IDToken, error)
	// RevokeConsent sends the signed PATCH /payment-consents/{id} (Status Revoked) with a
	// client_credentials token; revokedBy is lfi.RevokedByTPP or lfi.RevokedByTPPInitiatedUser.
	RevokeConsent(ctx context.Context, consentID, revokedBy string) error
}

// TokenResult is the token endpoint's answer to a code exchange.
type TokenResult struct {
	Grant
	Scope    string
	Consents []ConsentState // authorization_details[i].consent.Data, in order
	IDToken  lfi.Secret     // the raw id_token, empty when the bank sent none
}

// ConsentState is the bank's view of a consent as returned with the tokens.
type ConsentState struct {
	Type               string // the RAR type, AuthorizationDetailsType for ours
	ConsentID          string
	Status             string
	ExpirationDateTime time.Time
}

// Errors from completing onboarding.
var (
	ErrConsentMismatch      = errors.New("the bank returned tokens for a different consent than the one we asked for")
	ErrConsentNotAuthorized = errors.New("the consent is not Authorized at the bank")
	ErrOnboardingFinished   = errors.New("this consent request was already completed or abandoned; start again")
	// ErrIDTokenRejected: the bank's id_token failed validation. Nothing was saved; the tokens
	// of that answer are dropped. When the token itself failed a check, the error also matches
	// lfi.ErrIDTokenInvalid and holds an *lfi.IDTokenError naming the check.
	ErrIDTokenRejected = errors.New("the bank's id_token failed validation; onboarding stopped and nothing was saved")
)

// OnboardingConfig wires an onboarding.
type OnboardingConfig struct {
	Bank        Bank
	RedirectURI string     // registered redirect URI; a loopback one gets a local receiver
	Store       TokenStore // receives the refresh token before Complete returns
	Rand        io.Reader  // default crypto/rand
	Clock       func() time.Time
	// Listener serves a loopback redirect URI; an https one is received only with Listener.TLS
	// (ReceivesLoopback), and is otherwise pasted back.
	Listener ListenerOptions
	// Guard remembers codes across onboardings; nil means a fresh one per onboarding.
	Guard *CodeGuard
}

// OnboardingRequest is what the user chose.
type OnboardingRequest struct {
	Params ConsentParams // ConsentID may be empty: one is generated
	PII    ConsentPIIInput
}

// Onboarding is one consent authorisation in progress: Begin → Authorize → Complete.
type Onboarding struct {
	cfg         OnboardingConfig
	clock       func() time.Time
	issuer      string
	redirectURI string
	consentID   string
	pkce        PKCE
	state       string
	nonce       string // the request object's nonce; the id_token must carry it
	authURL     string
	began       time.Time
	pii         ConsentPII
	receiver    *Receiver
	guard       *CodeGuard

	mu       sync.Mutex
	finished bool
}

// Begin validates everything locally, then seals the PII, signs the request object, pushes it
// (PAR) and prepares the authorization URL. Nothing goes over the network until local checks pass.
func Begin(ctx context.Context, cfg OnboardingConfig, req OnboardingRequest) (*Onboarding, error) {
	if cfg.Bank == nil || cfg.Store == nil {
		return nil, errors.New("begin consent: Bank and Store are required")
	}
	rnd := cfg.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	clock := cfg.Clock
	if clock == nil {
		clock = time.Now
	}
	now := clock()
	if req.Params.ConsentID == "" {
		id, err := NewConsentID(rnd)
		if err != nil {
			return nil, fmt.Errorf("begin consent: %w", err)
		}
		req.Params.ConsentID = id
	}
	if err := ValidateConsentParams(req.Params, now); err != nil {
		return nil, fmt.Errorf("begin consent: %w", err)
	}
	pii, err := BuildConsentPII(req.PII)
	if err != nil {
		return nil, fmt.Errorf("begin consent: %w", err)
	}
	if err := validateRedirectURI(cfg.RedirectURI); err != nil {
		return nil, fmt.Errorf("begin consent: %w", err)
	}
	pkce, err := NewPKCE(rnd)
	if err != nil {
		return nil, fmt.Errorf("begin consent: %w", err)
	}
	state, err := newUUID(rnd, "state")
	if err != nil {
		return nil, fmt.Errorf("begin consent: %w", err)
	}
	nonce, err := newUUID(rnd, "nonce")
	if err != nil {
		return nil, fmt.Errorf("begin consent: %w", err)
	}

	issuer, err := cfg.Bank.Issuer(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin consent: discover issuer: %w", err)
	}
	o := &Onboarding{cfg: cfg, clock: clock, issuer: issuer, redirectURI: cfg.RedirectURI,
		consentID: req.Params.ConsentID, pkce: pkce, state: state, nonce: nonce, pii: pii, guard: cfg.Guard}
	if o.guard == nil {
		o.guard = &CodeGuard{}
	}
	if ReceivesLoopback(cfg.RedirectURI, cfg.Listener.TLS != nil) {
		r, err := ListenLoopback(cfg.RedirectURI, state, issuer, cfg.Listener)
		if err != nil {
			return nil, fmt.Errorf("begin consent: %w", err)
		}
		o.receiver, o.redirectURI = r, r.RedirectURI()
	}
	if err := o.push(ctx, req.Params, nonce, now); err != nil {
		o.Close()
		return nil, fmt.Errorf("begin consent: %w", err)
	}
	return o, nil
}

// push seals the PII, signs the request object and posts it to /par. When the bank says the
// PII was sealed to a key it no longer has (enc-key rotation while our JWKS copy was cached),
// it forgets the cached keys and tries once more with a fresh seal; the rejected PAR staged
// nothing, so the same ConsentId is used again.
func (o *Onboarding) push(ctx context.Context, p ConsentParams, nonce string, now time.Time) error {
	err := o.pushOnce(ctx, p, nonce, now)
	if err == nil || !staleEncKey(err) {
		return err
	}
	kf, ok := o.cfg.Bank.(KeyForgetter)
	if !ok {
		return err
	}
	kf.ForgetKeys()
	return o.pushOnce(ctx, p, nonce, now)
}

// KeyForgetter is implemented by a Bank that caches the LFI's JWKS (LFIBank).
type KeyForgetter interface{ ForgetKeys() }

// staleEncKey reports whether a PAR failure says the PII JWE could not be opened: the UAE
// error codes JWE.InvalidHeader / JWE.DecryptionError, which the hub passes in
// error_description. This is a heuristic on server text; a miss only costs the retry.
func staleEncKey(err error) bool {
	var oe *lfi.OAuthError
	if !errors.As(err, &oe) || oe.Code != "invalid_request" {
		return false
	}
	return strings.Contains(oe.Description, "JWE.InvalidHeader") || strings.Contains(oe.Description, "JWE.DecryptionError")
}

func (o *Onboarding) pushOnce(ctx context.Context, p ConsentParams, nonce string, now time.Time) error {
	sealed, err := o.cfg.Bank.SealPII(ctx, o.pii.JSON)
	if err != nil {
		return fmt.Errorf("seal consent PII: %w", err)
	}
	details, err := BuildAuthorizationDetails(p, sealed, now)
	if err != nil {
		return err
	}
	claims, err := NewRequestObjectClaims(RequestObjectInput{
		ClientID: o.cfg.Bank.ClientID(), Issuer: o.issuer, RedirectURI: o.redirectURI,
		Scope: Scope(p.Permissions), CodeChallenge: o.pkce.Challenge, State: o.state, Nonce: nonce,
		AuthorizationDetails: details, Now: now,
	})
	if err != nil {
		return err
	}
	jws, err := SignRequestObject(o.cfg.Bank, claims)
	if err != nil {
		return err
	}
	requestURI, _, err := o.cfg.Bank.PushAuthorizationRequest(ctx, jws)
	if err != nil {
		return fmt.Errorf("push authorization request: %w", err)
	}
	endpoint, err := o.cfg.Bank.AuthorizationEndpoint(ctx)
	if err != nil {
		return fmt.Errorf("discover authorization endpoint: %w", err)
	}
	o.authURL, err = AuthorizationURL(endpoint, o.cfg.Bank.ClientID(), requestURI)
	o.began = o.clock()
	return err
}

// URL is the authorization URL to open in a browser.
func (o *Onboarding) URL() string { return o.authURL }

// ConsentID is the id of the consent being authorised.
func (o *Onboarding) ConsentID() string { return o.consentID }

// RedirectURI is the redirect URI in the request object (with the real loopback port).
func (o *Onboarding) RedirectURI() string { return o.redirectURI }

// UsesLoopback reports whether a local receiver waits for the callback; otherwise the user
// pastes the callback URL (ParseCallback).
func (o *Onboarding) UsesLoopback() bool { return o.receiver != nil }

// Close releases the loopback receiver, if any.
func (o *Onboarding) Close() {
	if o.receiver != nil {
		_ = o.receiver.Close()
	}
}

// WaitCallback waits for the loopback receiver's checked code.
func (o *Onboarding) WaitCallback(ctx context.Context) (AuthCode, error) {
	if o.receiver == nil {
		return "", errors.New("wait for callback: the redirect URI is not loopback; paste the callback URL instead")
	}
	code, err := o.receiver.Wait(ctx)
	if err != nil {
		o.abandon()
		return "", err
	}
	return code, nil
}

// ParseCallback checks a callback URL the user pasted (or the headless walk returned).
func (o *Onboarding) ParseCallback(raw string) (AuthCode, error) {
	code, err := ParseCallbackURL(raw, CallbackCheck{RedirectURI: o.redirectURI, State: o.state, Issuer: o.issuer})
	if err != nil {
		o.abandon()
		return "", err
	}
	return code, nil
}

// abandon marks the onboarding as failed: a rejected callback ends it (fail closed), so no later
// code can be exchanged under this state.
func (o *Onboarding) abandon() {
	o.mu.Lock()
	o.finished = true
	o.mu.Unlock()
	o.Close()
}

// Presentation says how to get the user to the bank.
type Presentation struct {
	Out    io.Writer // the URL (and QR) is printed here when set
	QR     bool      // also draw a terminal QR code for another device
	Opener Opener    // opens a browser when set (SystemOpener in production)
	// Headless follows the bank's redirects with this client instead of a user (sandbox
	// auto-approve only).
	Headless *http.Client
	// Paste reads the callback URL from the user when the redirect URI is not loopback.
	Paste func(ctx context.Context) (string, error)
}

// Authorize gets the user to the bank and returns the checked authorization code.
func (o *Onboarding) Authorize(ctx context.Context, p Presentation) (AuthCode, error) {
	if p.Headless != nil {
		cb, err := FollowToRedirect(ctx, p.Headless, o.authURL, o.redirectURI)
		if err != nil {
			o.abandon()
			return "", err
		}
		return o.ParseCallback(cb)
	}
	if p.Out != nil {
		if _, err := fmt.Fprintf(p.Out, "Open this address to authorise the consent at your bank:\n\n  %s\n\n", o.authURL); err != nil {
			return "", fmt.Errorf("print authorization URL: %w", err)
		}
		if p.QR {
			if err := WriteQR(p.Out, o.authURL); err != nil {
				return "", err
			}
		}
	}
	if p.Opener != nil {
		if err := p.Opener(ctx, o.authURL); err != nil && p.Out != nil {
			// Not fatal: the URL is printed. Say so and carry on waiting.
			_, _ = fmt.Fprintf(p.Out, "(could not open a browser: %v)\n", err)
		}
	}
	if o.receiver != nil {
		return o.WaitCallback(ctx)
	}
	if p.Paste == nil {
		return "", errors.New("authorize: the redirect URI is not loopback and no way to read the pasted callback was given")
	}
	raw, err := p.Paste(ctx)
	if err != nil {
		return "", fmt.Errorf("read pasted callback URL: %w", err)
	}
	return o.ParseCallback(raw)
}

// Result is an authorised consent with its tokens.
type Result struct {
	ConsentID          string
	ExpirationDateTime time.Time
	Scope              string
	Tokens             Grant // AccessToken plus the refresh token (already saved in Store)
	Model              BeneficiaryModel
	Creditors          []DomesticCreditor // as sent at consent time, for matching payments
	// IDToken is the validated id_token, or nil when the bank returned none (the UAE standard
	// makes it optional). Callers that keep an audit record should note which it was.
	IDToken *lfi.IDToken
}

// Complete exchanges the code, validates the id_token when the bank returns one, checks the
// returned consent is ours and Authorized, and saves the refresh token before returning. It
// refuses a code it has seen before and any call after a rejected callback.
//
// A token answer it refuses (bad id_token, another consent, not Authorized, no tokens, the
// refresh token could not be saved) is dropped, the consent staged by our PAR is revoked at the
// bank (best effort, RevokedBy TPP) and the error is a *RefusedError: it matches the reason
// (ErrIDTokenRejected, ErrConsentMismatch, …) and, if the revocation failed, ErrRevokeFailed.
// Failures before the bank issued tokens revoke nothing; refuse explains why.
//
// id_token: a bad one aborts with ErrIDTokenRejected before anything of the answer is used or
// saved. None at all is accepted, because UAE v2.1 makes it optional (uae-spec.md §3.5); the
// authorization then rests on the PKCE-bound code exchanged over mTLS and on the consent check,
// and Result.IDToken is nil to record that none came.
func (o *Onboarding) Complete(ctx context.Context, code AuthCode) (Result, error) {
	o.mu.Lock()
	if o.finished {
		o.mu.Unlock()
		return Result{}, ErrOnboardingFinished
	}
	o.finished = true // single use, whatever happens next
	o.mu.Unlock()
	defer o.Close()
	if code == "" {
		return Result{}, ErrCodeMissing
	}
	if err := o.guard.Accept(code); err != nil {
		return Result{}, err
	}
	if o.clock().Sub(o.began) > CallbackTimeout {
		return Result{}, fmt.Errorf("complete consent: %w", ErrCallbackTimeout)
	}
	tr, err := o.cfg.Bank.ExchangeCode(ctx, code, o.pkce.Verifier, o.redirectURI)
	if err != nil {
		return Result{}, fmt.Errorf("exchange authorization code: %w", err)
	}
	res, err := o.accept(ctx, tr, code)
	if err != nil {
		return Result{}, o.refuse(ctx, err)
	}
	return res, nil
}

// accept checks a token answer and saves its refresh token. Any error means the answer is
// refused: nothing of it is kept.
func (o *Onboarding) accept(ctx context.Context, tr TokenResult, code AuthCode) (Result, error) {
	idt, err := o.checkIDToken(ctx, tr, code)
	if err != nil {
		return Result{}, err
	}
	if len(tr.Consents) == 0 || tr.Consents[0].Type != AuthorizationDetailsType || tr.Consents[0].ConsentID != o.consentID {
		return Result{}, ErrConsentMismatch
	}
	c := tr.Consents[0]
	if c.Status != "Authorized" {
		return Result{}, fmt.Errorf("%w (status %s)", ErrConsentNotAuthorized, safetext.Short(string(c.Status), 40))
	}
	if tr.AccessToken.IsZero() || tr.RefreshToken.IsZero() {
		return Result{}, errors.New("exchange authorization code: the bank issued no access or refresh token")
	}
	if err := o.cfg.Store.Save(ctx, o.consentID, tr.RefreshToken); err != nil {
		return Result{}, fmt.Errorf("save refresh token: %w", err)
	}
	return Result{
		ConsentID: o.consentID, ExpirationDateTime: c.ExpirationDateTime, Scope: tr.Scope,
		Tokens: tr.Grant, Model: o.pii.Model, Creditors: o.pii.Creditors, IDToken: idt,
	}, nil
}

// checkIDToken validates the id_token of a code exchange against this onboarding's nonce,
// state and code and the access token it came with. It returns nil, nil when there is none.
func (o *Onboarding) checkIDToken(ctx context.Context, tr TokenResult, code AuthCode) (*lfi.IDToken, error) {
	if tr.IDToken.IsZero() {
		return nil, nil
	}
	idt, err := o.cfg.Bank.VerifyIDToken(ctx, tr.IDToken, lfi.IDTokenExpectations{
		Nonce: o.nonce, State: o.state, Code: lfi.Secret(code.Reveal()), AccessToken: tr.AccessToken})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIDTokenRejected, err)
	}
	return idt, nil
}

// Onboard runs the whole flow: Begin, Authorize, Complete.
func Onboard(ctx context.Context, cfg OnboardingConfig, req OnboardingRequest, p Presentation) (Result, error) {
	o, err := Begin(ctx, cfg, req)
	if err != nil {
		return Result{}, err
	}
	defer o.Close()
	code, err := o.Authorize(ctx, p)
	if err != nil {
		return Result{}, fmt.Errorf("authorize consent: %w", err)
	}
	return o.Complete(ctx, code)
}
