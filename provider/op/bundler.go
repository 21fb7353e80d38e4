package op

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/payterm/payterm/provider"
)

// The core's side of bundles (provider.Bundler): the core builds, stores and sends each payment
// of a bundle as an ordinary payment and asks for one approval; OP's wire format (the
// authorizationId in the 2nd… body, one state and nonce for the bundle's page) stays here.

var _ provider.Bundler = (*Bank)(nil)

// BuildBundled checks the intent and signs its request; a payment after the first carries the
// first's authorizationId in its signed body, so OP puts it in the same bundle. Nothing leaves.
func (b *Bank) BuildBundled(ctx context.Context, in provider.Intent, _ provider.Evidence, _ provider.Facts, first *provider.State) (provider.Request, error) {
	if in.Product == ForeignProductID {
		return provider.Request{}, ErrBundleMix
	}
	authID := ""
	if first != nil {
		m, err := decodeMemo(first.Blob)
		if err != nil {
			return provider.Request{}, fmt.Errorf("the bundle's first payment: %w", err)
		}
		authID = m.AuthorizationID
	}
	body, err := b.paymentBody(in, authID)
	if err != nil {
		return provider.Request{}, err
	}
	provider.ReportStep(ctx, StepSigned, provider.StepRunning, nil)
	req, err := b.sign(in.IdempotencyKey, body)
	if err == nil {
		req, err = markBundled(req)
	}
	if err != nil {
		provider.ReportStep(ctx, StepSigned, provider.StepFailed, err)
		return provider.Request{}, err
	}
	provider.ReportStep(ctx, StepSigned, provider.StepDone, nil)
	return req, nil
}

// markBundled flags the stored request as a bundle's: the signed body and its JWS are kept as
// they are.
func markBundled(req provider.Request) (provider.Request, error) {
	st, err := decodeStored(req.Bytes)
	if err != nil {
		return provider.Request{}, err
	}
	st.Bundled = true
	out, err := json.Marshal(st)
	if err != nil {
		return provider.Request{}, err
	}
	req.Bytes = out
	return req, nil
}

// ApproveBundle asks for one approval at OP for the created payments ps (all of one
// authorizationId). A zero Input gives OP's page (a new state and nonce, written into every
// payment's memo, when they do not already share one) and, for a bundle already shown, reads
// where each payment is: one OP holds as approved whose payer token is held (the code was
// exchanged before a restart) is submitted now. The address OP sent the browser back to is
// exchanged once and every approved payment submitted (CompleteBundle).
func (b *Bank) ApproveBundle(ctx context.Context, ps []provider.Payment, in provider.Input) ([]provider.State, *provider.Action, error) {
	if len(ps) == 0 || len(ps) > MaxBundle {
		return nil, nil, fmt.Errorf("a bundle holds 1 to %d payments", MaxBundle)
	}
	if in.Password != "" || in.MethodID != "" || in.OTP != "" {
		return nil, nil, errors.New("OP asks nothing in the wallet: approve on OP's page, then paste the address it sends you back to")
	}
	memos := make([]*memo, len(ps))
	for i, p := range ps {
		m, err := decodeMemo(p.State.Blob)
		if err != nil {
			return nil, nil, fmt.Errorf("payment %d of the bundle: %w", i+1, err)
		}
		if i > 0 && m.AuthorizationID != memos[0].AuthorizationID {
			return nil, nil, fmt.Errorf("payment %d of the bundle is under another authorization at OP", i+1)
		}
		memos[i] = m
	}
	bu := &Bundle{AuthorizationID: memos[0].AuthorizationID, state: memos[0].State, nonce: memos[0].Nonce}
	fresh := bu.state == "" || bu.nonce == ""
	for _, m := range memos {
		fresh = fresh || m.State != bu.state || m.Nonce != bu.nonce
	}
	if fresh {
		var err error
		if bu.state, err = b.newState(); err != nil {
			return nil, nil, err
		}
		if bu.nonce, err = b.uuid(); err != nil {
			return nil, nil, err
		}
	}
	for i, m := range memos {
		if m.SubmissionID == "" {
			m.State, m.Nonce = bu.state, bu.nonce
		}
		s := ps[i].State
		s.Blob = m.encode()
		bu.Items = append(bu.Items, BundleItem{Request: ps[i].Request, State: s})
	}
	states := func() []provider.State {
		out := make([]provider.State, len(bu.Items))
		for i, it := range bu.Items {
			out[i] = it.State
		}
		return out
	}
	act, err := b.BundleAction(bu)
	if err != nil {
		return states(), nil, err
	}
	awaiting := func() *provider.Action {
		for _, it := range bu.Items {
			if !it.State.Final && it.State.Status == provider.StatusAwaitingBankSCA {
				return act
			}
		}
		return nil
	}
	if in.CallbackURL == "" {
		if fresh {
			return states(), act, nil
		}
		for i, it := range bu.Items {
			if it.State.Final || it.State.Status != provider.StatusAwaitingBankSCA {
				continue
			}
			m, _ := decodeMemo(it.State.Blob)
			s, _, err := b.approvePoll(ctx, m, it.State, act)
			if s.Blob != nil {
				bu.Items[i].State = s
			}
			if err != nil {
				return states(), awaiting(), fmt.Errorf("payment %d of the bundle: %w", i+1, err)
			}
		}
		return states(), awaiting(), nil
	}
	if err := b.CompleteBundle(ctx, bu, in.CallbackURL); err != nil {
		return states(), awaiting(), err
	}
	return states(), awaiting(), nil
}

// RevokeWarning is what the screen says before it asks to revoke a bundle of n payments.
func (b *Bank) RevokeWarning(n int) string { return RevokeWarning(n) }

// RevokeBundlePayments revokes the bundle at OP (RevokeBundle: DELETE /authorizations/{id})
// and reads every payment back: those not yet submitted end revoked, a submitted one goes on.
func (b *Bank) RevokeBundlePayments(ctx context.Context, ps []provider.Payment) ([]provider.State, error) {
	if len(ps) == 0 {
		return nil, errors.New("a bundle holds at least one payment")
	}
	auth := ""
	for i, p := range ps {
		m, err := decodeMemo(p.State.Blob)
		if err != nil {
			return nil, fmt.Errorf("payment %d of the bundle: %w", i+1, err)
		}
		if i > 0 && m.AuthorizationID != auth {
			return nil, fmt.Errorf("payment %d of the bundle is under another authorization at OP", i+1)
		}
		auth = m.AuthorizationID
	}
	if _, err := b.RevokeBundle(ctx, auth); err != nil {
		return nil, err
	}
	out := make([]provider.State, len(ps))
	var first error
	for i, p := range ps {
		s, err := b.Status(ctx, p)
		if err != nil {
			s = p.State
			if first == nil {
				first = fmt.Errorf("payment %d of the bundle: %w", i+1, err)
			}
		}
		out[i] = s
	}
	return out, first
}
