package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
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
	b.touchLocked(kindConsent, id)
	return b.commitLocked()
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
	p, err := b.lookupPayment(id)
	if err != nil {
		return "", err
	}
	if p == nil {
		return "", errors.New("no such payment")
	}
	st, _ := b.paymentStatusAt(p, b.now())
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
	b.balanceDirty = true
	return b.commitLocked()
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

// SeedPayments records n payments of amountFils each on an Authorized consent as if its
// client had made them, for load tests and demos of a long-used consent: each debits the
// balance, counts in PaymentConsumption, is listed in Links.Related while among the latest and
// can be read with GET /payments/{id}; none has an idempotency key. They are journaled (and
// archived) a thousand to a line, so 100,000 take seconds, not the hours real requests would.
func (b *Bank) SeedPayments(consentID string, n int, amountFils int64) error {
	if n < 1 || n > 1_000_000 || amountFils < 1 || amountFils > 1_000_000_00 {
		return errors.New("seed payments: want 1..1,000,000 payments of 0.01..1,000,000.00 AED")
	}
	billing, _ := json.Marshal(map[string]string{"Type": "PushP2P"})
	for n > 0 {
		batch := min(n, 1000)
		n -= batch
		b.mu.Lock()
		now := b.nowLocked()
		c, ok := b.st.Consents[consentID]
		if ok {
			b.refreshConsentLocked(c, now)
		}
		switch {
		case !ok:
			b.mu.Unlock()
			return ErrNoConsent
		case c.Status != statusAuthorized:
			b.mu.Unlock()
			return fmt.Errorf("seed payments: consent is %s, not Authorized", c.Status)
		case b.st.BalanceFils < int64(batch)*amountFils:
			b.mu.Unlock()
			return errors.New("seed payments: the balance does not cover them")
		}
		ps := make([]*paymentRecord, batch)
		for i := range ps {
			ps[i] = &paymentRecord{Seq: b.st.NextSeq + int64(i), PaymentID: b.newUUID(), ConsentID: consentID, ClientID: c.ClientID,
				Amount: formatFils(amountFils), Currency: "AED", AmountFils: amountFils, PurposeCode: c.Meta.PaymentPurposeCode,
				Billing: billing, CreatedAt: now, TransactionID: strings.ReplaceAll(b.newUUID(), "-", "")}
		}
		balance := b.st.BalanceFils - int64(batch)*amountFils
		seq, err := b.appendLocked(journalEntry{Payments: ps, BalanceFils: balance})
		if err == nil {
			b.st.BalanceFils = balance
			for _, p := range ps {
				b.st.addPayment(p)
			}
		}
		b.mu.Unlock()
		if err == nil && b.jw != nil {
			err = b.jw.wait(seq)
		}
		if err != nil {
			return fmt.Errorf("seed payments: %w", err)
		}
	}
	return nil
}
