package op

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/payterm/payterm/internal/iban"
	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/provider"
)

var (
	_ provider.Bank     = (*Bank)(nil)
	_ provider.Approver = (*Bank)(nil)
)

// Steps of an OP payment, as the progress screen shows them.
const (
	StepWallet    = "Wallet check"
	StepSigned    = "Signed (detached JWS)"
	StepSaved     = "Saved"
	StepCreated   = "Created at OP"
	StepApprove   = "Approve at OP"
	StepSubmitted = "Submitted"
	StepExecuted  = "Debited"
)

// ProductID is the one product: a SEPA credit transfer in euros.
const ProductID = "sepa-payments"

// Caps describes the application as a bank.
func (b *Bank) Caps() provider.Caps {
	return provider.Caps{
		Kind: provider.OP, BankName: b.cfg.Name,
		WalletSCA: provider.WalletSCAProtectsTheWallet, BankSCA: provider.BankSCAPerPayment,
		Grant: provider.GrantLink, Dedup: provider.DedupKeyAndLookup,
		Products: []provider.Product{{ID: ProductID, Label: "SEPA transfer (OP)", Currencies: []string{"EUR"},
			Creditor: provider.SchemeIBAN, Debtor: provider.SchemeIBAN},
			{ID: ForeignProductID, Label: "Foreign payment (OP)", Currencies: append([]string(nil), ForeignCurrencies...),
				Creditor: provider.SchemeIBAN, Debtor: provider.SchemeIBAN, PayeeBank: true}},
		Fields:  provider.Fields{ReferenceMax: 140, ReferenceName: "Message to the payee"},
		Signing: "detached JWS (" + string(b.key.alg) + ") over the body in x-jws-signature, x-idempotency-key, mTLS; answers' x-jws-signature verified",
		Scheme:  "detached JWS " + string(b.key.alg) + " (x-jws-signature)",
		Steps:   []string{StepWallet, StepSigned, StepSaved, StepCreated, StepApprove, StepSubmitted, StepExecuted},
		Bundle:  MaxBundle,
	}
}

// stored is the core's copy of a payment request (provider.Request.Bytes): the exact body
// and its detached signature, under the idempotency key.
type stored struct {
	V      int    `json:"v"`
	Key    string `json:"key"`
	Body   []byte `json:"body"`
	JWS    string `json:"jws"`
	Amount string `json:"amount"`
	// Bundled: a payment of a bundle (BuildBundled); it is approved with the bundle, never
	// sent through the exemption flow.
	Bundled bool `json:"bundled,omitempty"`
	// Foreign: a foreign payment (POST /foreign-payments), Currency its currency.
	Foreign  bool   `json:"foreign,omitempty"`
	Currency string `json:"currency,omitempty"`
}

const storedVersion = 1

func decodeStored(b []byte) (*stored, error) {
	var s stored
	if err := json.Unmarshal(b, &s); err != nil || s.V != storedVersion || !printableID(s.Key, maxIDLen) || len(s.Body) == 0 || s.JWS == "" {
		return nil, notSent("the stored payment request is unreadable", nil, provider.ErrNotProcessed)
	}
	return &s, nil
}

// memo is the provider's memory of a created payment (provider.State.Blob). No secret: the
// payer's tokens stay in memory.
type memo struct {
	V               int       `json:"v"`
	PaymentID       string    `json:"payment_id"`
	AuthorizationID string    `json:"authorization_id"`
	State           string    `json:"state,omitempty"`
	Nonce           string    `json:"nonce,omitempty"`
	SubmissionID    string    `json:"submission_id,omitempty"`
	SubmittedAt     time.Time `json:"submitted_at,omitzero"`
	// Exempt: created in the exemption flow (the payer's refreshed token).
	Exempt bool `json:"exempt,omitempty"`
	// ExemptRefused: OP did not waive its approval; the default flow (OP's page) approves it.
	ExemptRefused bool `json:"exempt_refused,omitempty"`
	// Foreign: a foreign payment (its calls go under /foreign-payments).
	Foreign bool `json:"foreign,omitempty"`
}

var errMemo = errors.New("payterm's record of this OP payment is unreadable")

func (m *memo) encode() []byte {
	b, _ := json.Marshal(m)
	return b
}

func decodeMemo(b []byte) (*memo, error) {
	var m memo
	if err := json.Unmarshal(b, &m); err != nil || m.V != storedVersion || !printableID(m.PaymentID, maxIDLen) || !printableID(m.AuthorizationID, maxIDLen) ||
		(m.State != "" && !printableID(m.State, maxIDLen)) || (m.SubmissionID != "" && !printableID(m.SubmissionID, maxIDLen)) {
		return nil, errMemo
	}
	return &m, nil
}

// paymentBody checks the intent and makes the SepaPaymentRequest. Refusals name no account
// or name.
func (b *Bank) paymentBody(in provider.Intent, authID string) (SepaPaymentRequest, error) {
	if in.Product != "" && in.Product != ProductID {
		return SepaPaymentRequest{}, fmt.Errorf("OP's SEPA payment is %q, not %q", ProductID, safetext.Short(in.Product, 64))
	}
	if in.Amount.Currency != "EUR" {
		return SepaPaymentRequest{}, fmt.Errorf("OP's SEPA payments are in EUR, not %q: change the currency", safetext.Short(in.Amount.Currency, 8))
	}
	if !in.Amount.Amount.IsPositive() {
		return SepaPaymentRequest{}, errors.New("the amount must be at least 0.01: type the amount to pay")
	}
	if in.Purpose != "" {
		return SepaPaymentRequest{}, errors.New("OP takes no purpose code: leave the purpose empty")
	}
	if in.Creditor.Scheme != "" && in.Creditor.Scheme != provider.SchemeIBAN {
		return SepaPaymentRequest{}, errors.New("OP pays to an IBAN: type the payee's IBAN")
	}
	payee, err := iban.Parse(in.Creditor.Account)
	if err != nil {
		return SepaPaymentRequest{}, fmt.Errorf("the payee's IBAN: %w", err)
	}
	if n := utf8.RuneCountInString(in.Creditor.Name); n == 0 || n > 70 || !safetext.Clean(in.Creditor.Name) {
		return SepaPaymentRequest{}, fmt.Errorf("the payee's name must be 1 to 70 characters without control characters (it has %d)", n)
	}
	if n := utf8.RuneCountInString(in.Reference); n > 140 || !safetext.Clean(in.Reference) {
		return SepaPaymentRequest{}, fmt.Errorf("the message to the payee must be at most 140 characters without control characters (it has %d)", n)
	}
	if !printableID(in.IdempotencyKey, maxIDLen) {
		return SepaPaymentRequest{}, errors.New("the payment has no usable idempotency key")
	}
	req := SepaPaymentRequest{AmountEUR: in.Amount.Amount.Wire(), Payee: Payee{IBAN: string(payee), Name: in.Creditor.Name},
		Message: in.Reference, AuthorizationID: authID}
	if in.Debtor != nil && in.Debtor.Account != "" {
		payer, err := iban.Parse(in.Debtor.Account)
		if err != nil {
			return SepaPaymentRequest{}, fmt.Errorf("your IBAN: %w", err)
		}
		req.Payer = &Payer{IBAN: string(payer)}
	}
	return req, nil
}

// sign serialises body once and signs exactly those bytes.
func (b *Bank) sign(key string, body SepaPaymentRequest) (provider.Request, error) {
	return b.signBody(key, body, stored{Amount: body.AmountEUR})
}

// signForeign is sign for a foreign payment.
func (b *Bank) signForeign(key string, body ForeignPaymentRequest) (provider.Request, error) {
	return b.signBody(key, body, stored{Amount: body.Amount, Foreign: true, Currency: body.Currency})
}

func (b *Bank) signBody(key string, body any, st stored) (provider.Request, error) {
	raw, err := encodeJSON(body)
	if err != nil {
		return provider.Request{}, fmt.Errorf("serialise the payment: %w", err)
	}
	jws, err := b.key.detached(raw)
	if err != nil {
		return provider.Request{}, err
	}
	st.V, st.Key, st.Body, st.JWS = storedVersion, key, raw, jws
	out, err := json.Marshal(st)
	if err != nil {
		return provider.Request{}, err
	}
	return provider.Request{Bytes: out, Key: key, SendBy: b.cfg.Clock().Add(storedLife)}, nil
}

// Build checks the intent and signs the payment request. Nothing leaves the machine.
func (b *Bank) Build(ctx context.Context, in provider.Intent, _ provider.Evidence, _ provider.Facts) (provider.Request, error) {
	var sign func() (provider.Request, error)
	if in.Product == ForeignProductID {
		body, err := b.foreignBody(in)
		if err != nil {
			return provider.Request{}, err
		}
		sign = func() (provider.Request, error) { return b.signForeign(in.IdempotencyKey, body) }
	} else {
		body, err := b.paymentBody(in, "")
		if err != nil {
			return provider.Request{}, err
		}
		sign = func() (provider.Request, error) { return b.sign(in.IdempotencyKey, body) }
	}
	provider.ReportStep(ctx, StepSigned, provider.StepRunning, nil)
	out, err := sign()
	if err != nil {
		provider.ReportStep(ctx, StepSigned, provider.StepFailed, err)
		return provider.Request{}, err
	}
	provider.ReportStep(ctx, StepSigned, provider.StepDone, nil)
	return out, nil
}

// Ready gets the client-credentials token. Nothing else leaves.
func (b *Bank) Ready(ctx context.Context, _ provider.Payment) error {
	_, err := b.clientToken(ctx)
	return err
}

// Send creates the payment from the stored bytes exactly.
func (b *Bank) Send(ctx context.Context, p provider.Payment) (provider.State, error) {
	st, err := decodeStored(p.Request.Bytes)
	if err != nil {
		return provider.State{}, err
	}
	// The exemption flow is SEPA only: a foreign payment always goes through OP's page.
	if b.cfg.TryExemption && !st.Bundled && !st.Foreign && p.Amount.Currency == "EUR" && (p.Amount.Amount.Cmp(exemptMax) < 0 || b.ownTransferStored(st)) {
		if _, held := b.latestRefresh(); held != nil {
			// Created with the payer's token; Approve asks OP to waive its approval, once the
			// core has stored this payment's memo.
			s, err := b.CreateExempt(ctx, p, b.cfg.Clock())
			if !errors.Is(err, ErrExemptionRefused) {
				return s, err
			}
			// Refused before anything was created: the default flow creates it.
		}
	}
	pay, a, err := b.createPayment(ctx, st)
	if err != nil {
		return provider.State{}, err
	}
	return b.created(pay, a.id, st.Foreign), nil
}

func (b *Bank) created(pay Payment, interactionID string, foreign bool) provider.State {
	m := &memo{V: storedVersion, PaymentID: pay.PaymentID, AuthorizationID: pay.AuthorizationID, Foreign: foreign}
	s := stateOf(authStatuses, pay.Status, pay.PaymentID)
	s.InteractionID, s.Blob = interactionID, m.encode()
	return s
}

// Lookup finds the payment p.Request created. With its memo (the create answered, a later
// answer of the flow was lost: the submission of an exemption payment) the payment is read by
// its id and its submission under the derived submissionId, never created again. Without one
// the stored request is sent again under the same x-idempotency-key: OP creates a payment once
// per key, so this returns the payment the first send created (while it is still
// Unauthorized) or creates the one that never arrived. A key whose payment moved on answers
// DuplicatePayment: nothing is created, and the payer checks at OP.
func (b *Bank) Lookup(ctx context.Context, p provider.Payment) (provider.State, error) {
	if m, err := decodeMemo(p.State.Blob); err == nil {
		return b.resolve(ctx, m)
	}
	return b.Send(ctx, p)
}

// resolve reads a payment whose memo is known: a submitted one (Completed) under its derived
// submissionId; an Authorized one whose submission may have been sent is submitted again under
// that same id with the payer's token (OP answers with the first submission, or makes the one
// that never arrived); any other as OP holds it.
func (b *Bank) resolve(ctx context.Context, m *memo) (provider.State, error) {
	pay, a, err := b.getPayment(ctx, m.PaymentID, m.Foreign)
	if err != nil {
		return provider.State{}, err
	}
	switch {
	case pay.Status == "Completed":
		if m.SubmissionID == "" {
			m.SubmissionID, m.SubmittedAt = SubmissionID(m.PaymentID, 1), b.cfg.Clock()
		}
		return b.submissionState(ctx, m)
	case pay.Status == "Authorized" && (m.SubmissionID != "" || m.Exempt):
		if u := b.liveUser(ctx, m.AuthorizationID); u != nil {
			return b.submitOne(ctx, m, u)
		}
	}
	s := stateOf(authStatuses, pay.Status, pay.PaymentID)
	s.InteractionID, s.Blob = a.id, m.encode()
	return s, nil
}

// Status reads where the payment is: its submission once submitted (re-submitting a Pending
// one under the same submissionId until midnight in Helsinki), else the payment itself.
func (b *Bank) Status(ctx context.Context, p provider.Payment) (provider.State, error) {
	m, err := decodeMemo(p.State.Blob)
	if err != nil {
		return provider.State{}, err
	}
	if m.SubmissionID != "" {
		return b.submissionState(ctx, m)
	}
	pay, a, err := b.getPayment(ctx, m.PaymentID, m.Foreign)
	if err != nil {
		return provider.State{}, err
	}
	s := stateOf(authStatuses, pay.Status, pay.PaymentID)
	s.InteractionID, s.Blob = a.id, m.encode()
	return s, nil
}

func (b *Bank) submissionState(ctx context.Context, m *memo) (provider.State, error) {
	sub, a, err := b.getSubmission(ctx, m)
	if err != nil {
		return provider.State{}, err
	}
	if sub.Status == "Pending" && b.cfg.Clock().Before(PendingDeadline(m.SubmittedAt)) {
		if u := b.liveUser(ctx, m.AuthorizationID); u != nil {
			if again, a2, err := b.submitAs(ctx, u, m); err == nil {
				sub, a = again, a2
			}
		}
	}
	s := stateOf(submissionStatuses, sub.Status, m.PaymentID)
	if sub.Status == "Pending" && !b.cfg.Clock().Before(PendingDeadline(m.SubmittedAt)) {
		s.RejectMessage = "OP held the payment past midnight in Helsinki: it will not be submitted again under this submission; check your account at OP"
	}
	s.InteractionID, s.Blob = a.id, m.encode()
	return s, nil
}

func (b *Bank) user(authID string) *userToken {
	b.mu.Lock()
	defer b.mu.Unlock()
	u := b.users[authID]
	if u == nil || !b.cfg.Clock().Before(u.exp) {
		return nil
	}
	cp := *u // a copy: a concurrent renewal rewrites the held one
	return &cp
}

// liveUser is the payer's token for authID, renewed with its refresh token (within 45 days of
// the SCA) when it has run out; nil when none can be had.
func (b *Bank) liveUser(ctx context.Context, authID string) *userToken {
	if u := b.user(authID); u != nil {
		return u
	}
	return b.renewUser(ctx, authID)
}

// submitAs submits under the payer's token u; a token OP no longer takes (401: one kept across a
// restart of the wallet, or of OP's side) is renewed once with the refresh token and the same
// submissionId sent again, which OP never makes into a second payment.
func (b *Bank) submitAs(ctx context.Context, u *userToken, m *memo) (Submission, answer, error) {
	sub, a, err := b.submit(ctx, u.access, m, b.cfg.SandboxScenario)
	if err != nil && a.status == http.StatusUnauthorized {
		if fresh := b.renewUser(ctx, m.AuthorizationID); fresh != nil {
			sub, a, err = b.submit(ctx, fresh.access, m, b.cfg.SandboxScenario)
		}
	}
	return sub, a, err
}

// CheckCallback refuses an address that cannot be OP's answer (provider.CallbackChecker): not
// the registered redirect_uri, or unreadable. Its state is checked where it is used.
func (b *Bank) CheckCallback(raw string) error {
	_, err := ParseCallback(raw, b.cfg.RedirectURI)
	return err
}

// Approve drives OP's approval of one payment (a bundle of one): the authorize page as a
// redirect Action (NeedsCallback: OP sends code and state to the redirect_uri), then, from
// the address the browser landed on, the code exchange, the ID-token checks, the submission
// and its status.
func (b *Bank) Approve(ctx context.Context, p provider.Payment, in provider.Input) (provider.State, *provider.Action, error) {
	m, err := decodeMemo(p.State.Blob)
	if err != nil {
		return provider.State{}, nil, err
	}
	waiting := p.State
	waiting.Blob = m.encode()
	if p.State.Final {
		return waiting, nil, nil
	}
	if in.Password != "" || in.MethodID != "" || in.OTP != "" {
		return waiting, nil, errors.New("OP asks nothing in the wallet: approve on OP's page, then paste the address it sends you back to")
	}
	if m.SubmissionID != "" {
		s, err := b.submissionState(ctx, m)
		return s, nil, err
	}
	if m.Exempt && !m.ExemptRefused && in.CallbackURL == "" {
		s, ok, err := b.tryExempt(ctx, m, waiting)
		if ok {
			return s, nil, err
		}
		// OP refused: its page, as for any payment.
	}
	if m.State == "" {
		if m.State, err = b.newState(); err != nil {
			return waiting, nil, err
		}
		if m.Nonce, err = b.uuid(); err != nil {
			return waiting, nil, err
		}
		waiting.Blob = m.encode()
	}
	act, err := b.action(m)
	if err != nil {
		return waiting, nil, err
	}
	if in.CallbackURL == "" {
		return b.approvePoll(ctx, m, waiting, act)
	}
	cb, err := ParseCallback(in.CallbackURL, b.cfg.RedirectURI)
	if err != nil {
		return waiting, act, err
	}
	if cb.State != m.State {
		return waiting, act, errors.New("that address belongs to another approval, not this payment's: paste the address of this payment's page")
	}
	if cb.Error != "" {
		s, err := b.Status(ctx, provider.Payment{State: waiting})
		if err != nil {
			return waiting, act, err
		}
		if s.Final {
			return s, nil, nil
		}
		return s, act, fmt.Errorf("OP's page ended with %q: approve again", cb.Error)
	}
	u, err := b.exchange(ctx, cb.Code, m.AuthorizationID, m.Nonce)
	if err != nil {
		return waiting, act, err
	}
	s, err := b.submitOne(ctx, m, u)
	return s, nil, err
}

// approvePoll is a poll while the payer may be on OP's page: a payment OP already holds as
// approved whose payer token is held (the callback was taken, its submission not made) is
// submitted now; one OP holds as approved whose callback has not come yet stays waiting for it
// (OP marks it approved before it sends the browser back, and only the callback's code gets the
// token that submits it); one OP ended (rejected, revoked) ends here; otherwise the page again.
func (b *Bank) approvePoll(ctx context.Context, m *memo, waiting provider.State, act *provider.Action) (provider.State, *provider.Action, error) {
	pay, a, err := b.getPayment(ctx, m.PaymentID, m.Foreign)
	if err != nil {
		return waiting, act, nil // the page stays the answer; the next poll reads again
	}
	if pay.Status == "Authorized" {
		if u := b.liveUser(ctx, m.AuthorizationID); u != nil {
			s, err := b.submitOne(ctx, m, u)
			return s, nil, err
		}
		return waiting, act, nil
	}
	s := stateOf(authStatuses, pay.Status, pay.PaymentID)
	s.InteractionID, s.Blob = a.id, m.encode()
	if s.Final {
		return s, nil, nil
	}
	return s, act, nil
}

// action is the authorize page for m's bundle.
func (b *Bank) action(m *memo) (*provider.Action, error) {
	u, err := b.authorizeURL(m.AuthorizationID, m.State, m.Nonce)
	if err != nil {
		return nil, err
	}
	return &provider.Action{Kind: provider.ActionRedirect, URL: u, NeedsCallback: true, PollAfter: pollAfter,
		Message: "Open OP's page, log in and approve the payment there, then paste the address OP sends your browser back to."}, nil
}

// submitOne submits an authorised payment under its first submissionId. The payment is read
// first: one the payer left out of the approval is not submitted.
func (b *Bank) submitOne(ctx context.Context, m *memo, u *userToken) (provider.State, error) {
	pay, a, err := b.getPayment(ctx, m.PaymentID, m.Foreign)
	if err != nil {
		return provider.State{}, err
	}
	if pay.Status != "Authorized" {
		s := stateOf(authStatuses, pay.Status, pay.PaymentID)
		s.InteractionID, s.Blob = a.id, m.encode()
		if s.Status == provider.StatusAwaitingBankSCA {
			return s, errors.New("OP does not hold this payment as approved: approve it on OP's page")
		}
		return s, nil
	}
	m.SubmissionID, m.SubmittedAt = SubmissionID(m.PaymentID, 1), b.cfg.Clock()
	sub, a, err := b.submitAs(ctx, u, m)
	if errors.Is(err, provider.ErrOutcomeUnknown) {
		// The same submissionId again: OP returns the first result and debits once.
		sub, a, err = b.submit(ctx, u.access, m, b.cfg.SandboxScenario)
	}
	if err != nil {
		s := stateOf(authStatuses, "Authorized", m.PaymentID)
		s.Blob = m.encode()
		return s, err
	}
	s := stateOf(submissionStatuses, sub.Status, m.PaymentID)
	s.InteractionID, s.Blob = a.id, m.encode()
	return s, nil
}

// SyncGrant: OP holds no standing grant for a default-flow payer; the link is always usable.
func (b *Bank) SyncGrant(_ context.Context, grantID string) (provider.GrantState, error) {
	return provider.GrantState{ID: grantID, Status: "Authorized", UpdatedAt: b.cfg.Clock()}, nil
}

// RevokeGrant forgets every token held (client and payer), here and in the keeper: a refresh
// token left in the secret store would come back at the next start and could pay for 45 days.
func (b *Bank) RevokeGrant(_ context.Context, _ string, by provider.RevokedBy) (string, error) {
	if by != provider.RevokedByUser && by != provider.RevokedByWallet {
		return "", fmt.Errorf("end the link: unknown revoker %q", by)
	}
	b.mu.Lock()
	b.token, b.users = "", map[string]*userToken{}
	b.mu.Unlock()
	if b.cfg.Tokens != nil {
		if err := b.cfg.Tokens.Forget(); err != nil {
			return string(by), fmt.Errorf("forget the payer's OP tokens: %w", err)
		}
	}
	return string(by), nil
}
