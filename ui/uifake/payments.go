// Package uifake is the fake wallet payterm's screen tests run on (ui.Wallet), exported so that

// The fake's payments as they are made: payees, purpose codes, preparing, the PIN + code and the
// scripted progress, and Confirmation of Payee.
// testers can script journeys with ui/uitest from a module of their own (see testers/ at the
// repository's root). It is the very fake the ui tests use, and it agrees with the core where a
// screen shows what the core computes (a consent's payments and totals, limits' sentences).
package uifake

import (
	"context"
	"fmt"
	"time"

	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/ui"
)

func (f *FakeWallet) Payees(ctx context.Context, consentID string) ([]ui.Payee, error) {
	if err := f.gated(ctx, "Payees", &f.PayeesGate, "list payees"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.isBG(consentID) {
		return append([]ui.Payee(nil), f.bg.payees...), nil
	}
	if consentID == fakeFTLinkID {
		return nil, nil // an open link: the payee is typed
	}
	return append([]ui.Payee(nil), f.payees...), nil
}

func (f *FakeWallet) PurposeCodes(ctx context.Context) ([]ui.PurposeCode, error) {
	return []ui.PurposeCode{
		{Code: "ACM", Description: "Agency Commission"}, {Code: "GDS", Description: "Goods Bought or Sold"}, {Code: "MWP", Description: "Mobile Wallet Payments"},
		{Code: "OAT", Description: "Own Account Transfer"}, {Code: "RNT", Description: "Rent"}, {Code: "SAL", Description: "Salary"}, {Code: "TOF", Description: "Transfer of funds between persons"},
		{Code: "UTL", Description: "Utility"},
	}, nil
}

func (f *FakeWallet) PreparePayment(ctx context.Context, d ui.PaymentDraft) (ui.PreparedPayment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("PreparePayment")
	f.drafts = append(f.drafts, d)
	if f.isBG(d.ConsentID) {
		return f.prepareBG(d)
	}
	a, err := money.ParseInput(d.Amount)
	if err != nil {
		return ui.PreparedPayment{}, &ui.Problem{What: ui.AmountSentence(err, ""), Err: err} // as wallet.Prepare words it
	}
	if !f.limits.PerPayment.IsZero() && a.Cmp(f.limits.PerPayment) > 0 {
		return ui.PreparedPayment{}, &ui.Problem{What: "This is above your per-payment limit of " + ui.FormatMoney(f.limits.PerPayment, "") + ".",
			Next: "Pay less, or raise the limit in Limits (l on Home)."}
	}
	var p ui.Payee
	for _, q := range f.payees {
		if q.ID == d.PayeeID {
			p = q
		}
	}
	if p.ID == "" {
		p = ui.Payee{ID: "payee-new", Name: d.NewPayee.Name, IBAN: d.NewPayee.IBAN, Type: d.NewPayee.Type}
	}
	codes, _ := f.PurposeCodes(ctx)
	var pc ui.PurposeCode
	for _, c := range codes {
		if c.Code == d.Purpose {
			pc = c
		}
	}
	f.nextPay++
	id := fmt.Sprintf("prep-%d", f.nextPay)
	hr := f.headroom()
	hr.Used.Day, _ = hr.Used.Day.Add(a)
	hr.Used.Month, _ = hr.Used.Month.Add(a)
	hr.Used.Consent, _ = hr.Used.Consent.Add(a)
	hr.Used.DayCount++
	pp := ui.PreparedPayment{ID: id, ConsentID: d.ConsentID, Payee: p, Amount: a, Reference: d.Reference, Purpose: pc, Headroom: hr}
	f.prepared[id] = pp
	return pp, nil
}

// stepGap spaces the fake pipeline's event timestamps deterministically.
const stepGap = 150 * time.Millisecond

func (f *FakeWallet) SubmitPayment(ctx context.Context, preparedID string, sca ui.SCAInput) (<-chan ui.PaymentEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("SubmitPayment")
	pp, ok := f.prepared[preparedID]
	if !ok {
		return nil, &ui.Problem{What: "This payment was already submitted or has expired.", Next: "Start a new payment."}
	}
	t0 := f.Now()
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * stepGap) }
	ch := make(chan ui.PaymentEvent, 32)
	if err := f.scaCheck(sca.PIN.Reveal(), sca.TOTP.Reveal()); err != nil {
		ch <- ui.PaymentEvent{Step: ui.StepSCA, State: ui.StepRunning, At: at(0)}
		ch <- ui.PaymentEvent{Step: ui.StepSCA, State: ui.StepFailed, At: at(1), Err: err, Final: true}
		close(ch)
		return ch, nil
	}
	delete(f.prepared, preparedID) // one SCA authorises exactly one intent
	n := f.nextPay
	outcome, hold := f.Outcome, f.Hold
	f.receipt = fmt.Sprintf("new%04d", n)
	receipt := &ui.Receipt{ID: f.receipt, PaymentID: fmt.Sprintf("PAY-NEW-%04d", n), InteractionID: fmt.Sprintf("00000000-0000-4000-8000-%012d", n),
		Amount: pp.Amount, Currency: pp.Currency, Payee: pp.Payee, At: at(9)}
	if f.isBG(pp.ConsentID) {
		go f.runBG(ctx, ch, pp, receipt, t0)
		return ch, nil
	}
	go func() {
		defer close(ch)
		i := 0
		emit := func(ev ui.PaymentEvent) bool {
			select {
			case ch <- ev:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for _, s := range []ui.PaymentStep{ui.StepSCA, ui.StepRisk, ui.StepSealPII, ui.StepSign, ui.StepPersist} {
			if !emit(ui.PaymentEvent{Step: s, State: ui.StepRunning, At: at(i)}) || !emit(ui.PaymentEvent{Step: s, State: ui.StepDone, At: at(i + 1)}) {
				return
			}
			i++
		}
		if hold != nil {
			emit(ui.PaymentEvent{Step: ui.StepSend, State: ui.StepRunning, At: at(i)})
			select {
			case <-hold:
			case <-ctx.Done():
				return
			}
		}
		switch outcome {
		case "wait":
			// The bank answers 429 Retry-After 59: the core shows the wait and sits it out until
			// the user stops it (the submission's context), then the payment stays queued.
			if !emit(ui.PaymentEvent{Step: ui.StepSend, State: ui.StepRunning, At: at(i), Note: "Bank asked to wait 59 s", Until: t0.Add(59 * time.Second)}) {
				return
			}
			<-ctx.Done()
			receipt.Status, receipt.PaymentID = ui.PaymentPrepared, ""
			receipt.Reason = "Not sent yet: the bank asked to wait. payterm sends it only while your approval lasts, then drops it."
			f.mu.Lock()
			f.details[receipt.ID] = ui.PaymentDetail{Row: ui.PaymentRow{ID: receipt.ID, At: receipt.At, PayeeName: receipt.Payee.Name,
				Amount: receipt.Amount, Status: ui.PaymentPrepared}, Reason: receipt.Reason}
			f.mu.Unlock()
			// The context is cancelled: the final event goes into the buffer directly.
			ch <- ui.PaymentEvent{Step: ui.StepSend, State: ui.StepFailed, At: at(i + 1), Final: true, Receipt: receipt,
				Err: &ui.Problem{What: "The payment was not sent: the bank asked payterm to wait. It is queued.", Next: "To stop it now, cancel it (X on the receipt)."}}
			return
		case "refuse":
			emit(ui.PaymentEvent{Step: ui.StepSend, State: ui.StepFailed, At: at(i + 1), Final: true,
				Err: &ui.Problem{What: "The bank refused the payment: the consent is not valid for this payee.", Next: "Check the payee, or renew the consent."}})
			return
		case "refused":
			receipt.Status, receipt.Reason, receipt.ReasonCode = ui.PaymentRefused,
				"The bank refused the payment request (Consent.Invalid). Nothing was paid.", "Consent.Invalid"
			emit(ui.PaymentEvent{Step: ui.StepSend, State: ui.StepFailed, At: at(i + 1), Final: true, Receipt: receipt,
				Err: &ui.Problem{What: "The bank refused the payment request (Consent.Invalid). Nothing was paid."}})
		case "reject":
			emit(ui.PaymentEvent{Step: ui.StepSend, State: ui.StepDone, At: at(i + 1)})
			emit(ui.PaymentEvent{Step: ui.StepBankPending, State: ui.StepDone, At: at(i + 2), Note: "Pending"})
			receipt.Status, receipt.Reason, receipt.ReasonCode = ui.PaymentRejected, "Insufficient funds in the payer account", "AANI.AM04"
			emit(ui.PaymentEvent{Step: ui.StepSettled, State: ui.StepFailed, At: at(i + 3), Note: "Rejected", Final: true, Receipt: receipt})
		case "pending":
			emit(ui.PaymentEvent{Step: ui.StepSend, State: ui.StepDone, At: at(i + 1)})
			receipt.Status = ui.PaymentPending
			f.mu.Lock()
			// Pending in the ledger until a test records the bank's answer (SetPaymentStatus).
			f.details[receipt.ID] = ui.PaymentDetail{Row: ui.PaymentRow{ID: receipt.ID, PaymentID: receipt.PaymentID, At: receipt.At,
				PayeeName: receipt.Payee.Name, Amount: receipt.Amount, Status: ui.PaymentPending}}
			f.mu.Unlock()
			emit(ui.PaymentEvent{Step: ui.StepBankPending, State: ui.StepDone, At: at(i + 2), Note: "Pending", Final: true, Receipt: receipt})
		default:
			emit(ui.PaymentEvent{Step: ui.StepSend, State: ui.StepDone, At: at(i + 1)})
			emit(ui.PaymentEvent{Step: ui.StepBankPending, State: ui.StepDone, At: at(i + 2), Note: "Pending"})
			receipt.Status = ui.PaymentAcceptedCreditSettlementCompleted
			emit(ui.PaymentEvent{Step: ui.StepSettled, State: ui.StepDone, At: at(i + 4), Note: "AcceptedCreditSettlementCompleted", Final: true, Receipt: receipt})
		}
	}()
	return ch, nil
}

// CheckPayee answers from PayeeChecks, as the core would (an accepted answer comes back accepted).
func (f *FakeWallet) CheckPayee(ctx context.Context, consentID string, p ui.PayeeDraft) (ui.PayeeCheck, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("CheckPayee")
	c, ok := f.PayeeChecks[p.Name]
	if !ok {
		return ui.PayeeCheck{Answer: ui.PayeeCheckNone}, nil
	}
	for _, a := range f.accepted {
		if a == p.Name || a == p.Name+" (no match confirmed)" {
			c.Accepted = true
		}
	}
	return c, nil
}

// AcceptPayee refuses what the core refuses (a no match without the confirmation, an unknown
// account) and records the rest.
func (f *FakeWallet) AcceptPayee(ctx context.Context, consentID string, p ui.PayeeDraft, noMatchConfirmed bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("AcceptPayee")
	c := f.PayeeChecks[p.Name]
	switch {
	case c.Answer == ui.PayeeCheckNotFound:
		return &ui.Problem{What: "The bank has no account with this IBAN, so it cannot be paid.", Next: "Check the IBAN with the payee."}
	case c.Answer == ui.PayeeCheckNoMatch && !noMatchConfirmed:
		return &ui.Problem{What: "The name does not match the account holder's.", Next: "Confirm explicitly, or change the payee."}
	case c.Answer == ui.PayeeCheckNoMatch:
		f.accepted = append(f.accepted, p.Name+" (no match confirmed)")
	default:
		f.accepted = append(f.accepted, p.Name)
	}
	return nil
}

// AcceptedPayees lists the payees the payer accepted on the bank's answer.
func (f *FakeWallet) AcceptedPayees() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.accepted...)
}
