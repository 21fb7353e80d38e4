package sca

import (
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// EvidenceLifetime is how long a successful SCA may authorise its payment (RTS Art. 4(3)(d)
// caps inactivity after authentication at five minutes; UAE asks for a "recent" challenge).
const EvidenceLifetime = 5 * time.Minute

// Outcome is the UAE ChallengeOutcome.
type Outcome string

// OutcomePass is the only outcome Evidence carries: failures return errors, not Evidence.
const OutcomePass Outcome = "Pass"

// LinkingType is the JWS "typ" of the dynamic-linking assertion.
const LinkingType = "payterm-sca+jwt"

// Evidence is the proof of one successful SCA for one payment intent (Authenticate) or for one
// change of settings (AuthenticateChange). risk/ reads its exported fields; the wallet calls
// Consume right before sending the payment, ConsumeChange right before saving the change.
type Evidence struct {
	ChallengeTime       time.Time // when the factors were checked (UTC, whole seconds)
	Factors             []Factor  // {Knowledge PIN}, {Possession OTPApp}
	Outcome             Outcome
	AuthenticationValue string // compact JWS (ES256) by the device key over the linking payload
	DeviceBindingID     string // RFC 7638 thumbprint of the device key
	DeviceBoundAt       time.Time

	intent    Intent
	change    *Change   // set instead of intent when the evidence authorises a change of settings
	challenge time.Time // the checks use this copy: editing the exported field grants nothing
	mu        sync.Mutex
	used      bool
}

// ExpiresAt is when the evidence stops authorising its payment.
func (e *Evidence) ExpiresAt() time.Time { return e.challenge.Add(EvidenceLifetime) }

// Errors of Authorises/Consume; none carries payment details.
var (
	ErrEvidenceMismatch = errors.New("sca: the payment differs from what was authenticated (amount, payee, consent or key); authenticate again")
	ErrEvidenceExpired  = errors.New("sca: the authentication is older than 5 minutes; authenticate again")
	ErrEvidenceUsed     = errors.New("sca: this authentication was already used; authenticate again")
)

// Intent returns the intent this evidence authorises.
func (e *Evidence) Intent() Intent { return e.intent }

// Authorises reports whether e may authorise in at now: the very same intent (any change of
// amount, currency, payee, consent or idempotency key fails), at most EvidenceLifetime old,
// not in the future, and not used before.
func (e *Evidence) Authorises(in Intent, now time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.authorisesLocked(in, now)
}

func (e *Evidence) authorisesLocked(in Intent, now time.Time) error {
	if e.used {
		return ErrEvidenceUsed
	}
	if e.change != nil || in != e.intent {
		return ErrEvidenceMismatch
	}
	if now.Before(e.challenge) || now.Sub(e.challenge) > EvidenceLifetime {
		return ErrEvidenceExpired
	}
	return nil
}

// Consume checks Authorises and marks the evidence used, atomically: of two concurrent
// payments only one can consume it.
func (e *Evidence) Consume(in Intent, now time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.authorisesLocked(in, now); err != nil {
		return err
	}
	e.used = true
	return nil
}

// LogValue logs what is not sensitive; the JWS carries the payee and stays out of logs.
func (e *Evidence) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Time("challenge_time", e.ChallengeTime),
		slog.String("outcome", string(e.Outcome)),
		slog.String("device_binding_id", e.DeviceBindingID),
		e.subject(),
	)
}

// subject is what the evidence authorises, for the log.
func (e *Evidence) subject() slog.Attr {
	if e.change != nil {
		return slog.String("change", e.change.What)
	}
	return slog.Any("intent", e.intent)
}

// String summarises the evidence without the payee or the JWS.
func (e *Evidence) String() string {
	var what fmt.Stringer = e.intent
	if e.change != nil {
		what = e.change
	}
	return fmt.Sprintf("Evidence{%s at %s by %s for %s}", e.Outcome, e.ChallengeTime.Format(time.RFC3339), e.DeviceBindingID, what)
}

// GoString and Format keep %#v and every other verb on String: the raw fields hold the payee.
func (e *Evidence) GoString() string { return e.String() }

// Format prints String for every verb.
func (e *Evidence) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, e.String()) }

// LinkingClaims is the dynamic-linking payload the device key signs (RTS Art. 5): what the
// user saw and approved, and when.
type LinkingClaims struct {
	ConsentID       string   `json:"consentId"`
	Amount          string   `json:"amount"`
	Currency        string   `json:"currency"`
	CreditorAccount string   `json:"creditorAccount"`
	CreditorName    string   `json:"creditorName"`
	IdempotencyKey  string   `json:"idempotencyKey"`
	ChallengeTime   string   `json:"challengeTime"` // RFC 3339, UTC
	IssuedAt        int64    `json:"iat"`
	DeviceBindingID string   `json:"sub"`
	Methods         []string `json:"amr"` // RFC 8176: pin, otp, swk (software-held key)
}

// String hides the payee (PII) the claims carry.
func (c LinkingClaims) String() string {
	return fmt.Sprintf("LinkingClaims{consent=%s amount=%s %s creditor=%s idempotency=%s at=%s device=%s}",
		c.ConsentID, c.Amount, c.Currency, redacted, c.IdempotencyKey, c.ChallengeTime, c.DeviceBindingID)
}

// GoString matches String.
func (c LinkingClaims) GoString() string { return c.String() }

// Format prints String for every verb.
func (c LinkingClaims) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue logs the claims without the payee.
func (c LinkingClaims) LogValue() slog.Value { return slog.StringValue(c.String()) }

func signLinking(priv *ecdsa.PrivateKey, bindingID string, in Intent, at time.Time) (string, error) {
	return signDevice(priv, LinkingType, LinkingClaims{
		ConsentID: in.ConsentID, Amount: in.Amount, Currency: in.Currency,
		CreditorAccount: in.CreditorIBAN, CreditorName: in.CreditorName, IdempotencyKey: in.IdempotencyKey,
		ChallengeTime: at.UTC().Format(time.RFC3339), IssuedAt: at.Unix(), DeviceBindingID: bindingID,
		Methods: []string{"pin", "otp", "swk"},
	})
}

// signDevice signs claims with the device key as a compact ES256 JWS of type typ, with the
// public key embedded.
func signDevice(priv *ecdsa.PrivateKey, typ string, claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("sca: encode linking payload: %w", err)
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.ES256, Key: priv},
		(&jose.SignerOptions{EmbedJWK: true}).WithType(jose.ContentType(typ)))
	if err != nil {
		return "", fmt.Errorf("sca: device key signer: %w", err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sca: sign linking payload: %w", err)
	}
	return obj.CompactSerialize()
}

// VerifyAuthenticationValue checks a dynamic-linking JWS: ES256 only, typ LinkingType, an
// embedded P-256 public key whose thumbprint is bindingID, a valid signature, and claims that
// name bindingID. It returns the claims; comparing them with the payment is the caller's job.
func VerifyAuthenticationValue(compact, bindingID string) (*LinkingClaims, error) {
	payload, err := verifyDevice(compact, bindingID, LinkingType)
	if err != nil {
		return nil, err
	}
	var c LinkingClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, errors.New("sca: authentication value payload is not linking claims")
	}
	if c.DeviceBindingID != bindingID {
		return nil, errors.New("sca: authentication value names another device")
	}
	return &c, nil
}

// verifyDevice checks a device-key JWS of type typ and returns its payload.
func verifyDevice(compact, bindingID, typ string) ([]byte, error) {
	obj, err := jose.ParseSignedCompact(compact, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return nil, fmt.Errorf("sca: parse authentication value: %w", err)
	}
	if len(obj.Signatures) != 1 {
		return nil, errors.New("sca: authentication value must carry one signature")
	}
	h := obj.Signatures[0].Protected
	if t, _ := h.ExtraHeaders[jose.HeaderType].(string); t != typ {
		return nil, errors.New("sca: authentication value has the wrong typ")
	}
	if h.JSONWebKey == nil {
		return nil, errors.New("sca: authentication value has no embedded key")
	}
	pub, ok := h.JSONWebKey.Key.(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("sca: authentication value key is not an EC public key")
	}
	id, _, err := publicJWK(pub)
	if err != nil || id != bindingID {
		return nil, errors.New("sca: authentication value was not signed by the bound device key")
	}
	payload, err := obj.Verify(pub)
	if err != nil {
		return nil, fmt.Errorf("sca: authentication value signature: %w", err)
	}
	return payload, nil
}
