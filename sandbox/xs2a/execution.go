package xs2a

// A payment's life at the bank after its initiation: statuses advanced on the bank's clock, the
// funds check and the debit, and the balances tests set and read.

import (
	"errors"
	"time"
)

func (b *Bank) setStatusLocked(p *payment, status string, at time.Time) {
	p.Status, p.StatusAt = status, at
	b.touchLocked(recPayment, p.ID)
}

// advanceLocked brings a payment and its authorisations to now on the bank's clock: SCA
// timeouts (rule 31) and decoupled approvals first, then the settlement timeline.
func (b *Bank) advanceLocked(p *payment, now time.Time) {
	for _, id := range append(append([]string(nil), p.Auths...), p.CancelAuths...) {
		a := b.st.Auths[id]
		if a == nil || scaFinal(a.SCAStatus) {
			continue
		}
		if a.Approach == Decoupled && !a.DecoupledAt.IsZero() && !now.Before(a.DecoupledAt) && a.DecoupledAt.Before(a.Deadline) {
			b.finaliseLocked(p, a, a.DecoupledAt)
			continue
		}
		if !now.Before(a.Deadline) {
			b.failAuthLocked(p, a, a.Deadline)
		}
	}
	if p.CancelPending {
		return // [SIM-CHOICE] held while its cancellation waits for authorisation
	}
	for i := 0; i < 8; i++ {
		switch p.Status {
		case stACTC:
			t := p.StatusAt.Add(b.cfg.ProcessAfter)
			if now.Before(t) {
				return
			}
			b.fundsCheckLocked(p, t)
		case stACCP:
			if b.hasFundsLocked(p) {
				b.debitLocked(p, now)
				continue
			}
			t := p.StatusAt.Add(b.cfg.FundsWait)
			if now.Before(t) {
				return
			}
			b.setStatusLocked(p, stRJCT, t)
		case stACSP:
			t := p.StatusAt.Add(b.cfg.SettleAfter)
			if now.Before(t) {
				return
			}
			b.setStatusLocked(p, stACSC, t)
		case stACSC:
			if !b.prof.ReportsACCC {
				return
			}
			t := p.StatusAt.Add(b.cfg.CreditAfter)
			if now.Before(t) {
				return
			}
			b.setStatusLocked(p, stACCC, t)
		default:
			return
		}
	}
}

func (b *Bank) hasFundsLocked(p *payment) bool {
	return !p.NoFundsFault && b.st.Balances[p.Currency] >= p.Minor
}

func (b *Bank) fundsCheckLocked(p *payment, at time.Time) {
	if b.hasFundsLocked(p) {
		b.debitLocked(p, at)
		return
	}
	p.FundsAvailable = boolPtr(false)
	if p.RejectNoFunds {
		b.setStatusLocked(p, stRJCT, at)
		return
	}
	b.setStatusLocked(p, stACCP, at)
}

func (b *Bank) debitLocked(p *payment, at time.Time) {
	b.st.Balances[p.Currency] -= p.Minor
	b.touchLocked(recBalance, p.Currency)
	p.FundsAvailable = boolPtr(true)
	b.setStatusLocked(p, stACSP, at)
}

// PaymentStatus is a payment's transaction status now (ok false when unknown).
func (b *Bank) PaymentStatus(id string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.st.Payments[id]
	if p == nil {
		return "", false
	}
	b.advanceLocked(p, b.now())
	_ = b.commitLocked()
	return p.Status, true
}

// PaymentCount is how many payment resources exist (all TPPs).
func (b *Bank) PaymentCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.st.Payments)
}

// SetBalance sets the PSU's balance in one currency, in minor units.
func (b *Bank) SetBalance(currency string, minor int64) error {
	if !currencyRE.MatchString(currency) || minor < 0 {
		return errors.New("set balance: currency must be ISO 4217 and the amount not negative")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.st.Balances[currency] = minor
	b.touchLocked(recBalance, currency)
	return b.commitLocked()
}

// Balance is the PSU's balance in minor units.
func (b *Bank) Balance(currency string) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.st.Balances[currency]
}
