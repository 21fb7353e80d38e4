package xs2aprov

import (
	"errors"
	"net/url"
	"time"

	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/xs2a"
)

// The OAuth SCA approach (Bank of Georgia's only one). Its state, PKCE verifier, code and
// access token are secrets: they live in this run's memory only, never in the Blob, an error
// or an Action. After a restart the flow starts again (a new state and verifier); a token that
// is gone only means later calls of the payment go without it (the bank takes payment calls
// without one: BG sends Authorization only after an OAuth SCA).

// oauthFlow is one authorization request waiting for the browser to come back.
type oauthFlow struct {
	az      *xs2a.OAuthAuthorization
	started time.Time
}

// token is a payment's OAuth access token.
type token struct {
	value   xs2a.Secret
	expires time.Time
}

const (
	// oauthFlowTTL bounds how long a flow waits for its redirect (the bank's SCA timeout is
	// five minutes; its codes live a minute).
	oauthFlowTTL = 10 * time.Minute
	// defaultTokenLife is assumed when the token answer names no expires_in.
	defaultTokenLife = 5 * time.Minute
)

// oauthAction shows the authorization request of this payment: the one this run started, or a
// new one (the bank's metadata read again).
func (f *approval) oauthAction() (provider.State, *provider.Action, error) {
	b := f.b
	now := b.cfg.Clock()
	b.mu.Lock()
	for id, fl := range b.oauth {
		if now.Sub(fl.started) > oauthFlowTTL {
			delete(b.oauth, id)
		}
	}
	fl := b.oauth[f.m.PaymentID]
	b.mu.Unlock()
	if fl == nil {
		l, ok := link("scaOAuth", f.auth().Links, f.m.Links)
		if !ok {
			return f.waiting(), nil, errMemo
		}
		rep, _, err := b.exchange(f.ctx, f.m.PaymentID, func(xs2a.Call) (*xs2a.Request, error) { return b.cl.BuildOAuthMetadata(l) })
		if err != nil {
			return f.waiting(), nil, err
		}
		az, err := b.cl.StartOAuth(rep.OAuthMetadata, f.m.PaymentID, "")
		if err != nil {
			return f.waiting(), nil, inputError("the approval at the bank cannot be started", err)
		}
		fl = &oauthFlow{az: az, started: now}
		b.mu.Lock()
		b.oauth[f.m.PaymentID] = fl
		b.mu.Unlock()
	}
	return f.waiting(), &provider.Action{Kind: provider.ActionRedirect, URL: fl.az.AuthorizeURL, NeedsCallback: true, Message: f.auth().Message}, nil
}

// oauthCallback swaps the code of the redirect back for a token (mTLS, once: a code is single
// use), then reads the authorisation, which the bank finalises on the swap.
func (f *approval) oauthCallback(q url.Values) (provider.State, *provider.Action, error) {
	b := f.b
	b.mu.Lock()
	fl := b.oauth[f.m.PaymentID]
	b.mu.Unlock()
	if fl == nil {
		return f.waiting(), nil, errors.New("this answer belongs to an approval payterm no longer holds (it restarted, or the page is over 10 minutes old): open the bank's page again")
	}
	code, err := xs2a.ParseOAuthCallback(q, fl.az)
	var denied *xs2a.OAuthDeniedError
	switch {
	case errors.As(err, &denied):
		b.forgetFlow(f.m.PaymentID, fl)
		f.m.Reason = "You declined the payment at your bank."
		if denied.Code != "access_denied" {
			f.m.Reason = "Your bank's authorisation server refused the approval."
		}
		st, serr := b.status(f.ctx, f.m)
		if serr != nil {
			return f.waiting(), nil, serr
		}
		if !st.Final {
			return st, nil, errors.New(denied.Error())
		}
		return st, nil, nil
	case err != nil:
		// Another flow's redirect, a forged one, a malformed one: nothing of it is used, and
		// the flow stays for the right one.
		return f.waiting(), nil, err
	}
	b.forgetFlow(f.m.PaymentID, fl)
	req, err := b.cl.BuildTokenRequest(fl.az, code)
	if err != nil {
		return f.waiting(), nil, inputError("the bank's answer cannot be used", err)
	}
	rep, err := b.cl.Send(f.ctx, req)
	if err == nil {
		life := rep.Token.ExpiresIn
		if life <= 0 {
			life = defaultTokenLife
		}
		b.mu.Lock()
		b.tokens[f.m.PaymentID] = token{value: rep.Token.AccessToken, expires: b.cfg.Clock().Add(life)}
		b.mu.Unlock()
		return f.poll()
	}
	// A refused or lost swap: the authorisation's status says whether the bank finalised it.
	st, act, perr := f.poll()
	if perr == nil && act != nil {
		perr = wrap(req, err, "the bank did not confirm the approval: open its page again")
	}
	return st, act, perr
}

func (b *Bank) forgetFlow(paymentID string, fl *oauthFlow) {
	b.mu.Lock()
	if b.oauth[paymentID] == fl {
		delete(b.oauth, paymentID)
	}
	b.mu.Unlock()
}
