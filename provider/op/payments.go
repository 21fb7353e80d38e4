package op

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/payterm/payterm/provider"
)

// createPayment posts one stored payment request exactly (the body bytes and the detached
// JWS made at Build) under its x-idempotency-key. OP creates a payment once per key: the same
// key and body return the original payment while it is still Unauthorized, so resending a
// request whose answer was lost cannot make a second payment.
func (b *Bank) createPayment(ctx context.Context, st *stored) (Payment, answer, error) {
	token, err := b.clientToken(ctx)
	if err != nil {
		return Payment{}, answer{}, err
	}
	return b.createWith(ctx, st, token, nil)
}

// createWith posts the stored request under token; payer is the payer's own token (the
// exemption flow: no client token to renew on a 401) with its extra headers.
func (b *Bank) createWith(ctx context.Context, st *stored, token string, payer http.Header) (Payment, answer, error) {
	h := http.Header{}
	for k, v := range payer {
		h[k] = v
	}
	h.Set("x-idempotency-key", st.Key)
	h.Set("x-jws-signature", st.JWS)
	for try := 1; ; try++ {
		a, err := b.call(ctx, http.MethodPost, paymentsPath(st.Foreign), token, st.Body, h)
		var se *SignatureError
		switch {
		case errors.As(err, &se):
			return Payment{}, a, sentErr(a.id, a.status, "OP's answer to the payment is not signed by OP: it is not read; the payment may exist", err, provider.ErrOutcomeUnknown)
		case err != nil:
			return Payment{}, a, sentErr(a.id, a.status, "OP's answer to the payment was lost; the same request may be sent again under its idempotency key", err, provider.ErrOutcomeUnknown)
		case a.status == http.StatusCreated || a.status == http.StatusOK:
			p, derr := decodePaymentOf(st.Foreign, a.body)
			if derr != nil {
				return Payment{}, a, sentErr(a.id, a.status, "OP's answer to the payment is unreadable", derr, provider.ErrOutcomeUnknown)
			}
			if p.AmountEUR.Wire() != st.Amount || p.Currency != st.Currency {
				return Payment{}, a, sentErr(a.id, a.status, "OP holds a different amount for this payment than was sent: do not trust it", nil, provider.ErrOutcomeUnknown)
			}
			return p, a, nil
		case a.status == http.StatusUnauthorized && try < 2 && payer == nil:
			b.dropToken()
			t, err := b.clientToken(ctx)
			if err != nil {
				return Payment{}, a, err
			}
			token = t
			continue
		}
		ae := DecodeAPIError(a.status, a.body)
		ae.RetryAfter = retryAfter(a.hdr)
		switch {
		case a.status == http.StatusUnauthorized:
			return Payment{}, a, sentErr(a.id, a.status, "OP refused the client token; nothing was created", ae, provider.ErrNotProcessed)
		case a.status == http.StatusTooManyRequests || a.status == http.StatusServiceUnavailable:
			ce := sentErr(a.id, a.status, "OP asked to wait; nothing was created", ae, provider.ErrBankBusy, provider.ErrNotProcessed)
			ce.Wait = secondsDur(ae.RetryAfter)
			return Payment{}, a, ce
		case ae.Type == "DuplicatePayment":
			// The key is OP's already, for a payment that moved on (or other contents).
			return Payment{}, a, sentErr(a.id, a.status, "OP already holds a payment under this idempotency key that has moved on: it is not created again", ae, provider.ErrOutcomeUnknown, provider.ErrCannotReconcile)
		case a.status >= 400 && a.status < 500:
			return Payment{}, a, &provider.Refused{HTTPStatus: a.status, Code: string(ae.Type), Detail: ae.Message, InteractionID: a.id,
				Err: sentErr(a.id, a.status, "OP refused the payment before creating it", ae)}
		}
		return Payment{}, a, sentErr(a.id, a.status, "OP failed while creating the payment; the same request may be sent again under its idempotency key", ae, provider.ErrOutcomeUnknown)
	}
}

// getPayment reads a payment (GET /sepa-payments/{paymentId}, or /foreign-payments/…) with the
// client token.
func (b *Bank) getPayment(ctx context.Context, paymentID string, foreign bool) (Payment, answer, error) {
	token, err := b.clientToken(ctx)
	if err != nil {
		return Payment{}, answer{}, err
	}
	a, err := b.call(ctx, http.MethodGet, paymentsPath(foreign)+"/"+url.PathEscape(paymentID), token, nil, nil)
	if err != nil {
		return Payment{}, a, sentErr(a.id, a.status, "OP did not answer the payment read", err, provider.ErrOutcomeUnknown)
	}
	if a.status != http.StatusOK {
		ae := DecodeAPIError(a.status, a.body)
		if a.status == http.StatusNotFound {
			return Payment{}, a, sentErr(a.id, a.status, "OP has no such payment", ae, provider.ErrNotFound)
		}
		if a.status == http.StatusUnauthorized {
			b.dropToken()
		}
		return Payment{}, a, sentErr(a.id, a.status, "OP refused the payment read", ae)
	}
	p, err := decodePaymentOf(foreign, a.body)
	if err != nil {
		return Payment{}, a, sentErr(a.id, a.status, "OP's payment is unreadable", err)
	}
	if p.PaymentID != paymentID {
		return Payment{}, a, sentErr(a.id, a.status, "OP answered about another payment", nil)
	}
	return p, a, nil
}

// submit PUTs one submission (empty body) with the payer's token. scenario is the sandbox's
// x-sandbox-scenario ("" outside tests and demos).
func (b *Bank) submit(ctx context.Context, token string, m *memo, scenario string) (Submission, answer, error) {
	var h http.Header
	if scenario != "" {
		h = http.Header{"X-Sandbox-Scenario": {scenario}}
	}
	a, err := b.call(ctx, http.MethodPut, submissionPath(m), token, nil, h)
	return b.readSubmission(a, err, m.SubmissionID, "submission")
}

// getSubmission reads a submission with the client token.
func (b *Bank) getSubmission(ctx context.Context, m *memo) (Submission, answer, error) {
	token, err := b.clientToken(ctx)
	if err != nil {
		return Submission{}, answer{}, err
	}
	a, err := b.call(ctx, http.MethodGet, submissionPath(m), token, nil, nil)
	return b.readSubmission(a, err, m.SubmissionID, "submission read")
}

func submissionPath(m *memo) string {
	return paymentsPath(m.Foreign) + "/" + url.PathEscape(m.PaymentID) + "/submissions/" + url.PathEscape(m.SubmissionID)
}

func (b *Bank) readSubmission(a answer, err error, submissionID, what string) (Submission, answer, error) {
	if err != nil {
		// A PUT whose answer was lost is sent again under the same submissionId: OP
		// makes no duplicate of it.
		return Submission{}, a, sentErr(a.id, a.status, "OP's answer to the "+what+" was lost or is not signed by OP", err, provider.ErrOutcomeUnknown)
	}
	if a.status != http.StatusOK && a.status != http.StatusCreated {
		ae := DecodeAPIError(a.status, a.body)
		ae.RetryAfter = retryAfter(a.hdr)
		switch {
		case a.status == http.StatusNotFound:
			return Submission{}, a, sentErr(a.id, a.status, "OP has no such submission", ae, provider.ErrNotFound)
		case a.status == http.StatusTooManyRequests || a.status == http.StatusServiceUnavailable:
			ce := sentErr(a.id, a.status, "OP asked to wait", ae, provider.ErrBankBusy, provider.ErrNotProcessed)
			ce.Wait = secondsDur(ae.RetryAfter)
			return Submission{}, a, ce
		case a.status >= 500:
			return Submission{}, a, sentErr(a.id, a.status, "OP failed on the "+what, ae, provider.ErrOutcomeUnknown)
		}
		return Submission{}, a, sentErr(a.id, a.status, "OP refused the "+what, ae)
	}
	s, derr := DecodeSubmission(a.body)
	if derr != nil {
		return Submission{}, a, sentErr(a.id, a.status, "OP's "+what+" answer is unreadable", derr, provider.ErrOutcomeUnknown)
	}
	if s.SubmissionID != submissionID {
		return Submission{}, a, sentErr(a.id, a.status, "OP answered about another submission", nil, provider.ErrOutcomeUnknown)
	}
	return s, a, nil
}
