package sandbox

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrNoConsent is returned by the controls for an unknown consent id.
var ErrNoConsent = errors.New("no such consent")

// setConsentStatus applies an LFI-side transition, allowed only from the listed statuses.
func (b *Bank) setConsentStatus(id, to, revokedBy string, from ...string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.st.Consents[id]
	if !ok {
		return ErrNoConsent
	}
	now := b.nowLocked()
	b.refreshConsentLocked(c, now)
	if !slices.Contains(from, c.Status) {
		return fmt.Errorf("consent is %s; cannot move it to %s", c.Status, to)
	}
	c.Status, c.StatusUpdateDateTime = to, now
	if revokedBy != "" {
		c.RevokedBy = revokedBy
	}
	if to == statusExpired {
		c.ExpirationDateTime = now
	}
	return b.saveLocked()
}

// SuspendConsent blocks an Authorized consent (the LFI's "Suspended").
func (b *Bank) SuspendConsent(id string) error {
	return b.setConsentStatus(id, statusSuspended, "", statusAuthorized)
}

// RestoreConsent clears a suspension.
func (b *Bank) RestoreConsent(id string) error {
	return b.setConsentStatus(id, statusAuthorized, "", statusSuspended)
}

// RevokeConsent revokes a consent on the bank's side (RevokedBy LFI.InitiatedByUser).
func (b *Bank) RevokeConsent(id string) error {
	return b.setConsentStatus(id, statusRevoked, "LFI.InitiatedByUser", statusAwaiting, statusAuthorized, statusSuspended)
}

// ExpireConsent makes a consent expire now.
func (b *Bank) ExpireConsent(id string) error {
	return b.setConsentStatus(id, statusExpired, "", statusAwaiting, statusAuthorized, statusSuspended)
}

// ConsentStatus reports a consent's current status.
func (b *Bank) ConsentStatus(id string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.st.Consents[id]
	if !ok {
		return "", ErrNoConsent
	}
	b.refreshConsentLocked(c, b.nowLocked())
	return c.Status, nil
}

// ConsentRevokedBy reports who revoked a consent (LFI, TPP, LFI.InitiatedByUser or
// TPP.InitiatedByUser); "" when it was not revoked.
func (b *Bank) ConsentRevokedBy(id string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.st.Consents[id]
	if !ok {
		return "", ErrNoConsent
	}
	return c.RevokedBy, nil
}

// PaymentStatus reports a payment's current status.
func (b *Bank) PaymentStatus(id string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, ok := b.st.Payments[id]
	if !ok {
		return "", errors.New("no such payment")
	}
	st, _ := b.paymentStatusAt(p, b.nowLocked())
	return st, nil
}

// SetBalanceFils sets the simulated debtor balance (fils; 1 AED = 100 fils).
func (b *Bank) SetBalanceFils(fils int64) error {
	if fils < 0 {
		return errors.New("balance must not be negative")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.st.BalanceFils = fils
	return b.saveLocked()
}

// BalanceFils is the simulated debtor balance.
func (b *Bank) BalanceFils() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.st.BalanceFils
}

// AdvanceClock moves the bank's clock forward (or back, with a negative d).
func (b *Bank) AdvanceClock(d time.Duration) {
	b.clockOffset.Add(int64(d))
}

// Now is the bank's current time (injected clock + admin offset).
func (b *Bank) Now() time.Time { return b.now() }
