package fintecture

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
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

// Steps of a Fintecture payment, as the progress screen shows them.
const (
	StepWallet   = "Wallet check"
	StepSigned   = "Signed"
	StepSaved    = "Saved"
	StepSent     = "Session opened"
	StepApprove  = "Pay on Fintecture's page"
	StepBankSays = "Fintecture says"
	StepExecuted = "Payment created"
)

// ProductID is the one product: an Immediate Transfer (a SEPA credit transfer the payer's
// bank sends, initiated through Fintecture).
const ProductID = "immediate_transfer"

// Caps describes the application as a bank.
func (b *Bank) Caps() provider.Caps {
	return provider.Caps{
		Kind: provider.Fintecture, BankName: b.cfg.Name,
		WalletSCA: provider.WalletSCAProtectsTheWallet, BankSCA: provider.BankSCAPerPayment,
		Grant: provider.GrantLink, Dedup: provider.DedupNone,
		Products: []provider.Product{{ID: ProductID, Label: "Immediate transfer (Fintecture)",
			Currencies: slices.Clone(b.cfg.Currencies), Creditor: provider.SchemeIBAN, Debtor: provider.SchemeIBAN}},
		Fields:  provider.Fields{ReferenceMax: 140, ReferenceName: "Message to the payee", ReferenceRequired: true},
		Scheme:  "HTTP signature rsa-sha256 (app key)",
		Signing: "HTTP signature (draft-cavage, rsa-sha256) over (request-target) with the query, Date, Digest and X-Request-ID, keyId = app_id; Bearer application token",
		Steps:   []string{StepWallet, StepSigned, StepSaved, StepSent, StepApprove, StepBankSays, StepExecuted},
	}
}

// stored is the core's copy of a session request (provider.Request.Bytes): the state that ties
// the callback to it, and the signed request exactly as it leaves.
type stored struct {
	V     int     `json:"v"`
	State string  `json:"state"`
	Req   *signed `json:"req"`
}

const storedVersion = 1

func decodeStored(b []byte) (*stored, error) {
	var s stored
	if err := json.Unmarshal(b, &s); err != nil || s.V != storedVersion || s.Req == nil || !validState(s.State) ||
		s.Req.Method != http.MethodPost || len(s.Req.Body) == 0 {
		return nil, notSent("the stored session request is unreadable", nil, provider.ErrNotProcessed)
	}
	return &s, nil
}

// memo is the provider's memory of a created session (provider.State.Blob). No secret.
type memo struct {
	V         int    `json:"v"`
	SessionID string `json:"session_id"`
	URL       string `json:"url"`
	State     string `json:"state"`
}

var errMemo = errors.New("payterm's record of this Fintecture session is unreadable")

func (m *memo) encode() []byte {
	b, _ := json.Marshal(m)
	return b
}

func decodeMemo(b []byte) (*memo, error) {
	var m memo
	if err := json.Unmarshal(b, &m); err != nil || m.V != storedVersion || !printableID(m.SessionID, maxIDLen) ||
		checkPageURL(m.URL) != nil || !validState(m.State) {
		return nil, errMemo
	}
	return &m, nil
}

// Build checks the intent and signs the session request. Nothing leaves the machine.
func (b *Bank) Build(ctx context.Context, in provider.Intent, _ provider.Evidence, _ provider.Facts) (provider.Request, error) {
	body, err := b.sessionBody(in)
	if err != nil {
		return provider.Request{}, err
	}
	provider.ReportStep(ctx, StepSigned, provider.StepRunning, nil)
	state, err := b.newState()
	if err != nil {
		provider.ReportStep(ctx, StepSigned, provider.StepFailed, err)
		return provider.Request{}, err
	}
	out, err := b.signSession(state, body)
	if err != nil {
		provider.ReportStep(ctx, StepSigned, provider.StepFailed, err)
		return provider.Request{}, err
	}
	provider.ReportStep(ctx, StepSigned, provider.StepDone, nil)
	return out, nil
}

// connectTarget is the path and raw query of the session request: state, redirect_uri and
// origin_uri, in url.Values' (sorted) order. The signature covers exactly this string.
func (b *Bank) connectTarget(state string) string {
	q := url.Values{"state": {state}, "redirect_uri": {b.cfg.RedirectURI}}
	if b.cfg.OriginURI != "" {
		q.Set("origin_uri", b.cfg.OriginURI)
	}
	return "/pis/v2/connect?" + q.Encode()
}

func (b *Bank) signSession(state string, body []byte) (provider.Request, error) {
	s, err := b.sign(http.MethodPost, b.connectTarget(state), body)
	if err != nil {
		return provider.Request{}, fmt.Errorf("sign the session request: %w", err)
	}
	raw, err := json.Marshal(stored{V: storedVersion, State: state, Req: s})
	if err != nil {
		return provider.Request{}, fmt.Errorf("store the session request: %w", err)
	}
	d, _ := http.ParseTime(s.Date)
	return provider.Request{Bytes: raw, Key: state, SendBy: d.Add(storedLife)}, nil
}

// sessionBody checks the intent and serialises the session: the payer (meta), the amount,
// currency, message and payee (data). Refusals name no account or name.
func (b *Bank) sessionBody(in provider.Intent) ([]byte, error) {
	if in.Product != "" && in.Product != ProductID {
		return nil, fmt.Errorf("%s offers only the product %q, not %q", safetext.Line(b.cfg.Name), ProductID, safetext.Short(in.Product, 64))
	}
	if !slices.Contains(b.cfg.Currencies, in.Amount.Currency) {
		return nil, fmt.Errorf("%s pays in %v, not %q: change the currency", safetext.Line(b.cfg.Name), b.cfg.Currencies, safetext.Short(in.Amount.Currency, 8))
	}
	if in.Amount.Amount.Minor() < 1 {
		return nil, errors.New("the amount must be at least 0.01: type the amount to pay")
	}
	if in.Purpose != "" {
		return nil, errors.New("Fintecture takes no purpose code: leave the purpose empty")
	}
	if in.Creditor.Scheme != "" && in.Creditor.Scheme != provider.SchemeIBAN {
		return nil, errors.New("Fintecture pays to an IBAN: type the payee's IBAN")
	}
	payee, err := iban.Parse(in.Creditor.Account)
	if err != nil {
		return nil, fmt.Errorf("the payee's IBAN: %w", err)
	}
	if n := utf8.RuneCountInString(in.Creditor.Name); n == 0 || n > 140 || !safetext.Clean(in.Creditor.Name) {
		return nil, fmt.Errorf("the payee's name must be 1 to 140 characters without control characters (it has %d): shorten or retype it", n)
	}
	if n := utf8.RuneCountInString(in.Reference); n == 0 || n > 140 || !safetext.Clean(in.Reference) {
		return nil, fmt.Errorf("the message to the payee must be 1 to 140 characters without control characters (it has %d): Fintecture sends it as the transfer's communication", n)
	}
	body := connectBody{
		Meta: connectMeta{PSUName: b.cfg.Payer.Name, PSUEmail: b.cfg.Payer.Email, PSUIP: b.cfg.Payer.IP},
		Data: connectData{Type: "SEPA", Attributes: connectAttributes{
			Amount: in.Amount.Amount.Wire(), Currency: in.Amount.Currency, Communication: in.Reference,
			Beneficiary: &beneficiary{Name: in.Creditor.Name, IBAN: string(payee)},
		}},
	}
	out, err := encodeJSON(body)
	if err != nil {
		return nil, fmt.Errorf("serialise the session: %w", err)
	}
	return out, nil
}

// Ready gets an application token (the only thing sending needs). Nothing else leaves.
func (b *Bank) Ready(ctx context.Context, _ provider.Payment) error {
	if err := b.holdOff(ctx); err != nil {
		return err
	}
	_, err := b.accessToken(ctx)
	return err
}

// Send sends the stored session request exactly, once. Fintecture documents no idempotency
// key and no lookup by anything the wallet holds, so a request whose answer was lost is never
// sent again: at most a session exists that the payer never opened, and nothing is paid
// unless the payer pays on its page. A request whose Date the hub would refuse is returned as
// a *provider.Rebuild (the same body and state, a new Date and X-Request-ID) for the core to
// store first.
func (b *Bank) Send(ctx context.Context, p provider.Payment) (provider.State, error) {
	st, err := decodeStored(p.Request.Bytes)
	if err != nil {
		return provider.State{}, err
	}
	b.mu.Lock()
	lost := b.lost[st.State]
	b.mu.Unlock()
	if lost {
		return provider.State{}, notSent("this session request was sent once and its answer was lost: it is not sent again (it may have opened a session)",
			nil, provider.ErrOutcomeUnknown, provider.ErrCannotReconcile)
	}
	if err := b.holdOff(ctx); err != nil {
		return provider.State{}, err
	}
	date, err := http.ParseTime(st.Req.Date)
	if err != nil {
		return provider.State{}, notSent("the stored session request has no readable Date", nil, provider.ErrNotProcessed)
	}
	if !b.cfg.Clock().Add(sendMargin).Before(date.Add(b.cfg.DateSkew)) {
		again, err := b.signSession(st.State, st.Req.Body)
		if err != nil {
			return provider.State{}, notSent("the session request could not be signed again", err, provider.ErrNotProcessed)
		}
		why := fmt.Sprintf("its Date is too old for Fintecture (it accepts %s)", b.cfg.DateSkew)
		return provider.State{}, &provider.Rebuild{Request: again, Reason: why,
			Done: "signed again under a new Date and X-Request-ID (the same session request)", Err: notSent("not sent: "+why, nil)}
	}
	token, err := b.accessToken(ctx)
	if err != nil {
		return provider.State{}, err
	}
	status, hdr, body, err := b.exchange(ctx, st.Req, token)
	id := st.Req.RequestID
	switch {
	case err != nil:
		b.markLost(st.State)
		return provider.State{}, sentErr(id, status, "Fintecture's answer to the session request was lost: a session may exist that you never opened; nothing is paid unless you pay on its page", err, provider.ErrOutcomeUnknown)
	case status == http.StatusOK:
		s, derr := DecodeSession(body)
		if derr != nil {
			b.markLost(st.State)
			return provider.State{}, sentErr(id, status, "Fintecture's answer to the session request is unreadable: a session may exist that you never opened", derr, provider.ErrOutcomeUnknown)
		}
		m := &memo{V: storedVersion, SessionID: s.ID, URL: s.URL, State: st.State}
		// The connect answer carries no status: a new session is "prepared, waiting for the
		// bank to be chosen" (§4.4 provider_required) until the first status read says more.
		created, _ := stateOf("provider_required", s.ID)
		created.InteractionID, created.Blob = id, m.encode()
		return created, nil
	}
	ae := DecodeAPIError(status, body)
	ae.RetryAfter = retryAfter(hdr)
	switch {
	case status == http.StatusUnauthorized:
		// The token was refused before anything was looked at: the same bytes may go again
		// under a new token (the hub counts an X-Request-ID only for a session it opened).
		b.dropToken()
		return provider.State{}, sentErr(id, status, "Fintecture refused the application token; nothing was created", ae, provider.ErrNotProcessed)
	case status == http.StatusTooManyRequests, status == http.StatusServiceUnavailable:
		// Both say the hub did not take the request (RFC 9110 §15.6.4: "currently unable to
		// handle the request"); a 500, 502 or 504 says nothing of the kind.
		ce := sentErr(id, status, "Fintecture asked to wait; nothing was created", ae, provider.ErrBankBusy, provider.ErrNotProcessed)
		ce.Wait = b.busy(ae.RetryAfter)
		return provider.State{}, ce
	case status >= 400 && status < 500:
		return provider.State{}, &provider.Refused{HTTPStatus: status, Code: ae.Code, Detail: ae.Detail, InteractionID: id,
			Err: sentErr(id, status, "Fintecture refused the session request before creating it", ae)}
	}
	b.markLost(st.State)
	return provider.State{}, sentErr(id, status, "Fintecture failed while handling the session request: a session may exist that you never opened", ae, provider.ErrOutcomeUnknown)
}

func (b *Bank) markLost(state string) {
	b.mu.Lock()
	b.lost[state] = true
	b.mu.Unlock()
}

// busy records the wait the hub asked for (at least a second) and returns it.
func (b *Bank) busy(seconds int) time.Duration {
	d := time.Duration(max(seconds, 1)) * time.Second
	until := b.cfg.Clock().Add(d)
	b.mu.Lock()
	if until.After(b.busyUntil) {
		b.busyUntil = until
	}
	b.mu.Unlock()
	return d
}

// holdOff sits out what is left of the hub's last wait when the core allows (provider.WithWaits),
// else holds the call back: nothing is sent.
func (b *Bank) holdOff(ctx context.Context) error {
	b.mu.Lock()
	left := b.busyUntil.Sub(b.cfg.Clock())
	b.mu.Unlock()
	if left <= 0 {
		return nil
	}
	held := notSent("held back: Fintecture asked to wait", nil, provider.ErrBankBusy, provider.ErrNotProcessed)
	held.Wait = left
	maxWait, observe, ok := provider.Waits(ctx)
	if !ok || left > maxWait {
		return held
	}
	if observe != nil {
		observe(provider.Wait{For: left, Until: b.cfg.Clock().Add(left)})
	}
	if err := b.cfg.Sleep(ctx, left); err != nil {
		held.Err = err
		held.Means = append(held.Means, err)
		return held
	}
	return nil
}

// Lookup: Fintecture documents no lookup of a session by anything the wallet holds before
// the answer (the list's filters are not documented for state), so a lost answer cannot be
// reconciled here. Nothing is sent.
func (b *Bank) Lookup(_ context.Context, _ provider.Payment) (provider.State, error) {
	return provider.State{}, notSent("Fintecture offers no lookup of a session whose answer was lost; at most a session exists that you never opened, and nothing is paid unless you pay on its page. Check your bank account before paying again",
		nil, provider.ErrCannotReconcile)
}

// Status reads the session's status (GET /pis/v2/payments/{session_id}) and checks that the
// hub holds this payment: the same session id, and the same amount and currency when it says.
func (b *Bank) Status(ctx context.Context, p provider.Payment) (provider.State, error) {
	m, err := decodeMemo(p.State.Blob)
	if err != nil {
		return provider.State{}, err
	}
	return b.status(ctx, p, m)
}

func (b *Bank) status(ctx context.Context, p provider.Payment, m *memo) (provider.State, error) {
	for try := 1; ; try++ {
		if err := b.holdOff(ctx); err != nil {
			return provider.State{}, err
		}
		token, err := b.accessToken(ctx)
		if err != nil {
			return provider.State{}, err
		}
		s, err := b.sign(http.MethodGet, "/pis/v2/payments/"+m.SessionID, nil)
		if err != nil {
			return provider.State{}, notSent("the status request could not be signed", err, provider.ErrNotProcessed)
		}
		status, hdr, body, err := b.exchange(ctx, s, token)
		if err != nil {
			return provider.State{}, sentErr(s.RequestID, status, "Fintecture did not answer the status request", err, provider.ErrOutcomeUnknown)
		}
		if status == http.StatusOK {
			ps, derr := DecodePaymentStatus(body)
			if derr != nil {
				return provider.State{}, sentErr(s.RequestID, status, "Fintecture's status answer is unreadable", derr)
			}
			if ps.SessionID != m.SessionID {
				return provider.State{}, sentErr(s.RequestID, status, "Fintecture answered about another session", nil)
			}
			if ps.Amount != nil && (ps.Currency != p.Amount.Currency || ps.Amount.Cmp(p.Amount.Amount) != 0) {
				return provider.State{}, sentErr(s.RequestID, status, "Fintecture holds a different amount or currency for this session than the payment: do not trust it; check your bank account", nil)
			}
			st, _ := stateOf(ps.Status, m.SessionID)
			st.InteractionID, st.Blob = s.RequestID, m.encode()
			return st, nil
		}
		ae := DecodeAPIError(status, body)
		ae.RetryAfter = retryAfter(hdr)
		switch {
		case status == http.StatusUnauthorized && try < 2:
			b.dropToken()
			continue
		case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
			ce := sentErr(s.RequestID, status, "Fintecture asked to wait", ae, provider.ErrBankBusy, provider.ErrNotProcessed)
			ce.Wait = b.busy(ae.RetryAfter)
			if try < 3 && b.holdOff(ctx) == nil {
				continue
			}
			return provider.State{}, ce
		case status == http.StatusNotFound:
			return provider.State{}, sentErr(s.RequestID, status, "Fintecture has no such session", ae, provider.ErrNotFound)
		}
		return provider.State{}, sentErr(s.RequestID, status, "Fintecture refused the status request", ae)
	}
}

// Approve: the payer pays on Fintecture's Connect page (bank choice, then the bank's own
// SCA). A zero Input reads the status and, while the payer still has to act, returns the
// page as a redirect Action, polled. A CallbackURL is checked against the redirect_uri, the
// session's state and id, then the status is read: the callback's own status is never
// believed.
// CheckCallback refuses an address that cannot be Fintecture's answer
// (provider.CallbackChecker): not the registered redirect address, or unreadable.
func (b *Bank) CheckCallback(raw string) error {
	_, err := ParseCallback(raw, b.cfg.RedirectURI)
	return err
}

func (b *Bank) Approve(ctx context.Context, p provider.Payment, in provider.Input) (provider.State, *provider.Action, error) {
	m, err := decodeMemo(p.State.Blob)
	if err != nil {
		return provider.State{}, nil, err
	}
	waiting := p.State
	waiting.Blob = m.encode()
	if waiting.BankRef == "" {
		waiting.BankRef = m.SessionID
	}
	if p.State.Final {
		return waiting, nil, nil
	}
	if in.Password != "" || in.MethodID != "" || in.OTP != "" {
		return waiting, nil, errors.New("Fintecture asks nothing in the wallet: pay on its page, then paste the address it sends you back to, or wait")
	}
	if in.CallbackURL != "" {
		cb, err := ParseCallback(in.CallbackURL, b.cfg.RedirectURI)
		if err != nil {
			return waiting, b.page(m), err
		}
		if cb.State != m.State || cb.SessionID != m.SessionID {
			return waiting, b.page(m), errors.New("that address belongs to another payment session, not this one: paste the address of this payment's page")
		}
	}
	st, err := b.status(ctx, p, m)
	if err != nil {
		return waiting, b.page(m), err
	}
	if st.Status == provider.StatusAwaitingBankSCA {
		return st, b.page(m), nil
	}
	return st, nil, nil
}

// page is the Action of a session the payer has still to pay: open the Connect page.
func (b *Bank) page(m *memo) *provider.Action {
	return &provider.Action{Kind: provider.ActionRedirect, URL: m.URL, PollAfter: pollAfter,
		Message: "Open Fintecture's page, choose your bank and approve the payment there. payterm follows it by itself; you may also paste the address the page sends you back to."}
}

// SyncGrant: Fintecture holds no grant for the payer; the wallet's link is always usable.
func (b *Bank) SyncGrant(_ context.Context, grantID string) (provider.GrantState, error) {
	return provider.GrantState{ID: grantID, Status: "Authorized", UpdatedAt: b.cfg.Clock()}, nil
}

// RevokeGrant forgets the application token: nothing is held at Fintecture for the payer.
func (b *Bank) RevokeGrant(_ context.Context, _ string, by provider.RevokedBy) (string, error) {
	if by != provider.RevokedByUser && by != provider.RevokedByWallet {
		return "", fmt.Errorf("end the link: unknown revoker %q", by)
	}
	b.dropToken()
	return string(by), nil
}
