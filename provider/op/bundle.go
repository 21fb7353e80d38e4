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

// CreateBundle creates intents as one bundle. Each intent carries its own idempotency key. On
// an error the bundle holds the payments created so far (they can be revoked together).
func (b *Bank) CreateBundle(ctx context.Context, intents []provider.Intent) (*Bundle, error) {
	if len(intents) == 0 || len(intents) > MaxBundle {
		return nil, fmt.Errorf("a bundle holds 1 to %d payments", MaxBundle)
	}
	bu := &Bundle{}
	for i, in := range intents {
		body, err := b.paymentBody(in, bu.AuthorizationID)
		if err != nil {
			return bu, fmt.Errorf("payment %d of the bundle: %w", i+1, err)
		}
		req, err := b.sign(in.IdempotencyKey, body)
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
		if i == 0 {
			bu.AuthorizationID = pay.AuthorizationID
		} else if pay.AuthorizationID != bu.AuthorizationID {
			return bu, fmt.Errorf("payment %d of the bundle: OP put it under another authorization", i+1)
		}
		bu.Items = append(bu.Items, BundleItem{Request: req, State: b.created(pay, a.id)})
	}
	return bu, nil
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
