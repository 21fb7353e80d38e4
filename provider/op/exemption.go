package op

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/provider"
)

// OP's exemption conditions (seed 000, §1.7): all strict.
var (
	exemptMax   = mustEuro("30.00")
	exemptCumul = mustEuro("100.00")
)

const exemptCount = 5

func mustEuro(s string) money.Amount {
	a, err := ParseEuro(s)
	if err != nil {
		panic(err)
	}
	return a
}

// Prediction is the wallet's guess, from its own ledger, whether OP will waive its approval
// for a payment. Only OP decides: payments through other channels count too, so the
// prediction can be wrong, and Words says so.
type Prediction struct {
	Likely bool
	// OwnAccount: the payment is a transfer between the payer's own accounts (OP's second
	// category, without amount or count limits).
	OwnAccount bool
	// Count and Sum are the exemption payments since the last bank approval, this one
	// included.
	Count int
	Sum   money.Amount
	Words string
}

// PredictExemption predicts for amount (EUR) given the wallet's exemption payments at OP
// since the payer's last bank approval (lastSCA; zero when none) at now.
func PredictExemption(amount provider.Money, since []money.Amount, lastSCA, now time.Time) Prediction {
	if lastSCA.IsZero() || !now.Before(lastSCA.Add(RefreshLife)) {
		return Prediction{Words: "OP will ask you to approve: there is no bank approval from the last 45 days to re-use"}
	}
	if amount.Currency != "EUR" {
		return Prediction{Words: "OP will ask you to approve: only SEPA payments in euros can skip it"}
	}
	sum := amount.Amount
	for _, a := range since {
		s, err := sum.Add(a)
		if err != nil {
			return Prediction{Words: "OP will ask you to approve"}
		}
		sum = s
	}
	p := Prediction{Count: len(since) + 1, Sum: sum}
	switch {
	case amount.Amount.Cmp(exemptMax) >= 0:
		p.Words = fmt.Sprintf("OP will ask you to approve: %s EUR is not below 30.00 EUR", amount.Amount.Display())
	case len(since) >= exemptCount:
		p.Words = fmt.Sprintf("OP will ask you to approve: %d payments without approval since your last bank approval", len(since))
	case sum.Cmp(exemptCumul) >= 0:
		p.Words = fmt.Sprintf("OP will ask you to approve: %s of 100.00 EUR since your last bank approval", sum.Display())
	default:
		p.Likely = true
		p.Words = fmt.Sprintf("OP may not ask: %d of %d, %s of 100.00 EUR since your last bank approval (OP decides; payments made elsewhere count too)",
			p.Count, exemptCount, sum.Display())
	}
	return p
}

// ErrExemptionRefused: OP did not waive its approval (or no approval is held to re-use). The
// payment must go through the default flow: when the error comes with a State carrying a
// memo, the payment exists at OP (Approve it, the same payment); otherwise nothing was
// created (Send the same request).
var ErrExemptionRefused = errors.New("OP did not let this payment skip its approval")

// latestRefresh is the refresh token of the most recent SCA still within 45 days.
func (b *Bank) latestRefresh() (authID string, u *userToken) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.cfg.Clock()
	for id, t := range b.users {
		if t.refresh == "" || !now.Before(t.refreshExp) {
			continue
		}
		if u == nil || t.refreshExp.After(u.refreshExp) {
			authID, u = id, t
		}
	}
	return authID, u
}

// SendExempt runs OP's exemption flow for the stored payment p in one go: CreateExempt, then
// the exemption grant and the submission (tryExempt). No browser. Any refusal is
// ErrExemptionRefused (see there for the fallback); a lost answer is provider.ErrOutcomeUnknown
// as in Send. The wallet does not call it: its Send creates (CreateExempt) and its Approve asks
// for the exemption, so the payment's memo is in the ledger before OP can move it on.
func (b *Bank) SendExempt(ctx context.Context, p provider.Payment, lastLogged time.Time) (provider.State, error) {
	created, err := b.CreateExempt(ctx, p, lastLogged)
	if err != nil {
		return created, err
	}
	m, err := decodeMemo(created.Blob)
	if err != nil {
		return created, err
	}
	s, ok, err := b.tryExempt(ctx, m, created)
	if !ok {
		created.Blob = m.encode()
		return created, &callError{Msg: "OP did not waive its approval (exemption not allowed): approve the payment at OP", Err: err, Means: []error{ErrExemptionRefused}}
	}
	return s, err
}

// CreateExempt is the first half of the exemption flow: refresh the payer's token from the
// latest SCA still within 45 days and create the payment with it (no authorizationId, the same
// stored bytes and idempotency key, the detached JWS, x-fapi-customer-last-logged-time). The
// state it returns waits for approval (AwaitingBankSCA) with Exempt in its memo: Approve then
// asks OP to waive its approval, and shows OP's page only if OP refuses. A refusal here is
// ErrExemptionRefused with no State: nothing was created.
func (b *Bank) CreateExempt(ctx context.Context, p provider.Payment, lastLogged time.Time) (provider.State, error) {
	st, err := decodeStored(p.Request.Bytes)
	if err != nil {
		return provider.State{}, err
	}
	if st.Foreign {
		return provider.State{}, notSent("OP's exemption is for SEPA payments only: a foreign payment is approved on OP's page", nil, ErrExemptionRefused, provider.ErrNotProcessed)
	}
	_, held := b.latestRefresh()
	if held == nil {
		return provider.State{}, notSent("no bank approval from the last 45 days is held to re-use", nil, ErrExemptionRefused, provider.ErrNotProcessed)
	}
	t, err := b.tokenCall(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {held.refresh}, "scope": {"payments"}})
	if err != nil {
		return provider.State{}, &callError{Msg: "OP did not renew the payer's token", Err: err, Means: []error{ErrExemptionRefused, provider.ErrNotProcessed}}
	}
	if t.RefreshToken != "" {
		b.mu.Lock()
		held.refresh = t.RefreshToken
		b.mu.Unlock()
		_ = b.keepTokens() // OP may rotate it: the old one is worthless now
	}
	h := http.Header{}
	h.Set("x-fapi-customer-last-logged-time", lastLogged.UTC().Format("Mon, 02 Jan 2006 15:04:05 UTC"))
	if b.cfg.CustomerIP == "" || b.cfg.UserAgent == "" {
		// OP asks for them in the exemption flow; the wallet sends what it has.
		h.Set("x-customer-user-agent", "payterm")
	}
	pay, a, err := b.createWith(ctx, st, t.AccessToken, h)
	var refused *provider.Refused
	if errors.As(err, &refused) {
		return provider.State{}, &callError{Msg: "OP refused the payment in the exemption flow; nothing was created", Err: err, Means: []error{ErrExemptionRefused}}
	}
	if err != nil {
		return provider.State{}, err
	}
	created := b.created(pay, a.id, false)
	m, _ := decodeMemo(created.Blob)
	m.Exempt = true
	created.Blob = m.encode()
	return created, nil
}

// tryExempt asks OP to waive its approval of the exemption payment m (the exemption JWT traded
// with the jwt-bearer grant) and submits it. ok is false when OP refused and the payment still
// waits for approval: m is then marked ExemptRefused and the caller shows OP's page (the
// default flow, the same payment). A grant refused because the payment already moved on (the
// grant was answered before a restart, or its answer was lost) is read at OP: an Authorized
// payment is submitted with the token kept at the grant, a submitted one is read under its
// derived submissionId, so an exemption payment is never paid twice nor left unread.
func (b *Bank) tryExempt(ctx context.Context, m *memo, waiting provider.State) (provider.State, bool, error) {
	waived := func(s provider.State, err error) (provider.State, bool, error) {
		s.ApprovalWaived = true
		return s, true, err
	}
	var err error
	if m.State == "" {
		if m.State, err = b.newState(); err != nil {
			return waiting, true, err
		}
		if m.Nonce, err = b.uuid(); err != nil {
			return waiting, true, err
		}
	}
	waiting.Blob = m.encode()
	jwt, err := b.key.compactJWT(b.exemptionObject(m.AuthorizationID, m.State, m.Nonce))
	if err != nil {
		return waiting, true, err
	}
	grant, gerr := b.tokenCall(ctx, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {jwt},
		"response_type": {"token"}, "scope": {"payments"}})
	if gerr == nil {
		u := &userToken{access: grant.AccessToken, exp: b.cfg.Clock().Add(time.Duration(grant.ExpiresIn) * time.Second)}
		b.mu.Lock()
		b.users[m.AuthorizationID] = u
		b.mu.Unlock()
		_ = b.keepTokens() // before the submission: a restart submits with it
		return waived(b.submitOne(ctx, m, u))
	}
	// Refused, or its answer lost: OP's view of the payment decides.
	pay, a, err := b.getPayment(ctx, m.PaymentID, m.Foreign)
	if err != nil {
		return waiting, true, errors.Join(gerr, err)
	}
	switch pay.Status {
	case "Unauthorized":
		// OP refused: the payer approves this same payment on OP's page (new state and nonce).
		m.ExemptRefused, m.State, m.Nonce = true, "", ""
		return waiting, false, gerr
	case "Authorized":
		if u := b.liveUser(ctx, m.AuthorizationID); u != nil {
			return waived(b.submitOne(ctx, m, u))
		}
		return waiting, true, errors.New("OP waived its approval of this payment, but the token it gave for the submission was lost before payterm kept it: payterm cannot submit it; check it at OP before you pay again")
	case "Completed":
		// Submitted before a restart (or its answer lost): the submission under its derived id.
		m.SubmissionID = SubmissionID(m.PaymentID, 1)
		if m.SubmittedAt.IsZero() {
			m.SubmittedAt = b.cfg.Clock()
		}
		return waived(b.submissionState(ctx, m))
	}
	s := stateOf(authStatuses, pay.Status, pay.PaymentID)
	s.InteractionID, s.Blob = a.id, m.encode()
	return s, true, nil
}

var _ provider.ApprovalForecaster = (*Bank)(nil)

// ForecastApproval (provider.ApprovalForecaster) is PredictExemptionTo's words for a payment
// the wallet is about to make, when Send would try the exemption (TryExemption, a SEPA payment
// in EUR, a bank approval from the last 45 days held): the exemption payments OP waived since
// the latest approval whose tokens are held (RefreshExpiry - 45 days) are counted from the
// ledger's earlier payments (their memo says Exempt, and OP did not refuse them), and a
// transfer between two of Config.OwnAccounts is predicted as one. "" when the exemption is off
// or never tried for this payment (a foreign payment): OP asks as for every payment.
func (b *Bank) ForecastApproval(_ context.Context, in provider.Intent, earlier []provider.Earlier, now time.Time) string {
	amount := in.Amount
	if !b.cfg.TryExemption || amount.Currency != "EUR" || in.Product == ForeignProductID {
		return ""
	}
	_, held := b.latestRefresh()
	if held == nil {
		return PredictExemption(amount, nil, time.Time{}, now).Words
	}
	lastSCA := held.refreshExp.Add(-RefreshLife)
	var since []money.Amount
	for _, e := range earlier {
		if e.Amount.Currency != "EUR" || e.Created.Before(lastSCA) || !waivedStatus(e.Status) {
			continue
		}
		if m, err := decodeMemo(e.Blob); err == nil && m.Exempt && !m.ExemptRefused {
			since = append(since, e.Amount.Amount)
		}
	}
	payer := ""
	if in.Debtor != nil {
		payer = in.Debtor.Account
	}
	return PredictExemptionTo(amount, payer, in.Creditor.Account, b.cfg.OwnAccounts, since, lastSCA, now).Words
}

// waivedStatus: a payment in this status went on without OP's page (or is going on); one OP
// rejected or that was cancelled moved no money and counts for nothing.
func waivedStatus(s provider.Status) bool {
	switch s {
	case provider.StatusAuthorised, provider.StatusProcessing, provider.StatusExecuted, provider.StatusSettled:
		return true
	}
	return false
}
