package wallet

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/sca"
)

// Bundles: several payments at one bank (provider.Bundler) under ONE wallet SCA and ONE bank
// approval. Each payment of a bundle is an ordinary payment of the ledger — its own idempotency
// key, its exact signed bytes stored before they leave, its own status, history and limits —
// linked to the others by the bundle id in its SCA receipt. What differs is only the SCA (one
// device-key signature over a digest binding every payment's key, amount, currency, payee and
// message) and the approval (one at the bank for all of them).

// PreparedBundle is a checked bundle, ready for the SCA. Nothing has left the machine.
type PreparedBundle struct {
	ID        string
	ConsentID string
	Items     []*Prepared
	Total     money.Amount
	Currency  string
}

// PrepareBundle checks every draft as Prepare does (one consent for all, at a bank that
// approves bundles) and the limits for the bundle's total. A refusal names the payment it is
// about ("Payment 2 of the bundle: …"); nothing is kept then.
func (w *Wallet) PrepareBundle(ctx context.Context, drafts []Draft) (*PreparedBundle, error) {
	if len(drafts) < 2 {
		return nil, &Problem{What: "A bundle holds at least two payments.", Next: "Add another payment, or pay this one on its own."}
	}
	consentID := drafts[0].ConsentID
	c, err := w.cfg.Ledger.Consent(ctx, consentID)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, &Problem{What: "That link is unknown.", Next: "Pick a bank link from the list.", Err: err}
		}
		return nil, err
	}
	bank, err := w.bankOf(c)
	if err != nil {
		return nil, err
	}
	max := bank.Caps().Bundle
	if _, ok := bank.(provider.Bundler); !ok || max < 2 {
		return nil, &Problem{What: "This bank approves each payment on its own: it takes no bundles.", Next: "Pay them one by one."}
	}
	if _, ok := loginOf(bank); ok {
		return nil, &Problem{What: "This bank wants its own login before each payment: payterm makes no bundles there.", Next: "Pay them one by one."}
	}
	if len(drafts) > max {
		return nil, &Problem{What: fmt.Sprintf("This bank approves at most %d payments at once; the bundle has %d.", max, len(drafts)),
			Next: "Remove some, and pay them in another bundle."}
	}
	b := &PreparedBundle{ConsentID: consentID}
	drop := func() {
		w.mu.Lock()
		for _, p := range b.Items {
			delete(w.prepared, p.ID)
		}
		w.mu.Unlock()
	}
	for i, d := range drafts {
		if d.ConsentID != consentID {
			drop()
			return nil, &Problem{What: fmt.Sprintf("Payment %d of the bundle is from another account: a bundle is paid from one.", i+1), Next: "Pay it on its own."}
		}
		p, err := w.Prepare(ctx, d)
		if err != nil {
			drop()
			return nil, itemProblem(i+1, err)
		}
		b.Items = append(b.Items, p)
		if i == 0 {
			b.Total, b.Currency = p.Amount, p.Currency
			continue
		}
		if p.Currency != b.Currency {
			drop()
			return nil, &Problem{What: fmt.Sprintf("Payment %d of the bundle is in %s, the others in %s.", i+1, p.Currency, b.Currency), Next: "Pay it on its own."}
		}
		if b.Total, err = b.Total.Add(p.Amount); err != nil {
			drop()
			return nil, &Problem{What: "The bundle's total is too large.", Next: "Split it in two bundles.", Err: err}
		}
	}
	// Each payment fits on its own (Prepare checked it, per payment too); together they must
	// fit the day's count and the windows' amounts. ReservePayment checks each again, atomically.
	h, err := w.cfg.Ledger.Headroom(ctx, consentID, w.cfg.Limits)
	if err == nil {
		err = bundleFits(h, len(b.Items), b.Total)
	}
	if err != nil {
		drop()
		return nil, err
	}
	if b.ID, err = w.newUUID(); err != nil {
		drop()
		return nil, err
	}
	return b, nil
}

// bundleFits checks n payments of total together against what the limits leave (the per-payment
// limit is each payment's own, checked by Prepare).
func bundleFits(h Headroom, n int, total money.Amount) error {
	switch {
	case h.Count >= 0 && h.Count < n:
		return &LimitError{Limit: "per_day_count"}
	case total.Cmp(h.Day) > 0:
		return &LimitError{Limit: "per_day", Allowed: h.Day}
	case total.Cmp(h.Month) > 0:
		return &LimitError{Limit: "per_month", Allowed: h.Month}
	case total.Cmp(h.Consent) > 0:
		return &LimitError{Limit: "consent_total", Allowed: h.Consent}
	}
	return nil
}

// itemProblem is a refusal of one payment of a bundle, saying which.
func itemProblem(n int, err error) error {
	var pr *Problem
	if errors.As(err, &pr) {
		return &Problem{What: fmt.Sprintf("Payment %d of the bundle: %s", n, pr.What), Next: pr.Next, Err: err}
	}
	return fmt.Errorf("payment %d of the bundle: %w", n, err)
}

// BundleDigestOf is what the bundle's one SCA signs in place of one payment's idempotency key:
// a SHA-256 over the bundle id, the consent and, for every payment in order, its idempotency
// key, amount, currency, payee account and name and message (each length-prefixed, so no two
// bundles share an encoding). Changing any payment after the SCA changes the digest. It fits
// the SCA's 40-character key: "bundle-" and 192 bits in base64url.
func BundleDigestOf(bundleID, consentID string, items []*Prepared) string {
	h := sha256.New()
	put := func(s string) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	put("payterm bundle v1")
	put(bundleID)
	put(consentID)
	for _, p := range items {
		put(p.IdempotencyKey)
		put(p.Amount.String())
		put(p.Currency)
		put(p.Payee.IBAN)
		put(p.Payee.Name)
		put(p.Reference)
	}
	return "bundle-" + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:24])
}

// bundleIntent is what the wallet's SCA authenticates for a bundle: the total, the first payee
// and the digest of every payment as the key.
func bundleIntent(b *PreparedBundle, items []*Prepared) sca.Intent {
	return sca.Intent{ConsentID: b.ConsentID, Amount: b.Total.String(), Currency: b.Currency,
		CreditorIBAN: items[0].Payee.IBAN, CreditorName: fmt.Sprintf("Bundle of %d payments", len(items)),
		IdempotencyKey: BundleDigestOf(b.ID, b.ConsentID, items)}
}

// SubmitBundle runs the wallet's SCA once for the whole bundle and, if it passes, makes each
// payment in turn — built (the 2nd… joining the first's bundle at the bank), stored with its
// exact bytes and its own key (limits re-checked), sent, reconciled if its answer was lost —
// then asks the bank for ONE approval (Event.Action; the payer's answer comes back through
// ContinuePayment with any of the bundle's payment ids) and follows every payment to its end.
// It returns the payments recorded, in order, as far as they got. A payment that could not be
// built or made stops the bundle there: the ones made before it still await the approval
// (ResumeBundle), nothing after it has left.
func (w *Wallet) SubmitBundle(ctx context.Context, b *PreparedBundle, pin sca.PIN, code sca.OTP, progress func(Event)) ([]Payment, error) {
	emit := w.emitter(progress)
	if b == nil || len(b.Items) < 2 {
		return nil, &Problem{What: "There is no bundle to pay.", Next: "Prepare it again."}
	}
	items := make([]*Prepared, 0, len(b.Items))
	for _, want := range b.Items {
		p, ok := w.takePrepared(want.ID)
		if !ok || p != want {
			w.putBack(items)
			return nil, &Problem{What: "This bundle was already paid or has expired.", Next: "Prepare it again.", Err: ErrPreparedUnknown}
		}
		items = append(items, p)
	}
	c, err := w.cfg.Ledger.Consent(ctx, b.ConsentID)
	if err != nil {
		return nil, err
	}
	if err := Usable(c, w.cfg.Clock()); err != nil {
		return nil, err
	}
	bank, err := w.bankOf(c)
	if err != nil {
		return nil, err
	}
	bu, ok := bank.(provider.Bundler)
	if !ok || len(items) > bank.Caps().Bundle {
		return nil, &Problem{What: "This bank takes no bundle of this size.", Next: "Pay the payments one by one."}
	}

	intent := bundleIntent(b, items)
	emit(Event{Step: StepSCA, State: StepRunning})
	ev, err := w.cfg.SCA.Authenticate(intent, pin, code)
	if rerr := w.cfg.Ledger.RecordSCAAttempt(ctx, w.cfg.SessionID, err == nil); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		if errors.Is(err, sca.ErrAuthFailed) && !errors.Is(err, sca.ErrBlocked) {
			w.putBack(items) // the payer may try again with the same bundle
		}
		emit(Event{Step: StepSCA, State: StepFailed, Err: err})
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	emit(Event{Step: StepSCA, State: StepDone})
	// One SCA, one bundle: consumed before the first record exists.
	if err := ev.Consume(intent, w.cfg.Clock()); err != nil {
		emit(Event{Step: StepPersist, State: StepFailed, Err: err})
		return nil, err
	}
	counters, err := w.cfg.Ledger.RiskCounters(ctx, w.cfg.SessionID)
	if err != nil {
		emit(Event{Step: StepRisk, State: StepFailed, Err: err})
		return nil, err
	}

	var recs []*Payment
	defer func() {
		for _, r := range recs {
			w.release(r.ID)
		}
	}()
	out := func() []Payment {
		ps := make([]Payment, len(recs))
		for i, r := range recs {
			ps[i] = *r
		}
		return ps
	}
	var first *provider.State
	for i, p := range items {
		rec, err := w.makeBundled(ctx, bank, bu, c, b, p, i+1, ev, counters, first, emit)
		if rec != nil {
			recs = append(recs, rec)
		}
		if err != nil {
			return out(), itemProblem(i+1, err)
		}
		if first == nil && rec.Status == PaymentAwaitingBankSCA && !rec.Final {
			first = &provider.State{BankRef: rec.BankPaymentID, Blob: rec.ProviderState}
		}
	}
	err = w.finishBundle(ctx, bank, bu, recs, emit, true)
	return out(), err
}

// putBack returns prepared payments to the wallet (a wrong code lets the payer try again).
func (w *Wallet) putBack(items []*Prepared) {
	w.mu.Lock()
	for _, p := range items {
		w.prepared[p.ID] = p
	}
	w.mu.Unlock()
}

// makeBundled builds, stores and creates payment n of a bundle; the returned record (nil when
// none was stored) is claimed by this call.
func (w *Wallet) makeBundled(ctx context.Context, bank provider.Bank, bu provider.Bundler, c Consent, b *PreparedBundle, p *Prepared, n int,
	ev *sca.Evidence, counters RiskCounters, first *provider.State, emit func(Event)) (*Payment, error) {
	facts, err := w.factsOf(ctx, c, p, counters)
	if err != nil {
		return nil, err
	}
	req, err := bu.BuildBundled(provider.WithProgress(ctx, stepReporter(emit)), p.providerIntent(), evidenceOf(ev), facts, first)
	if err != nil {
		return nil, err
	}
	r := receiptOf(ev)
	r.Bundle, r.BundleItem, r.BundleDigest = b.ID, n, BundleDigestOf(b.ID, b.ConsentID, b.Items)
	receipt, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode SCA receipt: %w", err)
	}
	emit(Event{Step: StepPersist, State: StepRunning})
	rec, err := w.reserveClaimed(ctx, p, req, receipt)
	if err != nil {
		emit(Event{Step: StepPersist, State: StepFailed, Err: err})
		return nil, err
	}
	emit(Event{Step: StepPersist, State: StepDone, PaymentID: rec.ID, Status: rec.Status})
	return rec, w.createAtBank(ctx, bank, rec, emit)
}

// createAtBank sends a stored payment until the bank has it (or it ended): the exactly-once
// rules of deliver (same bytes, same key, reconcile an unknown outcome first), without waiting
// for the bank's approval, which the bundle asks for once.
func (w *Wallet) createAtBank(ctx context.Context, bank provider.Bank, p *Payment, emit func(Event)) error {
	sends := 0
	for {
		switch {
		case p.Final, p.Status == PaymentAwaitingBankSCA, p.BankPaymentID != "":
			if p.Final {
				w.emitFinal(p, emit)
			}
			return nil
		case p.Status == PaymentPrepared:
			if sends == maxSends {
				return fmt.Errorf("payment %d: the bank's answer is still unknown after %d sends; it will be reconciled again", p.ID, sends)
			}
			sent, err := w.send(ctx, bank, p, emit)
			if err != nil {
				return err
			}
			if sent {
				sends++
			}
		default: // Sending or Unknown
			if err := w.reconcile(ctx, bank, p, emit); err != nil {
				return err
			}
		}
	}
}

// finishBundle asks for the one approval of every payment still awaiting it, then follows each
// payment the bank has to its end. The caller holds the claims of recs.
func (w *Wallet) finishBundle(ctx context.Context, bank provider.Bank, bu provider.Bundler, recs []*Payment, emit func(Event), interactive bool) error {
	if err := w.approveBundle(ctx, bu, recs, emit, interactive); err != nil {
		return err
	}
	var errs []error
	for _, p := range recs {
		switch {
		case p.Final:
			w.emitFinal(p, emit)
		case p.BankPaymentID != "" && p.Status != PaymentAwaitingBankSCA:
			if err := w.track(ctx, bank, p, emit); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// approveBundle is approve for a bundle: one Action for all its payments awaiting the bank's
// approval, the payer's answer passed on once, every payment's new state recorded.
func (w *Wallet) approveBundle(ctx context.Context, bu provider.Bundler, recs []*Payment, emit func(Event), interactive bool) error {
	awaiting := func() []*Payment {
		var out []*Payment
		for _, p := range recs {
			if p.Status == PaymentAwaitingBankSCA && !p.Final {
				out = append(out, p)
			}
		}
		return out
	}
	if len(awaiting()) == 0 {
		return nil
	}
	inbox := make(chan provider.Input, 1)
	if interactive {
		w.mu.Lock()
		for _, p := range recs {
			w.answers[p.ID] = inbox // the answer may come with any payment of the bundle
		}
		w.mu.Unlock()
		defer func() {
			w.mu.Lock()
			for _, p := range recs {
				delete(w.answers, p.ID)
			}
			w.mu.Unlock()
		}()
	}
	deadline := w.cfg.Clock().Add(approvalFor)
	var in provider.Input
	for {
		waiting := awaiting()
		if len(waiting) == 0 {
			return nil
		}
		ps := make([]provider.Payment, len(waiting))
		for i, p := range waiting {
			ps[i] = asProvided(p, SCAReceipt{})
		}
		bctx := w.bankCtx(ctx, waiting[0], StepApprove, emit, deadline.Sub(w.cfg.Clock()))
		states, act, err := bu.ApproveBundle(bctx, ps, in)
		in = provider.Input{} // an answer is passed on once, then forgotten
		if len(states) != 0 && len(states) != len(waiting) {
			return fmt.Errorf("the bank's approval of the bundle answered for %d payments, not %d", len(states), len(waiting))
		}
		for i, st := range states {
			p := waiting[i]
			if err != nil || st.InteractionID != "" {
				w.recordAttempt(ctx, p.ID, "approve", st.InteractionID, err)
			}
			if st.Status == "" {
				continue
			}
			if st.BankRef == "" {
				st.BankRef = p.BankPaymentID
			}
			before := p.Status
			if aerr := w.accept(context.WithoutCancel(ctx), p, st, "bank approval of the bundle", func(Event) {}); aerr != nil {
				return aerr
			}
			if p.Status != before {
				state := StepDone
				if p.Status.Outcome() == OutcomeFailed {
					state = StepFailed
				}
				emit(Event{Step: StepApprove, State: state, PaymentID: p.ID, Status: p.Status, Note: statusWord(*p)})
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if act == nil || !interactive || !w.cfg.Clock().Before(deadline) {
				emit(Event{Step: StepApprove, State: StepFailed, PaymentID: waiting[0].ID, Status: waiting[0].Status, Err: err})
				return fmt.Errorf("the bank's approval of the bundle: %w", err)
			}
			// The bank still waits (a mistyped address): say why, ask again.
			emit(Event{Step: StepApprove, State: StepRunning, PaymentID: waiting[0].ID, Status: waiting[0].Status, Action: act,
				Note: "not taken: " + safetext.Line(err.Error())})
		} else if act != nil && interactive {
			emit(Event{Step: StepApprove, State: StepRunning, PaymentID: waiting[0].ID, Status: waiting[0].Status, Action: act})
		}
		if len(awaiting()) == 0 || !interactive {
			return nil
		}
		if !w.cfg.Clock().Before(deadline) {
			return nil // left to the bank's own timeout; ResumeBundle asks again
		}
		wait := defaultPoll
		if act != nil {
			wait = act.PollAfter
		}
		if err := w.awaitAnswer(ctx, inbox, wait, &in); err != nil {
			return err
		}
	}
}

// ResumeBundle asks the bank again for the one approval of a bundle's payments still awaiting
// it — the payer stopped watching, or the wallet restarted before the approval — and follows
// every payment to its end. Nothing is sent again: the bank has every payment. A payment OP
// already holds as approved (approved before a restart) is submitted with the payer's kept
// token, without the bank's page.
func (w *Wallet) ResumeBundle(ctx context.Context, bundleID string, progress func(Event)) ([]Payment, error) {
	emit := w.emitter(progress)
	ps, bank, bu, err := w.bundleAt(ctx, bundleID, "This bank takes no bundles any more.", "Approve each payment from History.")
	if err != nil {
		return nil, err
	}
	recs, release, err := w.claimBundle(ctx, ps, func(p Payment) bool { return !p.Final })
	defer release()
	if err != nil {
		return ps, err
	}
	err = w.finishBundle(ctx, bank, bu, recs, emit, true)
	return ps, err
}

// bundleAt reads a bundle's payments (oldest first) and its bank, which must take bundles (else
// a Problem saying what and next).
func (w *Wallet) bundleAt(ctx context.Context, bundleID, what, next string) ([]Payment, provider.Bank, provider.Bundler, error) {
	ps, err := w.cfg.Ledger.PaymentsOfBundle(ctx, bundleID)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(ps) == 0 {
		return nil, nil, nil, &Problem{What: "That bundle is not in the ledger.", Next: "Check History."}
	}
	bank, err := w.bankOfConsent(ctx, ps[0].ConsentID)
	if err != nil {
		return nil, nil, nil, err
	}
	bu, ok := bank.(provider.Bundler)
	if !ok {
		return nil, nil, nil, &Problem{What: what, Next: next}
	}
	return ps, bank, bu, nil
}

// claimBundle claims the payments of ps that want keeps (a delivery watching one is waited for
// briefly), each read afresh into ps, and returns them; release frees every claim, also after
// an error.
func (w *Wallet) claimBundle(ctx context.Context, ps []Payment, want func(Payment) bool) (claimed []*Payment, release func(), err error) {
	release = func() {
		for _, p := range claimed {
			w.release(p.ID)
		}
	}
	for i := range ps {
		if !want(ps[i]) {
			continue
		}
		if !w.claimWithin(ctx, ps[i].ID, cancelClaimWait) {
			return claimed, release, &Problem{What: "payterm is checking a payment of this bundle with the bank right now.", Next: "Wait a moment, then try again."}
		}
		fresh, err := w.cfg.Ledger.Payment(ctx, ps[i].ID)
		if err != nil {
			w.release(ps[i].ID)
			return claimed, release, err
		}
		ps[i] = fresh
		claimed = append(claimed, &ps[i])
	}
	return claimed, release, nil
}

// BundleRevokeWarning is what the screen says before it asks to revoke a bundle of n payments
// at the consent's bank (the bank's own words: revoking one revokes them all).
func (w *Wallet) BundleRevokeWarning(ctx context.Context, consentID string, n int) (string, error) {
	bank, err := w.bankOfConsent(ctx, consentID)
	if err != nil {
		return "", err
	}
	bu, ok := bank.(provider.Bundler)
	if !ok {
		return "", &Problem{What: "This bank takes no bundles.", Next: "Go back."}
	}
	return bu.RevokeWarning(n), nil
}

// RevokeBundle withdraws a bundle at its bank while its payments await the approval: every
// payment of it not yet submitted ends (Cancelled), and each new state is recorded. A delivery
// watching the bundle is waited for briefly; the caller stops watching first.
func (w *Wallet) RevokeBundle(ctx context.Context, bundleID string) ([]Payment, error) {
	ps, _, bu, err := w.bundleAt(ctx, bundleID, "This bank takes no bundles.", "Cancel each payment from History.")
	if err != nil {
		return nil, err
	}
	open, release, err := w.claimBundle(ctx, ps, func(p Payment) bool { return !p.Final && p.BankPaymentID != "" })
	defer release()
	if err != nil {
		return ps, err
	}
	if len(open) == 0 {
		return ps, &Problem{What: "Every payment of this bundle has ended: there is nothing to revoke.", Next: "Check History."}
	}
	provided := make([]provider.Payment, len(open))
	for i, p := range open {
		provided[i] = asProvided(p, SCAReceipt{})
	}
	states, err := bu.RevokeBundlePayments(ctx, provided)
	for i, st := range states {
		if i >= len(open) || st.Status == "" {
			continue
		}
		if st.BankRef == "" {
			st.BankRef = open[i].BankPaymentID
		}
		w.recordAttempt(ctx, open[i].ID, "revoke-bundle", st.InteractionID, nil)
		if aerr := w.accept(context.WithoutCancel(ctx), open[i], st, "bundle revoked by the user", func(Event) {}); aerr != nil {
			return ps, aerr
		}
	}
	if err != nil {
		return ps, fmt.Errorf("revoke the bundle at the bank: %w", err)
	}
	return ps, nil
}
