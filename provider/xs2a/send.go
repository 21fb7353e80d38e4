package xs2aprov

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/xs2a"
)

// Send sends the stored create exactly, once. Before it leaves: a wait the bank asked for is
// sat out (or the send is held back), and a request whose Date the bank would refuse, or whose
// X-Request-ID a 429 may have spent, is returned as a *provider.Rebuild — the same body under a
// new X-Request-ID and Date, built but not sent: the core stores it first.
func (b *Bank) Send(ctx context.Context, p provider.Payment) (provider.State, error) {
	req, resend, psuWithheld, err := decodeStoredPSU(p.Request.Bytes)
	if err != nil {
		return provider.State{}, err
	}
	call := b.call("")
	psuID := call.PSU.ID
	if b.prof.PSUSession {
		if call.PSU.Session == nil {
			return provider.State{}, b.errNoSession()
		}
		psuID = call.PSU.Session.PSUID
	}
	if psuWithheld && !restorePSU(req, psuID, b.cfg.Client.Certificate.PublicKey) || !psuWithheld && psuID != "" {
		return provider.State{}, b.rebuild(req, resend, call, "the payer's PSU-ID changed since it was built (a new session or setting)", nil)
	}
	if !b.cl.SignedByUs(req) {
		// Nothing has left (Send only ever gets a create that never did): the same body, signed
		// under the certificate the bank knows now.
		return provider.State{}, b.rebuild(req, resend, call, "the TPP's signing certificate changed since it was built", nil)
	}
	if b.prof.PSUSession {
		req.Header.Set("TPP-Session-ID", call.PSU.Session.TPPSessionID.Reveal())
	}
	if err := b.holdOff(ctx); err != nil {
		return provider.State{}, err
	}
	b.mu.Lock()
	spent := b.spent[req.RequestID]
	b.mu.Unlock()
	switch {
	case spent:
		return provider.State{}, b.rebuild(req, resend, call, "the bank answered 429 to it and may count its X-Request-ID as used", nil)
	case !b.cfg.Clock().Add(sendMargin).Before(dateOf(req).Add(b.cfg.DateSkew)):
		return provider.State{}, b.rebuild(req, resend, call, fmt.Sprintf("its Date is too old for the bank (it accepts %s)", b.cfg.DateSkew), nil)
	}
	rep, err := b.cl.Send(ctx, req)
	if err == nil {
		return b.created(req, rep.Initiation)
	}
	var be *xs2a.BankError
	switch {
	case errors.Is(err, xs2a.ErrRateLimited):
		// Nothing was processed. The request is rebuilt after the wait (its Date will be stale
		// and its X-Request-ID may count as used): within the core's limit here, else later.
		b.mu.Lock()
		b.spent[req.RequestID] = true
		b.mu.Unlock()
		wait := b.busy(req, err)
		if werr := b.sitOut(ctx, wait); werr != nil {
			return provider.State{}, werr
		}
		// The attempt (the 429) is logged; nothing in it says "not processed" to the core,
		// which would then keep the old bytes.
		return provider.State{}, b.rebuild(req, resend, call, "the bank asked to wait (HTTP 429) and processed nothing",
			&callError{Msg: "the bank asked to wait", Err: err, Log: attemptOf(req, err)})
	case errors.Is(err, xs2a.ErrSessionRequired):
		// Nothing was processed, but the bank saw this X-Request-ID: after the new login the
		// payment goes again under a new one (rebuilt, stored first).
		b.mu.Lock()
		b.spent[req.RequestID] = true
		b.mu.Unlock()
		b.EndSession()
		return provider.State{}, wrap(req, err, "SpareBank 1 ended the PSU session before the payment was processed: log in at the bank again, then pay", provider.ErrGrantInactive, provider.ErrNotProcessed)
	case resend && errors.As(err, &be) && be.HTTPStatus >= 400 && be.HTTPStatus < 500:
		// The same payment again, refused: SpareBank 1 refuses a logical duplicate, so it
		// holds the first one. Its id was in the lost answer.
		b.mu.Lock()
		b.dupRefused[p.Request.Key] = true
		b.mu.Unlock()
		return provider.State{}, wrap(req, err, "the bank refused the same payment again, which it does when it already has it: check the payment at your bank, where you approve or cancel it",
			provider.ErrOutcomeUnknown, provider.ErrCannotReconcile)
	case errors.As(err, &be) && be.HTTPStatus >= 400 && be.HTTPStatus < 500 && !errors.Is(err, xs2a.ErrOutcomeUnknown):
		return provider.State{}, refused(req, be, err)
	default:
		// No answer, a 5xx, an answer that could not be read: the bank may have the payment.
		return provider.State{}, wrap(req, err, "the bank may or may not have the payment", provider.ErrOutcomeUnknown)
	}
}

// rebuild is the *provider.Rebuild of a stored create that must not go as it is.
// cause is the answer that made it necessary (nil when nothing was sent).
func (b *Bank) rebuild(req *xs2a.Request, resend bool, call xs2a.Call, why string, cause *callError) error {
	var (
		again *xs2a.Request
		err   error
	)
	if resend {
		again, err = b.cl.BuildResend(req, call)
	} else {
		again, err = b.cl.BuildRetry(req, call)
	}
	if err != nil {
		return notSent("the payment could not be signed again", err, provider.ErrNotProcessed)
	}
	out, err := b.request(again, resend)
	if err != nil {
		return notSent("the payment could not be signed again", err, provider.ErrNotProcessed)
	}
	if cause == nil {
		cause = notSent("not sent: "+why, nil)
	}
	return &provider.Rebuild{Request: out, Reason: why, Done: "signed again under a new X-Request-ID and Date (the same payment)", Err: cause}
}

// refused is a 4xx to the create: the bank created nothing.
func refused(req *xs2a.Request, be *xs2a.BankError, err error) error {
	detail := ""
	for _, m := range be.Messages {
		if m.Text != "" {
			detail = safetext.Short(m.Text, 500)
			break
		}
	}
	return &provider.Refused{HTTPStatus: be.HTTPStatus, Code: be.Code(), Detail: detail, InteractionID: req.RequestID,
		Err: wrap(req, err, "the bank refused the payment before creating it")}
}

// created is the state of a 201: the payment, its links and approach in the Blob.
func (b *Bank) created(req *xs2a.Request, in *xs2a.Initiation) (provider.State, error) {
	if in == nil {
		return provider.State{}, wrap(req, errors.New("no initiation in the answer"), "the bank's answer is unreadable", provider.ErrOutcomeUnknown)
	}
	m := &memo{V: memoVersion, Product: productOf(req.URL, b.prof), PaymentID: in.PaymentID, Approach: string(in.Approach), Links: hrefs(in.Links)}
	if _, ok := in.Links["scaOAuth"]; ok {
		m.Approach = string(xs2a.OAuth) // BG: "the OAuth SCA approach will be subsumed by REDIRECT"
	}
	if m.Links == nil {
		m.Links = map[string]string{}
	}
	if in.Location != "" {
		if _, ok := m.Links["self"]; !ok {
			m.Links["self"] = in.Location
		}
	}
	if _, ok := m.Links["status"]; !ok {
		return provider.State{}, wrap(req, errors.New("no status link"), "the bank created the payment but gave no way to follow it: check it at your bank", provider.ErrOutcomeUnknown)
	}
	if _, err := decodeMemo(m.encode()); err != nil { // a link payterm would refuse to read back
		return provider.State{}, wrap(req, err, "the bank created the payment but its links are unusable: check it at your bank", provider.ErrOutcomeUnknown)
	}
	st := stateOf(in.Status, m)
	st.InteractionID = req.RequestID
	return st, nil
}

// productOf is the product segment of a create's URL.
func productOf(u string, p xs2a.Profile) string {
	for _, pr := range p.Products {
		if len(u) > 0 && containsPath(u, "/payments/"+pr.Name) {
			return pr.Name
		}
	}
	return ""
}

func containsPath(u, seg string) bool {
	for i := 0; i+len(seg) <= len(u); i++ {
		if u[i:i+len(seg)] == seg && (i+len(seg) == len(u) || u[i+len(seg)] == '?' || u[i+len(seg)] == '/') {
			return true
		}
	}
	return false
}

// stateOf maps a transaction status onto the core's status, keeping the raw code.
func stateOf(s xs2a.TransactionStatus, m *memo) provider.State {
	st := provider.State{BankRef: m.PaymentID, BankStatus: string(s), Final: s.Final(), RejectMessage: m.Reason, Blob: m.encode()}
	switch s.Normalised() {
	case xs2a.AwaitingAuth:
		st.Status = provider.StatusAwaitingBankSCA
	case xs2a.Authorised:
		st.Status = provider.StatusAuthorised
	case xs2a.Processing:
		st.Status = provider.StatusProcessing
	case xs2a.Executed:
		st.Status = provider.StatusExecuted
	case xs2a.Settled:
		st.Status = provider.StatusSettled
	case xs2a.Rejected:
		st.Status = provider.StatusRejected
	case xs2a.Cancelled:
		st.Status = provider.StatusCancelled
	}
	if st.Status != provider.StatusRejected {
		st.RejectMessage = ""
	}
	return st
}

// Lookup: Berlin Group defines no lookup of a payment by anything the wallet holds, so only
// the payer can tell whether a create whose answer was lost arrived. At SpareBank 1, whose
// creates carry allowLogicalDuplicate=false, the same payment may be sent again: it is returned
// as a *provider.Rebuild (matching ErrCannotReconcile too) that the core may store and send —
// the bank creates it if the first never arrived, or refuses it as a duplicate if it did; it
// never pays twice. Nothing is sent here.
func (b *Bank) Lookup(_ context.Context, p provider.Payment) (provider.State, error) {
	if !b.prof.RefuseLogicalDuplicates {
		return provider.State{}, notSent("Berlin Group defines no lookup; only you can check at your bank whether it has this payment", provider.ErrCannotReconcile)
	}
	b.mu.Lock()
	dup := b.dupRefused[p.Request.Key]
	b.mu.Unlock()
	if dup {
		return provider.State{}, notSent("SpareBank 1 already refused the same payment as a duplicate, so it has it: check it at your bank", provider.ErrCannotReconcile)
	}
	req, _, err := decodeStored(p.Request.Bytes)
	if err != nil {
		return provider.State{}, notSent("the stored request is unreadable", err, provider.ErrCannotReconcile)
	}
	call := b.call("")
	if call.PSU.Session == nil {
		return provider.State{}, notSent("SpareBank 1 needs you to log in at the bank again before the payment can be checked", provider.ErrCannotReconcile, provider.ErrGrantInactive)
	}
	again, err := b.cl.BuildResend(req, call)
	if err != nil {
		return provider.State{}, notSent("the payment could not be signed again", err, provider.ErrCannotReconcile)
	}
	out, err := b.request(again, true)
	if err != nil {
		return provider.State{}, notSent("the payment could not be signed again", err, provider.ErrCannotReconcile)
	}
	return provider.State{}, &provider.Rebuild{Request: out,
		Reason: "the bank's answer was lost and it offers no lookup; it refuses the same payment again if it has it (allowLogicalDuplicate=false)",
		Done:   "signed again under a new X-Request-ID to send once more (the bank refuses it if it has the first)",
		Err:    notSent("the bank offers no lookup", provider.ErrCannotReconcile)}
}

// Status reads the payment's transaction status through its status link.
func (b *Bank) Status(ctx context.Context, p provider.Payment) (provider.State, error) {
	m, err := decodeMemo(p.State.Blob)
	if err != nil {
		return provider.State{}, err
	}
	return b.status(ctx, m)
}

func (b *Bank) status(ctx context.Context, m *memo) (provider.State, error) {
	l, ok := link("status", m.Links)
	if !ok {
		return provider.State{}, errMemo
	}
	rep, req, err := b.exchange(ctx, m.PaymentID, func(c xs2a.Call) (*xs2a.Request, error) { return b.cl.BuildGetTransactionStatus(l, c) })
	if err != nil {
		return provider.State{}, err
	}
	ps := rep.Status
	st := stateOf(ps.Status, m)
	st.InteractionID = req.RequestID
	if ps.Status == xs2a.TxRejected && ps.FundsAvailable != nil && !*ps.FundsAvailable {
		st.RejectCode, st.RejectMessage = "FUNDS_NOT_AVAILABLE", "There was not enough money in the account."
	}
	return st, nil
}

// exchange sends one request the bank may process any number of times it did not (a GET, or a
// step the bank answered 429 to): built afresh for every try, the bank's waits sat out within
// the core's limit, a refused OAuth token dropped. It returns the request last sent.
func (b *Bank) exchange(ctx context.Context, paymentID string, build func(xs2a.Call) (*xs2a.Request, error)) (*xs2a.Reply, *xs2a.Request, error) {
	for try := 1; ; try++ {
		if err := b.holdOff(ctx); err != nil {
			return nil, nil, err
		}
		call := b.call(paymentID)
		if b.prof.PSUSession && call.PSU.Session == nil {
			return nil, nil, b.errNoSession()
		}
		req, err := build(call)
		if err != nil {
			return nil, nil, inputError("the request cannot be built", err)
		}
		rep, err := b.cl.Send(ctx, req)
		switch {
		case err == nil:
			return rep, req, nil
		case errors.Is(err, xs2a.ErrRateLimited) && try < maxTries:
			if werr := b.sitOut(ctx, b.busy(req, err)); werr != nil {
				return nil, req, werr
			}
			continue
		case errors.Is(err, xs2a.ErrRateLimited):
			b.busy(req, err)
			return nil, req, wrap(req, err, "the bank asked to wait", provider.ErrBankBusy, provider.ErrNotProcessed)
		case errors.Is(err, xs2a.ErrSessionRequired):
			b.EndSession()
			return nil, req, wrap(req, err, "SpareBank 1 ended the PSU session: log in at the bank again", provider.ErrGrantInactive, provider.ErrNotProcessed)
		case errors.Is(err, xs2a.ErrUnauthorized) && !call.PSU.Token.IsZero() && try < maxTries:
			// The OAuth token is expired or refused: the call goes without it (the bank
			// takes payment calls without one, BG: only after an OAuth SCA).
			b.mu.Lock()
			delete(b.tokens, paymentID)
			b.mu.Unlock()
			continue
		case errors.Is(err, xs2a.ErrOutcomeUnknown):
			return nil, req, wrap(req, err, "the bank's answer was lost", provider.ErrOutcomeUnknown)
		default:
			return nil, req, wrap(req, err, "")
		}
	}
}

// busy records the wait a 429 asked for (at least a second when it named none) and returns it.
func (b *Bank) busy(req *xs2a.Request, err error) *callError {
	ra := time.Second
	var be *xs2a.BankError
	if errors.As(err, &be) && be.RetryAfter > 0 {
		ra = be.RetryAfter
	}
	until := b.cfg.Clock().Add(ra)
	b.mu.Lock()
	if until.After(b.busyUntil) {
		b.busyUntil = until
	}
	b.mu.Unlock()
	ce := wrap(req, err, "the bank asked to wait", provider.ErrBankBusy, provider.ErrNotProcessed)
	ce.Wait = ra
	return ce
}

// holdOff sits out what is left of the bank's last wait before a call leaves, when the core's
// limit (provider.WithWaits) allows; otherwise the call is held back: nothing is sent.
func (b *Bank) holdOff(ctx context.Context) error {
	b.mu.Lock()
	until := b.busyUntil
	b.mu.Unlock()
	left := until.Sub(b.cfg.Clock())
	if left <= 0 {
		return nil
	}
	held := notSent("held back: the bank asked to wait", nil, provider.ErrBankBusy, provider.ErrNotProcessed)
	held.Wait = left
	return b.sitOut(ctx, held)
}

// sitOut waits out w.Wait when the core allows that long (reporting it first), and
// returns nil; otherwise, or when ctx ends first, it returns w (with ctx's error).
func (b *Bank) sitOut(ctx context.Context, w *callError) error {
	maxWait, observe, ok := provider.Waits(ctx)
	if !ok || w.Wait > maxWait {
		return w
	}
	until := b.cfg.Clock().Add(w.Wait)
	if observe != nil {
		observe(provider.Wait{For: w.Wait, Until: until})
	}
	if err := b.cfg.Sleep(ctx, w.Wait); err != nil {
		out := *w
		out.Err = errors.Join(w.Err, err)
		out.Means = append(append([]error(nil), w.Means...), err)
		return &out
	}
	b.mu.Lock()
	if !b.busyUntil.After(until) {
		b.busyUntil = time.Time{}
	}
	b.mu.Unlock()
	return nil
}

// SyncGrant: a Berlin Group bank holds no grant for payments, so the wallet's link is always
// usable ("Authorized"); at SpareBank 1 the link needs a PSU session: without one it waits for
// the payer's login ("AwaitingAuthorization"). Nothing is sent.
func (b *Bank) SyncGrant(_ context.Context, grantID string) (provider.GrantState, error) {
	st := provider.GrantState{ID: grantID, Status: "Authorized", UpdatedAt: b.cfg.Clock()}
	if b.prof.PSUSession && !b.HasSession() {
		st.Status = "AwaitingAuthorization"
	}
	return st, nil
}

// RevokeGrant forgets what this run holds for the bank (the PSU session, OAuth tokens): there is
// nothing to revoke at a Berlin Group bank. The core deletes the session it kept.
func (b *Bank) RevokeGrant(_ context.Context, _ string, by provider.RevokedBy) (string, error) {
	if by != provider.RevokedByUser && by != provider.RevokedByWallet {
		return "", fmt.Errorf("end the link: unknown revoker %q", by)
	}
	b.EndSession()
	b.mu.Lock()
	clear(b.tokens)
	clear(b.oauth)
	b.mu.Unlock()
	return string(by), nil
}
