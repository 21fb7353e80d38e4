package op

import (
	"context"
	"errors"
	"fmt"

	"github.com/payterm/payterm/provider"
)

// Bundle is several SEPA payments under one authorizationId, approved with one SCA at OP and
// then submitted one by one. Payments are created one after the other: the first gets the
// authorizationId, the others carry it in their (signed) body.
type Bundle struct {
	AuthorizationID string
	Items           []BundleItem
	state, nonce    string
}

// BundleItem is one payment of a bundle: the request exactly as sent and its state.
type BundleItem struct {
	Request provider.Request
	State   provider.State
}

// MaxBundle bounds a bundle (OP states no limit; the wallet's screens show ten at most).
const MaxBundle = 10

// CreateBundle creates intents as one bundle, each to be submitted once. Each intent carries its
// own idempotency key. On an error the bundle holds the payments created so far (they can be
// revoked together).
func (b *Bank) CreateBundle(ctx context.Context, intents []provider.Intent) (*Bundle, error) {
	reqs := make([]BundleRequest, len(intents))
	for i, in := range intents {
		reqs[i] = BundleRequest{Intent: in, Count: 1}
	}
	return b.CreateBundleWith(ctx, reqs)
}

// BundleRequest is one payment of a bundle and how many identical submissions (same payee,
// same amount) the one approval allows: OP's count, 1 to 99.
type BundleRequest struct {
	Intent provider.Intent
	Count  int
}

// CreateBundleWith is CreateBundle with a count per payment.
func (b *Bank) CreateBundleWith(ctx context.Context, reqs []BundleRequest) (*Bundle, error) {
	if len(reqs) == 0 || len(reqs) > MaxBundle {
		return nil, fmt.Errorf("a bundle holds 1 to %d payments", MaxBundle)
	}
	for _, r := range reqs {
		if r.Intent.Product == ForeignProductID {
			return nil, ErrBundleMix
		}
	}
	bu := &Bundle{}
	for i, r := range reqs {
		if r.Count < 1 || r.Count > 99 {
			return bu, fmt.Errorf("payment %d of the bundle: count must be 1 to 99", i+1)
		}
		body, err := b.paymentBody(r.Intent, bu.AuthorizationID)
		if err != nil {
			return bu, fmt.Errorf("payment %d of the bundle: %w", i+1, err)
		}
		if r.Count > 1 {
			body.Count = r.Count
		}
		req, err := b.sign(r.Intent.IdempotencyKey, body)
		if err != nil {
			return bu, err
		}
		st, _ := decodeStored(req.Bytes)
		pay, a, err := b.createPayment(ctx, st)
		if errors.Is(err, provider.ErrOutcomeUnknown) && !errors.Is(err, provider.ErrCannotReconcile) {
			// The same key and bytes again: OP returns the payment the first try made.
			pay, a, err = b.createPayment(ctx, st)
		}
		if err != nil {
			return bu, fmt.Errorf("payment %d of the bundle: %w", i+1, err)
		}
		if pay.Count != r.Count {
			return bu, fmt.Errorf("payment %d of the bundle: OP holds another count for it", i+1)
		}
		if i == 0 {
			bu.AuthorizationID = pay.AuthorizationID
		} else if pay.AuthorizationID != bu.AuthorizationID {
			return bu, fmt.Errorf("payment %d of the bundle: OP put it under another authorization", i+1)
		}
		bu.Items = append(bu.Items, BundleItem{Request: req, State: b.created(pay, a.id, false)})
	}
	return bu, nil
}

// SubmitAgain makes the n-th submission (n ≥ 2, up to the payment's count) of a payment whose
// approval allows repeated identical submissions, under the payer's token from that approval.
// The submissionId is derived from the paymentId and n, so a lost answer is sent again as the
// same submission.
func (b *Bank) SubmitAgain(ctx context.Context, p provider.Payment, n int) (provider.State, error) {
	m, err := decodeMemo(p.State.Blob)
	if err != nil {
		return provider.State{}, err
	}
	if n < 2 || n > 99 {
		return p.State, errors.New("a repeated submission is the 2nd to the 99th")
	}
	u := b.liveUser(ctx, m.AuthorizationID)
	if u == nil {
		return p.State, errors.New("no approval from OP is held for this payment any more: approve it again")
	}
	m.SubmissionID, m.SubmittedAt = SubmissionID(m.PaymentID, n), b.cfg.Clock()
	sub, a, err := b.submit(ctx, u.access, m, b.cfg.SandboxScenario)
	if errors.Is(err, provider.ErrOutcomeUnknown) {
		sub, a, err = b.submit(ctx, u.access, m, b.cfg.SandboxScenario)
	}
	if err != nil {
		return p.State, err
	}
	s := stateOf(submissionStatuses, sub.Status, m.PaymentID)
	s.InteractionID, s.Blob = a.id, m.encode()
	return s, nil
}

// BundleAction is OP's authorize page for the whole bundle: one approval for every payment in it.
func (b *Bank) BundleAction(bu *Bundle) (*provider.Action, error) {
	if bu.state == "" {
		var err error
		if bu.state, err = b.newState(); err != nil {
			return nil, err
		}
		if bu.nonce, err = b.uuid(); err != nil {
			return nil, err
		}
	}
	act, err := b.action(&memo{AuthorizationID: bu.AuthorizationID, State: bu.state, Nonce: bu.nonce})
	if err != nil {
		return nil, err
	}
	act.Message = fmt.Sprintf("Open OP's page, log in once and approve the %d payments there, then paste the address OP sends your browser back to.", len(bu.Items))
	return act, nil
}

// CompleteBundle takes the address OP sent the browser back to, exchanges the code (one SCA
// for the bundle), and submits every payment the payer approved; the others end as OP says
// (Rejected). Each item's State is updated; the first error is returned after all are tried.
func (b *Bank) CompleteBundle(ctx context.Context, bu *Bundle, callbackURL string) error {
	cb, err := ParseCallback(callbackURL, b.cfg.RedirectURI)
	if err != nil {
		return err
	}
	if bu.state == "" || cb.State != bu.state {
		return errors.New("that address belongs to another approval, not this bundle's")
	}
	if cb.Error != "" {
		return b.PollBundle(ctx, bu)
	}
	u, err := b.exchange(ctx, cb.Code, bu.AuthorizationID, bu.nonce)
	if err != nil {
		return err
	}
	var first error
	for i := range bu.Items {
		m, err := decodeMemo(bu.Items[i].State.Blob)
		if err != nil {
			return err
		}
		s, err := b.submitOne(ctx, m, u)
		if s.Blob != nil {
			bu.Items[i].State = s
		}
		if err != nil && first == nil {
			first = fmt.Errorf("payment %d of the bundle: %w", i+1, err)
		}
	}
	return first
}

// PollBundle reads every unfinished payment's state.
func (b *Bank) PollBundle(ctx context.Context, bu *Bundle) error {
	var first error
	for i, it := range bu.Items {
		if it.State.Final {
			continue
		}
		s, err := b.Status(ctx, provider.Payment{State: it.State})
		if err != nil {
			if first == nil {
				first = fmt.Errorf("payment %d of the bundle: %w", i+1, err)
			}
			continue
		}
		bu.Items[i].State = s
	}
	return first
}
