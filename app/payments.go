package app

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

func (w uiWallet) PreparePayment(ctx context.Context, d ui.PaymentDraft) (ui.PreparedPayment, error) {
	a := w.a
	draft, err := walletDraft(d)
	if err != nil {
		return ui.PreparedPayment{}, err
	}
	p, err := a.wallet.Prepare(ctx, draft)
	if err != nil {
		return ui.PreparedPayment{}, uiError("Checking the payment", err)
	}
	used := p.Headroom.Used
	// The review screen shows the limits as if this payment were made.
	var addErr error
	add := func(x money.Amount) money.Amount {
		s, err := x.Add(p.Amount)
		addErr = errors.Join(addErr, err)
		return s
	}
	used.Day, used.Month, used.Consent = add(used.Day), add(used.Month), add(used.Consent)
	used.DayCount++
	if addErr != nil {
		return ui.PreparedPayment{}, uiError("Checking the payment", addErr)
	}
	out := ui.PreparedPayment{ID: p.ID, ConsentID: p.ConsentID, Payee: toUIPayee(p.Payee), Amount: p.Amount,
		Reference: p.Reference, Purpose: purposeOf(p.Purpose),
		Headroom: ui.Headroom{Limits: ui.Limits(p.Headroom.Limits), Used: uiUsage(used)}}
	if pb := p.PayeeBank; pb != nil {
		out.PayeeBank = ui.PayeeBank{BIC: pb.BIC, Address: append([]string(nil), pb.Address...), Country: pb.Country}
	}
	if c, err := a.ledger.Consent(ctx, p.ConsentID); err == nil {
		a.paying.prepared(p.ID, c.Bank, a.opts.Clock())
		if steps := a.stepsOf(c.Bank); steps != nil {
			// Another standard: its currency, product and progress rows (a UAE payment keeps
			// the zero values the screens have always drawn).
			out.Currency, out.Product, out.Steps = p.Currency, p.Product, steps
			out.BankApproval = safetext.Short(p.BankApproval, 240) // the provider's words, one line
			out.Headroom.Currency = p.Currency
			out.Purpose = ui.PurposeCode{}
			out.Payee.Type = ""
		}
	}
	return out, nil
}

// SubmitPayment runs wallet.Submit in the background and forwards its progress.
func (w uiWallet) SubmitPayment(ctx context.Context, preparedID string, in ui.SCAInput) (<-chan ui.PaymentEvent, error) {
	a := w.a
	if preparedID == "" {
		return nil, &ui.Problem{What: "There is no payment to submit.", Next: "Prepare it again."}
	}
	return a.stream(ctx, preparedID, seqSCA, "Making the payment", func(progress func(wallet.Event)) (wallet.Payment, error) {
		return a.wallet.Submit(ctx, preparedID, sca.PIN(in.PIN.Reveal()), sca.OTP(in.TOTP.Reveal()), progress)
	}), nil
}

var _ ui.PINPrestretcher = uiWallet{}

// PrestretchPIN (ui.PINPrestretcher): the pay screen's PIN, handed over when focus moves to
// the code field, starts the SCA's argon2id early; SubmitPayment still checks and counts it.
func (w uiWallet) PrestretchPIN(pin ui.Secret) {
	w.a.wallet.PrestretchPIN(sca.PIN(pin.Reveal()))
}

// ApproveAgain asks the bank again for its approval of a payment awaiting it (ui.ApprovalResumer):
// the pay screen's id for it is its ledger id, which ContinuePayment then takes.
func (w uiWallet) ApproveAgain(ctx context.Context, paymentID string) (ui.PreparedPayment, <-chan ui.PaymentEvent, error) {
	a := w.a
	id, ok := parseID(paymentID)
	if !ok {
		return ui.PreparedPayment{}, nil, &ui.Problem{What: "That payment is not in the ledger.", Next: "Go back and refresh."}
	}
	p, err := a.ledger.Payment(ctx, id)
	if err != nil {
		return ui.PreparedPayment{}, nil, uiError("Reading the payment", err)
	}
	c, err := a.ledger.Consent(ctx, p.ConsentID)
	if err != nil {
		return ui.PreparedPayment{}, nil, uiError("Reading the payment", err)
	}
	if p.Status != wallet.PaymentAwaitingBankSCA || p.Final {
		return ui.PreparedPayment{}, nil, &ui.Problem{What: "This payment is not awaiting your bank's approval.", Next: "Check its status in History."}
	}
	a.paying.prepared(paymentID, c.Bank, a.opts.Clock())
	a.paying.set(paymentID, id)
	pp := ui.PreparedPayment{ID: paymentID, ConsentID: p.ConsentID, Payee: ui.Payee{Name: p.PayeeName, IBAN: p.PayeeIBAN},
		Amount: p.Amount, Currency: p.Currency, Reference: p.Reference, Steps: a.stepsOf(c.Bank)}
	return pp, a.stream(ctx, paymentID, seqGet, "Approving the payment", func(progress func(wallet.Event)) (wallet.Payment, error) {
		return a.approveAgain(ctx, p, progress)
	}), nil
}

// stream runs a payment's delivery (run) in the background and forwards its progress as the
// pay screen's events, under key (the pay screen's id: its answers to the bank's questions
// come back with it). Events go out one behind, so the last one can be marked Final with the
// receipt once run has returned.
func (a *App) stream(ctx context.Context, key string, from int, doing string, run func(progress func(wallet.Event)) (wallet.Payment, error)) <-chan ui.PaymentEvent {
	steps := a.stepsOf(a.paying.bank(key))
	ch := make(chan ui.PaymentEvent, 64)
	flight := a.flight.startAt(from, a.paying.bank(key))
	go func() {
		defer close(ch)
		defer a.flight.end(flight)
		defer a.paying.forget(key)
		var held *ui.PaymentEvent
		send := func(ev ui.PaymentEvent) {
			// The screen cancels ctx to stop a wait and still reads what follows (the final
			// event with the receipt): into the buffer first, and block only while it is full.
			select {
			case ch <- ev:
				return
			default:
			}
			select {
			case ch <- ev:
			case <-ctx.Done():
			}
		}
		heldSent := false
		push := func(ev ui.PaymentEvent) {
			if held != nil && !heldSent {
				send(*held)
			}
			held, heldSent = &ev, false
			if !ev.Until.IsZero() || ev.Action != nil {
				// A question from the bank, or a wait it asked for, is shown while it stands,
				// not when the next event comes.
				send(ev)
				heldSent = true
			}
		}
		progress := func(e wallet.Event) {
			a.flight.move(flight, sequenceStepOf(e.Step))
			if e.PaymentID != 0 {
				a.paying.set(key, e.PaymentID)
			}
			ev := toUIEvent(e)
			ev.Step = rowOf(steps, e.Step, e.Status)
			push(ev)
			if row, ok := submittedRow(steps, e); ok {
				sub := ev
				sub.Step, sub.Note = row, ""
				push(sub)
			}
		}
		pay, err := run(progress)
		final := ui.PaymentEvent{Step: ui.StepSCA, State: ui.StepFailed, At: a.opts.Clock()}
		if held != nil {
			final = *held
		}
		final.Final = true
		final.Until = time.Time{} // any wait is over
		if err != nil && final.State != ui.StepFailed {
			final.State = ui.StepFailed
		}
		if err != nil {
			final.Err = uiError(doing, err)
		} else if final.Err != nil {
			final.Err = uiError(doing, final.Err)
		}
		if pay.ID != 0 {
			r := a.receipt(context.WithoutCancel(ctx), pay.ID)
			final.Receipt = &r
			if err == nil && !pay.Final && final.State != ui.StepFailed {
				final.Note = "the bank has not finished it yet; payterm keeps checking it while it runs and at every start"
			}
			if !pay.Final {
				a.keeper.poke() // the background loop resumes it, with back-off
			}
		}
		send(final)
	}()
	return ch
}

func toUIEvent(e wallet.Event) ui.PaymentEvent {
	ev := ui.PaymentEvent{Step: toUIStep(e.Step), State: ui.StepRunning, At: e.At, Note: e.Note, Err: e.Err, Until: e.Until,
		Action: toUIAction(e.Action)}
	switch e.State {
	case wallet.StepDone:
		ev.State = ui.StepDone
	case wallet.StepFailed:
		ev.State = ui.StepFailed
		ev.Err = uiError("Making the payment", e.Err)
	}
	return ev
}

// sequenceStepOf is the inspector's box for a pipeline step: the local SCA, then everything
// that builds and sends the request, then the status polls.
func sequenceStepOf(s wallet.Step) int {
	switch s {
	case wallet.StepSCA:
		return seqSCA
	case wallet.StepRisk, wallet.StepSealPII, wallet.StepSign, wallet.StepPersist, wallet.StepSend:
		return seqPost
	default:
		return seqGet
	}
}

func toUIStep(s wallet.Step) ui.PaymentStep {
	switch s {
	case wallet.StepSCA:
		return ui.StepSCA
	case wallet.StepRisk:
		return ui.StepRisk
	case wallet.StepSealPII:
		return ui.StepSealPII
	case wallet.StepSign:
		return ui.StepSign
	case wallet.StepPersist:
		return ui.StepPersist
	case wallet.StepSend:
		return ui.StepSend
	case wallet.StepBankPending:
		return ui.StepBankPending
	default:
		return ui.StepSettled
	}
}

// receipt reads a payment back from the ledger for the receipt screen.
func (a *App) receipt(ctx context.Context, id int64) ui.Receipt {
	p, err := a.ledger.Payment(ctx, id)
	if err != nil {
		return ui.Receipt{Status: ui.PaymentUnknown, Reason: "the payment could not be read back from the ledger"}
	}
	st, bank := uiStatuses(p.Status, p.BankStatus)
	r := ui.Receipt{ID: strconv.FormatInt(p.ID, 10), PaymentID: p.BankPaymentID, Status: st, BankStatus: bank, Amount: p.Amount, At: p.Updated,
		Currency: p.Currency, Payee: ui.Payee{ID: strconv.FormatInt(p.PayeeID, 10), Name: p.PayeeName, IBAN: p.PayeeIBAN}}
	r.InteractionID = a.paymentInteraction(ctx, id)
	r.ReasonCode = p.RejectCode
	r.Reason = reasonText(p)
	return r
}

// paymentInteraction is the x-fapi-interaction-id to quote to the bank about a payment: the
// POST /payments that created it (the send the bank answered 201), else the latest send (its
// answer was lost, or it was refused), else the latest exchange about it.
func (a *App) paymentInteraction(ctx context.Context, id int64) string {
	atts, err := a.ledger.Attempts(ctx, id)
	if err != nil {
		return ""
	}
	for i := len(atts) - 1; i >= 0; i-- {
		if atts[i].Kind == "send" && atts[i].Outcome == "ok" && atts[i].InteractionID != "" {
			return atts[i].InteractionID
		}
	}
	for i := len(atts) - 1; i >= 0; i-- {
		if atts[i].Kind == "send" && atts[i].InteractionID != "" {
			return atts[i].InteractionID
		}
	}
	return a.lastInteraction(ctx, id)
}

// lastInteraction is the x-fapi-interaction-id of the latest exchange about a payment.
func (a *App) lastInteraction(ctx context.Context, id int64) string {
	atts, err := a.ledger.Attempts(ctx, id)
	if err != nil {
		return ""
	}
	for i := len(atts) - 1; i >= 0; i-- {
		if atts[i].InteractionID != "" {
			return atts[i].InteractionID
		}
	}
	return ""
}

// reasonText words a payment's outcome for the receipt; failures in wallet's own words.
func reasonText(p wallet.Payment) string {
	switch p.Status {
	case wallet.PaymentRejected, wallet.PaymentRefused, wallet.PaymentAbandoned, wallet.PaymentCancelled:
		return wallet.FailureText(p)
	case wallet.PaymentPrepared:
		return wallet.QueuedText(p)
	case wallet.PaymentUnknown, wallet.PaymentSending:
		return "The bank's answer is not known yet; payterm checks with the bank before any retry."
	case wallet.PaymentAwaitingBankSCA:
		// Not "approve it now": after a restart the bank's questions asked in payterm are gone.
		return "Waiting for your bank's approval; the bank rejects the payment if it is not approved in time."
	case wallet.PaymentAuthorised:
		return "Approved at your bank; the bank has not executed it yet."
	case wallet.PaymentProcessing:
		return "The bank accepted the payment and is settling it."
	case wallet.PaymentExecuted:
		if p.BankStatus == "AcceptedWithoutPosting" {
			return "The bank accepted the payment; it is not yet posted."
		}
		return "Paid: the money left your account."
	case wallet.PaymentSettled:
		return "Paid: the payee's bank has credited the money."
	}
	return ""
}

// uiStatus is what the screens show for a status: the bank's own word once the bank has the
// payment (AcceptedCreditSettlementCompleted, ACSC), else the wallet's state.
func uiStatus(s wallet.PaymentStatus, bank string) ui.PaymentStatus {
	if bank != "" {
		return ui.PaymentStatus(bank)
	}
	return ui.PaymentStatus(s)
}

// uiStatuses is uiStatus for every standard: an ISO 20022 code from a Berlin Group bank
// ("ACSC"), a Fintecture session status ("payment_created") or an OP word no UAE payment has
// ("Submitted") is shown as the normalised status with the bank's word beside it
// ("Executed (ACSC)"); a UAE status keeps its own word.
func uiStatuses(s wallet.PaymentStatus, bank string) (ui.PaymentStatus, string) {
	if isISOStatus(bank) || isSnakeStatus(bank) || opOnlyStatus[bank] {
		return ui.PaymentStatus(s), bank
	}
	return uiStatus(s, bank), ""
}

// opOnlyStatus are OP's payment and submission words (provider/op) that no UAE payment status
// shares; OP's Pending and Rejected read the same either way.
var opOnlyStatus = map[string]bool{"Unauthorized": true, "Authorizing": true, "Authorized": true, "Completed": true,
	"Revoked": true, "PartiallyRevoked": true, "Accepted": true, "Error": true, "Submitted": true, "Credited": true}

// isSnakeStatus: a lower-case snake_case word (Fintecture's session statuses, psd2-providers.md
// §4.4); no UAE status is written so.
func isSnakeStatus(s string) bool {
	if s == "" || !strings.Contains(s, "_") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_') {
			return false
		}
	}
	return true
}

func isISOStatus(s string) bool {
	if len(s) != 4 {
		return false
	}
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

func (w uiWallet) Payment(ctx context.Context, paymentID string) (ui.PaymentDetail, error) {
	a := w.a
	id, ok := parseID(paymentID)
	if !ok {
		return ui.PaymentDetail{}, &ui.Problem{What: "That payment is not in the ledger.", Next: "Go back and refresh."}
	}
	p, err := a.ledger.Payment(ctx, id)
	if err != nil {
		return ui.PaymentDetail{}, uiError("Reading the payment", err)
	}
	tl, err := a.ledger.Timeline(ctx, id)
	if err != nil {
		return ui.PaymentDetail{}, uiError("Reading the payment", err)
	}
	pc := purposeOf(p.Purpose)
	st, bank := uiStatuses(p.Status, p.BankStatus)
	d := ui.PaymentDetail{
		Row: ui.PaymentRow{ID: paymentID, PaymentID: p.BankPaymentID, At: p.Created, PayeeName: p.PayeeName, Amount: p.Amount,
			Currency: p.Currency, Status: st, BankStatus: bank, Reference: p.Reference},
		InteractionID: a.paymentInteraction(ctx, id), ConsentID: p.ConsentID,
		Purpose: strings.TrimSpace(pc.Code + " " + pc.Description), Reason: reasonText(p),
	}
	// Its bank and that bank's standard: who approved it and how it was signed.
	c, err := a.ledger.Consent(ctx, p.ConsentID)
	if err != nil {
		return ui.PaymentDetail{}, uiError("Reading the payment's consent", err)
	}
	d.Row = a.withBank(d.Row, c.Bank)
	d.Terms = a.termsOf(c.Bank, c.Currency)
	if d.Bundle, err = a.bundleMembership(ctx, p); err != nil {
		return ui.PaymentDetail{}, uiError("Reading the payment's bundle", err)
	}
	for _, c := range tl {
		st, bank := uiStatuses(c.Status, c.BankStatus)
		d.Timeline = append(d.Timeline, ui.StatusChange{At: c.At, Status: st, BankStatus: bank, Note: c.Note})
	}
	return d, nil
}

// History pages the ledger. The ledger's ids are positive, so Before = -1 asks for the rows
// just after the very start: the oldest page. Counting matching rows is a scan, so Total is
// computed for the first and the last page only (-1 while scrolling), with the sums per currency.
func (w uiWallet) History(ctx context.Context, q ui.HistoryQuery) (ui.HistoryPage, error) {
	a := w.a
	wq := wallet.HistoryQuery{Filter: wallet.HistoryFilter{PayeeName: q.Filter.PayeeName, Outcome: wallet.Outcome(q.Filter.Outcome),
		From: q.Filter.From, To: q.Filter.To}, Limit: q.Limit}
	count := false
	switch {
	case q.Oldest:
		wq.Before, count = -1, true
	case q.After != "":
		id, ok := parseID(q.After)
		if !ok {
			return ui.HistoryPage{}, &ui.Problem{What: "The history position is not valid.", Next: "Press home to start from the newest payment."}
		}
		wq.After = id
	case q.Before != "":
		id, ok := parseID(q.Before)
		if !ok {
			return ui.HistoryPage{}, &ui.Problem{What: "The history position is not valid.", Next: "Press home to start from the newest payment."}
		}
		wq.Before = id
	default:
		count = true
	}
	page, err := a.ledger.History(ctx, wq)
	if err != nil {
		return ui.HistoryPage{}, uiError("Reading the history", err)
	}
	out := ui.HistoryPage{More: page.More, Total: -1}
	banks, err := a.consentBankIDs(ctx)
	if err != nil {
		return ui.HistoryPage{}, uiError("Reading the history", err)
	}
	for _, r := range page.Rows {
		out.Rows = append(out.Rows, a.withBank(toUIRow(r), banks[r.ConsentID]))
	}
	if count {
		totals, err := a.ledger.HistoryTotals(ctx, wq.Filter)
		if err != nil {
			return ui.HistoryPage{}, uiError("Counting the history", err)
		}
		out.Total = 0
		for _, t := range totals {
			out.Total += t.Count
			out.Totals = append(out.Totals, ui.CurrencyTotal{Currency: t.Currency, Count: t.Count, Sum: t.Sum, Paid: t.Paid})
		}
	}
	return out, nil
}

func (w uiWallet) CancelPayment(ctx context.Context, paymentID string) (ui.PaymentDetail, error) {
	id, ok := parseID(paymentID)
	if !ok {
		return ui.PaymentDetail{}, &ui.Problem{What: "That payment is not in the ledger.", Next: "Go back and refresh."}
	}
	if _, err := w.a.wallet.CancelPayment(ctx, id); err != nil {
		return ui.PaymentDetail{}, uiError("Cancelling the payment", err)
	}
	return w.Payment(ctx, paymentID)
}
