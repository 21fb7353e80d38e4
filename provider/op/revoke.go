package op

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/payterm/payterm/provider"
)

var _ provider.Canceller = (*Bank)(nil)

// Authorization is what OP says of a bundle.
type Authorization struct {
	ID         string
	Status     string // an AuthorizationStatus word
	PaymentIDs []string
}

// DecodeAuthorization reads an authorization: the id printable, the status documented, at
// most MaxBundle·10 payment ids, each printable.
func DecodeAuthorization(b []byte) (Authorization, error) {
	var w struct {
		ID         *string  `json:"authorizationId"`
		Status     *string  `json:"status"`
		PaymentIDs []string `json:"paymentIds"`
	}
	if err := strictJSON("authorization", b, &w); err != nil {
		return Authorization{}, err
	}
	if w.ID == nil || !printableID(*w.ID, maxIDLen) || w.Status == nil {
		return Authorization{}, decodeErr("authorization", "authorizationId or status missing")
	}
	if _, ok := authStatuses[*w.Status]; !ok {
		return Authorization{}, decodeErr("authorization", "status is not one OP documents")
	}
	if len(w.PaymentIDs) > MaxBundle*10 {
		return Authorization{}, decodeErr("authorization", "too many payments")
	}
	for _, id := range w.PaymentIDs {
		if !printableID(id, maxIDLen) {
			return Authorization{}, decodeErr("authorization", "a payment id is not printable")
		}
	}
	return Authorization{ID: *w.ID, Status: *w.Status, PaymentIDs: w.PaymentIDs}, nil
}

// authorizationCall reads (GET) or revokes (DELETE) a bundle with the client token.
func (b *Bank) authorizationCall(ctx context.Context, method, authID string) (Authorization, error) {
	token, err := b.clientToken(ctx)
	if err != nil {
		return Authorization{}, err
	}
	a, err := b.call(ctx, method, pisPath+"/authorizations/"+url.PathEscape(authID), token, nil, nil)
	if err != nil {
		return Authorization{}, sentErr(a.id, a.status, "OP's answer about the authorization was lost or is not signed by OP", err, provider.ErrOutcomeUnknown)
	}
	if a.status != http.StatusOK {
		ae := DecodeAPIError(a.status, a.body)
		if a.status == http.StatusNotFound {
			return Authorization{}, sentErr(a.id, a.status, "OP has no such authorization", ae, provider.ErrNotFound)
		}
		return Authorization{}, sentErr(a.id, a.status, "OP refused the authorization call", ae)
	}
	au, err := DecodeAuthorization(a.body)
	if err != nil {
		return Authorization{}, sentErr(a.id, a.status, "OP's authorization is unreadable", err)
	}
	if au.ID != authID {
		return Authorization{}, sentErr(a.id, a.status, "OP answered about another authorization", nil)
	}
	return au, nil
}

// BundleOf reads a bundle: its status and its payments.
func (b *Bank) BundleOf(ctx context.Context, authID string) (Authorization, error) {
	return b.authorizationCall(ctx, http.MethodGet, authID)
}

// RevokeWarning is what the screen says before it asks to revoke a bundle of n payments.
func RevokeWarning(n int) string {
	if n == 1 {
		return "Revoking this authorization at OP revokes its payment."
	}
	return fmt.Sprintf("Revoking this authorization at OP revokes every payment in it: all %d of them, not only this one.", n)
}

// RevokeBundle revokes the whole bundle at OP (DELETE /authorizations/{id}): every payment in
// it not yet submitted. The tokens held for it are dropped.
func (b *Bank) RevokeBundle(ctx context.Context, authID string) (Authorization, error) {
	au, err := b.authorizationCall(ctx, http.MethodDelete, authID)
	if err == nil {
		b.mu.Lock()
		delete(b.users, authID)
		b.mu.Unlock()
		_ = b.keepTokens()
	}
	return au, err
}

// Cancel revokes one payment before it is submitted (DELETE /sepa-payments/{id}); OP keeps
// the rest of its bundle.
func (b *Bank) Cancel(ctx context.Context, p provider.Payment) (provider.State, *provider.Action, error) {
	m, err := decodeMemo(p.State.Blob)
	if err != nil {
		return provider.State{}, nil, err
	}
	token, err := b.clientToken(ctx)
	if err != nil {
		return p.State, nil, err
	}
	a, err := b.call(ctx, http.MethodDelete, paymentsPath(m.Foreign)+"/"+url.PathEscape(m.PaymentID), token, nil, nil)
	if err != nil {
		return p.State, nil, sentErr(a.id, a.status, "OP's answer to the revocation was lost or is not signed by OP", err, provider.ErrOutcomeUnknown)
	}
	if a.status != http.StatusOK {
		ae := DecodeAPIError(a.status, a.body)
		return p.State, nil, sentErr(a.id, a.status, "OP did not revoke the payment", ae)
	}
	pay, err := decodePaymentOf(m.Foreign, a.body)
	if err != nil || pay.PaymentID != m.PaymentID {
		return p.State, nil, sentErr(a.id, a.status, "OP's answer to the revocation is unreadable", err)
	}
	s := stateOf(authStatuses, pay.Status, pay.PaymentID)
	s.InteractionID, s.Blob = a.id, m.encode()
	return s, nil, nil
}
