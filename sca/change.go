package sca

import (
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"time"
)

// Change is a change of the wallet's own settings that needs the same SCA as a payment —
// today raising or removing a TPP-side limit. What names the setting; From and To are its
// canonical text before and after. The device key signs all three, so the evidence covers
// exactly this change from exactly this state: the wallet refuses it for any other change, and
// for this one once the setting has moved on (a stale From). None of it is secret or PII.
type Change struct {
	What string // "limits"
	From string // e.g. "per_payment=5000.00 per_day=10000.00 …"
	To   string
}

// ErrInvalidChange is wrapped by every Change validation error.
var ErrInvalidChange = errors.New("sca: invalid change")

// ErrChangeMismatch: the evidence was not given for this change (another change, another
// starting state, or a payment).
var ErrChangeMismatch = errors.New("sca: the change differs from what was authenticated; authenticate again")

var (
	changeWhatRE = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,31}$`)
	changeTextRE = regexp.MustCompile(`^[ -~]{1,512}$`) // printable ASCII
)

// Validate checks the fields; only a well-formed change is signed.
func (c Change) Validate() error {
	switch {
	case !changeWhatRE.MatchString(c.What):
		return fmt.Errorf("%w: what must be 1-32 lower-case letters, digits or . _ -", ErrInvalidChange)
	case !changeTextRE.MatchString(c.From) || !changeTextRE.MatchString(c.To):
		return fmt.Errorf("%w: from and to must be 1-512 printable ASCII characters", ErrInvalidChange)
	case c.From == c.To:
		return fmt.Errorf("%w: from and to are the same", ErrInvalidChange)
	}
	return nil
}

// String prints the change; it holds no secret and no PII.
func (c Change) String() string {
	return fmt.Sprintf("Change{%s: %s -> %s}", c.What, c.From, c.To)
}

// ChangeType is the JWS "typ" of the device key's assertion over a change. It differs from
// LinkingType, so an assertion over a change never verifies as a payment's, nor the reverse.
const ChangeType = "payterm-sca-change+jwt"

// ChangeClaims is what the device key signs for a change: the change, when the factors were
// checked, and by which device with which methods.
type ChangeClaims struct {
	What            string   `json:"what"`
	From            string   `json:"from"`
	To              string   `json:"to"`
	ChallengeTime   string   `json:"challengeTime"` // RFC 3339, UTC
	IssuedAt        int64    `json:"iat"`
	DeviceBindingID string   `json:"sub"`
	Methods         []string `json:"amr"`
}

func signChange(priv *ecdsa.PrivateKey, bindingID string, c Change, at time.Time) (string, error) {
	return signDevice(priv, ChangeType, ChangeClaims{What: c.What, From: c.From, To: c.To,
		ChallengeTime: at.UTC().Format(time.RFC3339), IssuedAt: at.Unix(), DeviceBindingID: bindingID,
		Methods: []string{"pin", "otp", "swk"}})
}

// VerifyChangeValue checks a change assertion (typ ChangeType) as VerifyAuthenticationValue
// checks a payment's and returns its claims.
func VerifyChangeValue(compact, bindingID string) (*ChangeClaims, error) {
	payload, err := verifyDevice(compact, bindingID, ChangeType)
	if err != nil {
		return nil, err
	}
	var c ChangeClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, errors.New("sca: authentication value payload is not change claims")
	}
	if c.DeviceBindingID != bindingID {
		return nil, errors.New("sca: authentication value names another device")
	}
	return &c, nil
}

// Change returns the change this evidence authorises, or false for a payment's evidence.
func (e *Evidence) Change() (Change, bool) {
	if e.change == nil {
		return Change{}, false
	}
	return *e.change, true
}

// AuthorisesChange reports whether e may authorise c at now: evidence from AuthenticateChange
// for this very change (What, From and To), at most EvidenceLifetime old, not used before.
func (e *Evidence) AuthorisesChange(c Change, now time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.authorisesChangeLocked(c, now)
}

func (e *Evidence) authorisesChangeLocked(c Change, now time.Time) error {
	if e.used {
		return ErrEvidenceUsed
	}
	if e.change == nil || *e.change != c {
		return ErrChangeMismatch
	}
	if now.Before(e.challenge) || now.Sub(e.challenge) > EvidenceLifetime {
		return ErrEvidenceExpired
	}
	return nil
}

// ConsumeChange checks AuthorisesChange and marks the evidence used, atomically.
func (e *Evidence) ConsumeChange(c Change, now time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.authorisesChangeLocked(c, now); err != nil {
		return err
	}
	e.used = true
	return nil
}

// GoString matches String.
func (c Change) GoString() string { return c.String() }

// Format prints String for every verb.
func (c Change) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue logs what is changed.
func (c Change) LogValue() slog.Value { return slog.StringValue(c.String()) }
