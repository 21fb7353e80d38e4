// Package corewallet adapts the application core (wallet.Wallet and its ledger) to the
// interface the terminal UI declares (ui.Wallet). It lives beside ui, not in it, so the screens
// and their tests never depend on the core compiling, and the core never imports ui.
//
// The payment, history, limits and consent-dashboard methods are implemented here over
// wallet/. Onboarding (consent/ + sca/ enrolment), unlocking and recovery (sca/), renewal's bank
// step (consent/) and the protocol inspector (lfi/ observer) are composed by main.go, which
// passes them in Extras; a missing one makes New fail rather than a screen fail later.
package corewallet

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// Extras are the services main.go composes from consent/, sca/, keystore/ and lfi/.
type Extras struct {
	Onboarding ui.OnboardingService
	Inspector  ui.InspectorService
	// Unlock verifies the PIN after the idle lock.
	Unlock func(ctx context.Context, pin ui.Secret) error
	// Recover lifts an SCA block (sca.Authenticator.Recover).
	Recover func(ctx context.Context, recoveryCode, totp, newPIN ui.Secret) (ui.Secret, error)
	// Renew stages a renewal of a consent at the bank (wallet.RenewalParams + consent flow).
	Renew func(ctx context.Context, consentID string) (ui.BankStep, error)
	// SecretStore names the store in use ("OS keyring (Secret Service)", "encrypted file").
	SecretStore string
	// Sandbox is true on the embedded sandbox bank (the inspector may then show PII).
	Sandbox bool
}

// Adapter implements ui.Wallet.
type Adapter struct {
	ui.OnboardingService
	ui.InspectorService

	w        *wallet.Wallet
	led      *wallet.Ledger
	defaults wallet.Limits
	now      func() time.Time
	ex       Extras
}

var _ ui.Wallet = (*Adapter)(nil)

// New adapts w. defaults must be the limits given to wallet.Config (edits persisted in the
// ledger win); the ledger needs them to report headroom.
func New(w *wallet.Wallet, defaults wallet.Limits, clock func() time.Time, ex Extras) (*Adapter, error) {
	switch {
	case w == nil:
		return nil, errors.New("corewallet: no wallet")
	case ex.Onboarding == nil:
		return nil, errors.New("corewallet: no onboarding service")
	case ex.Inspector == nil:
		return nil, errors.New("corewallet: no inspector service")
	case ex.Unlock == nil || ex.Recover == nil || ex.Renew == nil:
		return nil, errors.New("corewallet: unlock, recover and renew are required")
	}
	if clock == nil {
		clock = time.Now
	}
	return &Adapter{OnboardingService: ex.Onboarding, InspectorService: ex.Inspector,
		w: w, led: w.Ledger(), defaults: defaults, now: clock, ex: ex}, nil
}

// uiErr maps the core's error types to the UI's: a refusal keeps its sentence, an SCA failure
// becomes *ui.SCAError (which never says which factor failed).
func uiErr(err error) error {
	if err == nil {
		return nil
	}
	var ae *sca.AuthError
	var pr *wallet.Problem
	var le *wallet.LimitError
	switch {
	case errors.As(err, &ae):
		return &ui.SCAError{AttemptsLeft: ae.Remaining, Locked: ae.Remaining == 0}
	case errors.Is(err, sca.ErrBlocked), errors.Is(err, sca.ErrTampered):
		return &ui.SCAError{Locked: true}
	case errors.Is(err, sca.ErrInvalidInput):
		return &ui.Problem{What: "The PIN must be 6 to 12 digits and the code 6 digits.", Next: "Type them again.", Err: err}
	case errors.As(err, &pr):
		return &ui.Problem{What: pr.What, Next: pr.Next, Err: err}
	case errors.As(err, &le):
		return &ui.Problem{What: le.Error() + ".", Next: "Pay less, or change the limit in Limits (l on Home).", Err: err}
	}
	return err
}

func uiLimits(l wallet.Limits) ui.Limits {
	return ui.Limits{PerPayment: l.PerPayment, PerDay: l.PerDay, PerMonth: l.PerMonth, PerDayCount: l.PerDayCount, ConsentTotal: l.ConsentTotal}
}

func uiHeadroom(h wallet.Headroom) ui.Headroom {
	return ui.Headroom{Limits: uiLimits(h.Limits), Used: ui.Usage{Day: h.Used.Day, DayCount: h.Used.DayCount, Month: h.Used.Month, Consent: h.Used.Consent}}
}

// activeConsent is the first consent that can pay now, or nil.
func (a *Adapter) activeConsent(cs []wallet.Consent) *wallet.Consent {
	now := a.now()
	for i := range cs {
		if wallet.Usable(cs[i], now) == nil {
			return &cs[i]
		}
	}
	return nil
}

func (a *Adapter) uiConsent(ctx context.Context, c wallet.Consent) (ui.Consent, error) {
	return toUIConsent(ctx, a.led, c)
}

// toUIConsent maps a ledger consent with its total paid; the debtor account is masked here.
func toUIConsent(ctx context.Context, led *wallet.Ledger, c wallet.Consent) (ui.Consent, error) {
	total, count, err := led.ConsentTotal(ctx, c.ID)
	if err != nil {
		return ui.Consent{}, fmt.Errorf("consent total: %w", err)
	}
	out := ui.Consent{ID: c.ID, BaseConsentID: c.BaseConsentID, Bank: c.Bank, Status: ui.ConsentStatus(c.Status),
		Paused: c.Paused, Created: c.Created, Expires: c.Expires, Model: ui.BeneficiaryModel(c.Model),
		PurposeCode: c.PurposeCode, TotalPaid: total, PaymentCount: count}
	if c.DebtorAccount != "" {
		out.DebtorMasked = maskIBAN(c.DebtorAccount)
	}
	for _, cr := range c.Creditors {
		out.Creditors = append(out.Creditors, ui.Payee{Name: cr.Name, IBAN: cr.IBAN, Type: payeeType(cr.Kind)})
	}
	return out, nil
}

func payeeType(kind string) ui.PayeeType {
	if kind == "corporate" {
		return ui.PayeeCorporate
	}
	return ui.PayeeRetail
}

// maskIBAN keeps the country, check digits and last four.
func maskIBAN(s string) string {
	if len(s) < 8 {
		return "••••"
	}
	return s[:4] + " •••• " + s[len(s)-4:]
}

// Overview implements ui.SessionService.
func (a *Adapter) Overview(ctx context.Context) (ui.Overview, error) {
	at, err := a.led.OnboardedAt(ctx)
	if err != nil {
		return ui.Overview{}, fmt.Errorf("overview: %w", err)
	}
	ov := ui.Overview{Onboarded: !at.IsZero(), SecretStore: a.ex.SecretStore, Sandbox: a.ex.Sandbox}
	cs, err := a.led.Consents(ctx)
	if err != nil {
		return ui.Overview{}, fmt.Errorf("overview: %w", err)
	}
	activeID := ""
	if c := a.activeConsent(cs); c != nil {
		uc, err := a.uiConsent(ctx, *c)
		if err != nil {
			return ui.Overview{}, fmt.Errorf("overview: %w", err)
		}
		ov.Active, activeID = &uc, c.ID
	}
	h, err := a.led.Headroom(ctx, activeID, a.defaults)
	if err != nil {
		return ui.Overview{}, fmt.Errorf("overview: %w", err)
	}
	ov.Headroom = uiHeadroom(h)
	page, err := a.led.History(ctx, wallet.HistoryQuery{Limit: 5})
	if err != nil {
		return ui.Overview{}, fmt.Errorf("overview: %w", err)
	}
	for _, r := range page.Rows {
		ov.Recent = append(ov.Recent, uiRow(r))
	}
	return ov, nil
}

// Unlock implements ui.SessionService.
func (a *Adapter) Unlock(ctx context.Context, pin ui.Secret) error {
	return uiErr(a.ex.Unlock(ctx, pin))
}

// Recover implements ui.SessionService.
func (a *Adapter) Recover(ctx context.Context, rc, code, pin ui.Secret) (ui.Secret, error) {
	next, err := a.ex.Recover(ctx, rc, code, pin)
	return next, uiErr(err)
}

// Consents implements ui.ConsentService.
func (a *Adapter) Consents(ctx context.Context) ([]ui.Consent, error) {
	cs, err := a.led.Consents(ctx)
	if err != nil {
		return nil, fmt.Errorf("list consents: %w", err)
	}
	out := make([]ui.Consent, 0, len(cs))
	for _, c := range cs {
		uc, err := a.uiConsent(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("list consents: %w", err)
		}
		out = append(out, uc)
	}
	return out, nil
}

func modelWords(m wallet.BeneficiaryModel, n int) string {
	switch ui.BeneficiaryModel(m) {
	case ui.BeneficiaryOpen:
		return "any payee, chosen when you pay"
	case ui.BeneficiaryOne:
		return "one named payee"
	}
	return fmt.Sprintf("%d named payees", n)
}

// ConsentDetail implements ui.ConsentService.
func (a *Adapter) ConsentDetail(ctx context.Context, id string) (ui.ConsentDetail, error) {
	c, err := a.led.Consent(ctx, id)
	if err != nil {
		return ui.ConsentDetail{}, uiErr(err)
	}
	uc, err := a.uiConsent(ctx, c)
	if err != nil {
		return ui.ConsentDetail{}, err
	}
	d := ui.ConsentDetail{Consent: uc, Rules: []ui.Rule{
		{Label: "Type", Value: "Flexi Pay (delegated SCA): you approve each payment in payterm"},
		{Label: "Who you can pay", Value: modelWords(c.Model, len(c.Creditors))},
		{Label: "Amounts and schedule", Value: "not fixed by the consent; payterm limits apply"},
		{Label: "Purpose", Value: c.PurposeCode},
	}}
	page, err := a.led.History(ctx, wallet.HistoryQuery{Filter: wallet.HistoryFilter{ConsentID: id}, Limit: 20})
	if err != nil {
		return ui.ConsentDetail{}, fmt.Errorf("consent payments: %w", err)
	}
	for _, r := range page.Rows {
		d.Payments = append(d.Payments, uiRow(r))
	}
	return d, nil
}

// PauseConsent implements ui.ConsentService (local only).
func (a *Adapter) PauseConsent(ctx context.Context, id string) error {
	return uiErr(a.w.PauseConsent(ctx, id))
}

// ReactivateConsent implements ui.ConsentService (local only).
func (a *Adapter) ReactivateConsent(ctx context.Context, id string) error {
	return uiErr(a.w.ReactivateConsent(ctx, id))
}

// RevokeConsent implements ui.ConsentService.
func (a *Adapter) RevokeConsent(ctx context.Context, id string) error {
	return uiErr(a.w.RevokeConsent(ctx, id))
}

// RenewConsent implements ui.ConsentService.
func (a *Adapter) RenewConsent(ctx context.Context, id string) (ui.BankStep, error) {
	st, err := a.ex.Renew(ctx, id)
	return st, uiErr(err)
}

// Limits implements ui.LimitService.
func (a *Adapter) Limits(ctx context.Context) (ui.Headroom, error) {
	cs, err := a.led.Consents(ctx)
	if err != nil {
		return ui.Headroom{}, fmt.Errorf("limits: %w", err)
	}
	id := ""
	if c := a.activeConsent(cs); c != nil {
		id = c.ID
	}
	h, err := a.led.Headroom(ctx, id, a.defaults)
	if err != nil {
		return ui.Headroom{}, fmt.Errorf("limits: %w", err)
	}
	return uiHeadroom(h), nil
}

// SetLimits implements ui.LimitService.
func (a *Adapter) SetLimits(ctx context.Context, l ui.Limits) error {
	return uiErr(a.led.SetLimits(ctx, wallet.Limits{PerPayment: l.PerPayment, PerDay: l.PerDay, PerMonth: l.PerMonth,
		PerDayCount: l.PerDayCount, ConsentTotal: l.ConsentTotal}))
}

// Payees implements ui.PaymentService.
func (a *Adapter) Payees(ctx context.Context, consentID string) ([]ui.Payee, error) {
	ps, err := a.led.Payees(ctx, consentID)
	if err != nil {
		return nil, fmt.Errorf("payees: %w", err)
	}
	out := make([]ui.Payee, 0, len(ps))
	for _, p := range ps {
		out = append(out, ui.Payee{ID: strconv.FormatInt(p.ID, 10), Name: p.Name, IBAN: p.IBAN, Type: payeeType(p.Kind)})
	}
	return out, nil
}

// PurposeCodes implements ui.PaymentService (the AANI list, sorted by code).
func (a *Adapter) PurposeCodes(ctx context.Context) ([]ui.PurposeCode, error) {
	m, err := consent.PurposeCodes()
	if err != nil {
		return nil, fmt.Errorf("purpose codes: %w", err)
	}
	out := make([]ui.PurposeCode, 0, len(m))
	for code, desc := range m {
		out = append(out, ui.PurposeCode{Code: code, Description: desc})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

func (a *Adapter) purpose(code string) ui.PurposeCode {
	m, err := consent.PurposeCodes()
	if err != nil {
		return ui.PurposeCode{Code: code}
	}
	return ui.PurposeCode{Code: code, Description: m[code]}
}

// PreparePayment implements ui.PaymentService.
func (a *Adapter) PreparePayment(ctx context.Context, d ui.PaymentDraft) (ui.PreparedPayment, error) {
	wd := wallet.Draft{ConsentID: d.ConsentID, Amount: d.Amount, Reference: d.Reference, Purpose: d.Purpose}
	if d.PayeeID != "" {
		id, err := strconv.ParseInt(d.PayeeID, 10, 64)
		if err != nil {
			return ui.PreparedPayment{}, &ui.Problem{What: "That payee is unknown.", Next: "Pick one from the list.", Err: err}
		}
		wd.PayeeID = id
	} else {
		wd.NewPayee = &wallet.PayeeInput{Name: d.NewPayee.Name, IBAN: d.NewPayee.IBAN, Kind: string(d.NewPayee.Type)}
	}
	p, err := a.w.Prepare(ctx, wd)
	if err != nil {
		return ui.PreparedPayment{}, uiErr(err)
	}
	// The review shows the headroom as if this payment were made.
	h := uiHeadroom(p.Headroom)
	h.Used.Day = addFloor(h.Used.Day, p.Amount)
	h.Used.Month = addFloor(h.Used.Month, p.Amount)
	h.Used.Consent = addFloor(h.Used.Consent, p.Amount)
	h.Used.DayCount++
	return ui.PreparedPayment{ID: p.ID, ConsentID: p.ConsentID, Amount: p.Amount, Reference: p.Reference,
		Payee:    ui.Payee{ID: strconv.FormatInt(p.Payee.ID, 10), Name: p.Payee.Name, IBAN: p.Payee.IBAN, Type: payeeType(p.Payee.Kind)},
		Purpose:  a.purpose(p.Purpose),
		Headroom: h}, nil
}

func addFloor(a, b money.Amount) money.Amount {
	s, err := a.Add(b)
	if err != nil {
		return money.Max
	}
	return s
}

// SubmitPayment implements ui.PaymentService: the core's progress callback becomes a channel.
// The core's own failure events are held back and exactly one final event is sent when Submit
// returns, so the UI sees one outcome (an SCA failure sends it back to the SCA form).
func (a *Adapter) SubmitPayment(ctx context.Context, preparedID string, in ui.SCAInput) (<-chan ui.PaymentEvent, error) {
	ch := make(chan ui.PaymentEvent, 64)
	send := func(ev ui.PaymentEvent) {
		select {
		case ch <- ev:
		case <-ctx.Done():
		}
	}
	go func() {
		defer close(ch)
		lastStep := ui.StepSCA
		p, err := a.w.Submit(ctx, preparedID, sca.PIN(in.PIN.Reveal()), sca.OTP(in.TOTP.Reveal()), func(e wallet.Event) {
			lastStep = ui.PaymentStep(e.Step)
			if e.State == wallet.StepFailed || (e.Step == wallet.StepSettled && e.State == wallet.StepDone) {
				return // reported once, below, with the receipt
			}
			send(ui.PaymentEvent{Step: ui.PaymentStep(e.Step), State: ui.StepState(e.State), At: e.At, Note: e.Note})
		})
		final := ui.PaymentEvent{Step: lastStep, State: ui.StepDone, At: a.now(), Final: true}
		if err != nil {
			final.State, final.Err = ui.StepFailed, uiErr(err)
		}
		if p.ID != 0 {
			r := a.receipt(context.WithoutCancel(ctx), p)
			final.Receipt = &r
			final.Note = string(p.Status)
			if p.Status.Outcome() == wallet.OutcomeFailed {
				final.State = ui.StepFailed
			}
		}
		send(final)
	}()
	return ch, nil
}

func (a *Adapter) receipt(ctx context.Context, p wallet.Payment) ui.Receipt {
	r := ui.Receipt{ID: strconv.FormatInt(p.ID, 10), PaymentID: p.BankPaymentID, Status: ui.PaymentStatus(p.Status), Reason: p.RejectMessage,
		ReasonCode: p.RejectCode, Amount: p.Amount, At: p.Updated,
		Payee: ui.Payee{ID: strconv.FormatInt(p.PayeeID, 10), Name: p.PayeeName, IBAN: p.PayeeIBAN}}
	if atts, err := a.led.Attempts(ctx, p.ID); err == nil {
		for _, at := range atts {
			if at.InteractionID != "" {
				r.InteractionID = at.InteractionID // the latest exchange about this payment
			}
		}
	}
	return r
}

// Payment implements ui.PaymentService.
func (a *Adapter) Payment(ctx context.Context, id string) (ui.PaymentDetail, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return ui.PaymentDetail{}, &ui.Problem{What: "That payment id is not valid.", Err: err}
	}
	p, err := a.led.Payment(ctx, n)
	if err != nil {
		return ui.PaymentDetail{}, fmt.Errorf("read payment: %w", err)
	}
	tl, err := a.led.Timeline(ctx, n)
	if err != nil {
		return ui.PaymentDetail{}, fmt.Errorf("read payment timeline: %w", err)
	}
	r := a.receipt(ctx, p)
	d := ui.PaymentDetail{Row: ui.PaymentRow{ID: id, PaymentID: p.BankPaymentID, At: p.Created, PayeeName: p.PayeeName,
		Amount: p.Amount, Status: ui.PaymentStatus(p.Status), Reference: p.Reference},
		InteractionID: r.InteractionID, ConsentID: p.ConsentID, Purpose: a.purpose(p.Purpose).Code + " " + a.purpose(p.Purpose).Description}
	if p.RejectMessage != "" || p.RejectCode != "" {
		d.Reason = p.RejectMessage
		if p.RejectCode != "" {
			d.Reason += " (" + p.RejectCode + ")"
		}
	}
	for _, c := range tl {
		d.Timeline = append(d.Timeline, ui.StatusChange{At: c.At, Status: ui.PaymentStatus(c.Status), Note: c.Note})
	}
	return d, nil
}

func uiRow(r wallet.PaymentRow) ui.PaymentRow {
	return ui.PaymentRow{ID: strconv.FormatInt(r.ID, 10), PaymentID: r.BankPaymentID, At: r.Created, PayeeName: r.PayeeName,
		Amount: r.Amount, Status: ui.PaymentStatus(r.Status), Reference: r.Reference}
}

// History implements ui.HistoryService over the ledger's keyset pages. The total is counted only
// for a fresh first page (a count scans the matching rows).
func (a *Adapter) History(ctx context.Context, q ui.HistoryQuery) (ui.HistoryPage, error) {
	wq := wallet.HistoryQuery{Limit: q.Limit, Filter: wallet.HistoryFilter{PayeeName: q.Filter.PayeeName,
		Outcome: wallet.Outcome(q.Filter.Outcome), From: q.Filter.From, To: q.Filter.To}}
	var err error
	if q.After != "" {
		if wq.After, err = strconv.ParseInt(q.After, 10, 64); err != nil {
			return ui.HistoryPage{}, fmt.Errorf("history: bad cursor: %w", err)
		}
	}
	if q.Before != "" {
		if wq.Before, err = strconv.ParseInt(q.Before, 10, 64); err != nil {
			return ui.HistoryPage{}, fmt.Errorf("history: bad cursor: %w", err)
		}
	}
	if q.Oldest {
		// Ledger ids start at 1, so "newer than 0" walks up from the oldest row; the ledger
		// rejects Before=0 as "no cursor", hence the smallest id below every row.
		wq.After, wq.Before = 0, -1
	}
	page, err := a.led.History(ctx, wq)
	if err != nil {
		return ui.HistoryPage{}, fmt.Errorf("history: %w", err)
	}
	out := ui.HistoryPage{More: page.More, Total: -1}
	for _, r := range page.Rows {
		out.Rows = append(out.Rows, uiRow(r))
	}
	if q.After == "" && q.Before == "" {
		if out.Total, err = a.led.CountPayments(ctx, wq.Filter); err != nil {
			return ui.HistoryPage{}, fmt.Errorf("history: %w", err)
		}
	}
	return out, nil
}
