package xs2aprov

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/xs2a"
)

// Approve drives the bank's SCA of a created payment, per approach:
//   - redirect: the 201's scaRedirect (implicit) or the one a started authorisation gives
//     (explicit, SpareBank 1) is shown; polled. A confirmation code the redirect back carries
//     (scaStatus unconfirmed) is passed on from Input.CallbackURL.
//   - decoupled: the authorisation is started (and the payer identified by PSU-ID); the bank's
//     app approves; polled.
//   - embedded: the authorisation is started, then the password, the method (when the bank
//     offers several) and the TAN are passed on one by one; a wrong one is asked again with
//     AttemptsLeft, until the bank fails the authorisation and the payment is Rejected.
//   - OAuth (Bank of Georgia): the bank's metadata is read, an authorisation-code request with
//     PKCE and state (both kept in memory only) is shown; Input.CallbackURL carries the code,
//     which is swapped for a token that rides on this payment's calls while this run lives.
//
// A zero Input starts the approval or checks how it stands. The returned State carries the
// memory (Blob); the Action is nil once the bank no longer waits for the payer.
func (b *Bank) Approve(ctx context.Context, p provider.Payment, in provider.Input) (provider.State, *provider.Action, error) {
	f, err := b.flow(ctx, p, false)
	if err != nil {
		return provider.State{}, nil, err
	}
	if p.State.Final {
		return p.State, nil, nil
	}
	n := 0
	for _, s := range []string{in.Password, in.MethodID, in.OTP, in.CallbackURL} {
		if s != "" {
			n++
		}
	}
	switch {
	case n > 1:
		return f.waiting(), nil, errors.New("answer one question of the bank at a time: the password, the method, the code or the address")
	case in.CallbackURL != "":
		return f.callback(in.CallbackURL)
	case in.Password != "":
		return f.secretStep("password", xs2a.Update{Password: xs2a.Secret(in.Password)})
	case in.MethodID != "":
		return f.method(in.MethodID)
	case in.OTP != "":
		return f.secretStep("one-time code", xs2a.Update{TAN: xs2a.Secret(in.OTP)})
	}
	return f.poll()
}

// approval is one call of Approve or Cancel on one payment.
type approval struct {
	b      *Bank
	ctx    context.Context
	cur    provider.State
	m      *memo
	cancel bool // the cancellation's authorisation, not the payment's
	depth  int
}

func (b *Bank) flow(ctx context.Context, p provider.Payment, cancel bool) (*approval, error) {
	m, err := decodeMemo(p.State.Blob)
	if err != nil {
		return nil, err
	}
	cur := p.State
	if cur.BankRef == "" {
		cur.BankRef = m.PaymentID
	}
	return &approval{b: b, ctx: ctx, cur: cur, m: m, cancel: cancel}, nil
}

func (f *approval) auth() *authMemo {
	if f.cancel {
		return f.m.Cancel
	}
	return f.m.Auth
}

func (f *approval) setAuth(a *authMemo) {
	if f.cancel {
		f.m.Cancel = a
	} else {
		f.m.Auth = a
	}
}

// startLinks are the links that hold the start of the authorisation: the payment's, or a 202
// cancellation's.
func (f *approval) startLinks() map[string]string {
	if f.cancel {
		return f.m.CancelLinks
	}
	return f.m.Links
}

// waiting is the state while the bank waits for the payer: as recorded, with the memory.
func (f *approval) waiting() provider.State {
	st := f.cur
	if st.Status == "" && !f.cancel {
		st.Status = provider.StatusAwaitingBankSCA
	}
	st.Blob = f.m.encode()
	return st
}

// poll starts the authorisation when none is running, else reads its scaStatus.
func (f *approval) poll() (provider.State, *provider.Action, error) {
	a := f.auth()
	if a == nil {
		return f.begin()
	}
	l, ok := link("scaStatus", a.Links)
	if !ok && !f.cancel {
		l, ok = link("scaStatus", f.m.Links)
	}
	if !ok {
		return f.next(nil)
	}
	rep, _, err := f.b.exchange(f.ctx, f.m.PaymentID, func(c xs2a.Call) (*xs2a.Request, error) { return f.b.cl.BuildGetSCAStatus(l, c) })
	if err != nil {
		return f.waiting(), nil, err
	}
	return f.after(rep.Authorisation)
}

// begin starts what the bank's links offer.
func (f *approval) begin() (provider.State, *provider.Action, error) {
	links := f.startLinks()
	pick := func(names ...string) map[string]string {
		out := map[string]string{}
		for _, n := range names {
			if h, ok := links[n]; ok {
				out[n] = h
			}
		}
		return out
	}
	switch {
	case !f.cancel && has(links, "scaOAuth"):
		f.setAuth(&authMemo{Links: pick("scaStatus", "scaOAuth")})
		return f.poll()
	case !f.cancel && has(links, "scaStatus"): // implicit: the 201 started it (redirect)
		f.setAuth(&authMemo{Links: pick("scaStatus", "scaRedirect")})
		return f.poll()
	}
	for _, name := range []string{"startAuthorisationWithPsuAuthentication", "startAuthorisationWithPsuIdentification", "startAuthorisation",
		"startAuthorisationWithAuthenticationMethodSelection", "startAuthorisationWithEncryptedPsuAuthentication", "startAuthorisationWithTransactionAuthorisation"} {
		if l, ok := link(name, links); ok {
			return f.start(l)
		}
	}
	if f.cancel {
		return f.waiting(), nil, errors.New("the bank asked to approve the cancellation but gave no way to do it here: cancel the payment in your online banking")
	}
	// No authorisation to run: the bank may have exempted it. Its status says.
	st, err := f.b.status(f.ctx, f.m)
	if err == nil && st.Status == provider.StatusAwaitingBankSCA {
		err = errors.New("the bank gave no way to approve this payment here: approve it in your bank's app or online banking, or cancel it")
	}
	return st, nil, err
}

// start starts the authorisation with an empty body (the payer's secrets go in the steps that
// follow, never in the start), with PSU-ID when the wallet knows it.
func (f *approval) start(l xs2a.Link) (provider.State, *provider.Action, error) {
	if strings.HasSuffix(l.Name, "PsuAuthentication") && !f.b.cfg.Client.AllowEmbedded {
		return f.waiting(), nil, errors.New("this bank asks for your online-banking password in the wallet, which payterm is set not to take: approve the payment in your online banking, or cancel it")
	}
	if l.Name == "startAuthorisationWithPsuIdentification" || l.Name == "startAuthorisationWithPsuAuthentication" {
		if !f.b.prof.PSUSession && f.b.cfg.PSUID == "" {
			return f.waiting(), nil, errors.New("this bank needs your user id at the bank to approve the payment: set it for this bank (psu_id), or approve the payment in your online banking")
		}
	}
	rep, req, err := f.b.exchange(f.ctx, f.m.PaymentID, func(c xs2a.Call) (*xs2a.Request, error) {
		return f.b.cl.BuildStartAuthorisation(l, xs2a.StartAuth{}, c)
	})
	var be *xs2a.BankError
	switch {
	case err == nil:
		f.setAuth(&authMemo{})
		return f.after(rep.Authorisation)
	case errors.As(err, &be) && be.HTTPStatus == 409 && be.Links["scaStatus"].Href != "":
		// One is running already (an earlier start whose answer was lost): follow it.
		f.setAuth(&authMemo{Links: map[string]string{"scaStatus": be.Links["scaStatus"].Href}})
		if f.depth++; f.depth > 3 {
			return f.waiting(), nil, wrap(req, err, "the bank's authorisation could not be followed")
		}
		return f.poll()
	}
	return f.waiting(), nil, err
}

// after records an authorisation answer and says what happens next.
func (f *approval) after(a *xs2a.Authorisation) (provider.State, *provider.Action, error) {
	am := f.auth()
	if am == nil {
		am = &authMemo{}
		f.setAuth(am)
	}
	if a.AuthorisationID != "" {
		am.ID = a.AuthorisationID
	}
	if a.SCAStatus != "" {
		am.SCAStatus = string(a.SCAStatus)
	}
	links := hrefs(a.Links)
	if links == nil {
		links = map[string]string{}
	}
	if _, ok := links["scaStatus"]; !ok && am.Links["scaStatus"] != "" {
		links["scaStatus"] = am.Links["scaStatus"]
	}
	am.Links = links
	if len(a.Methods) > 0 {
		am.Methods = am.Methods[:0]
		for _, mm := range a.Methods {
			label := mm.Name
			if label == "" {
				label = mm.Type
			}
			if label == "" {
				label = mm.ID
			}
			am.Methods = append(am.Methods, methodMemo{ID: mm.ID, Label: safetext.Short(label, 140)})
		}
	}
	if a.Challenge != nil {
		words := a.Challenge.AdditionalInformation
		if a.ChosenMethod != nil && a.ChosenMethod.Name != "" {
			words = strings.TrimSpace(words + " (" + a.ChosenMethod.Name + ")")
		}
		am.Challenge = safetext.Short(words, 500)
	}
	if a.PSUMessage != "" {
		am.Message = safetext.Short(a.PSUMessage, 500)
	}
	switch a.SCAStatus {
	case xs2a.SCAFinalised, xs2a.SCAExempted:
		if f.cancel {
			return f.cancelled()
		}
		st, err := f.b.status(f.ctx, f.m)
		return st, nil, err
	case xs2a.SCAFailed:
		if f.cancel {
			st, err := f.b.status(f.ctx, f.m)
			if err == nil {
				err = errors.New("the cancellation was not approved at your bank: the payment goes on")
			}
			return st, nil, err
		}
		if f.m.Reason == "" {
			f.m.Reason = "Your bank's approval of the payment failed or was declined."
		}
		st, err := f.b.status(f.ctx, f.m)
		if err == nil && st.Final {
			// The bank has decided the payment already (a cancellation ends its authorisation
			// as failed: the payment is CANC, not rejected): its own status stands.
			return st, nil, nil
		}
		if err != nil {
			st = f.waiting()
		}
		// The authorisation failed for good: the payment will not be executed, whatever the
		// bank's status says yet.
		st.Status, st.Final, st.RejectMessage = provider.StatusRejected, true, f.m.Reason
		st.Blob = f.m.encode()
		return st, nil, nil
	}
	return f.next(a)
}

// next is the payer's next step while the authorisation is not final.
func (f *approval) next(a *xs2a.Authorisation) (provider.State, *provider.Action, error) {
	am := f.auth()
	if am == nil {
		return f.waiting(), nil, errMemo
	}
	payLinks := map[string]string(nil)
	if !f.cancel {
		payLinks = f.m.Links
	}
	left := max(f.b.cfg.MaxAttempts-am.Wrong, 0)
	msg := am.Message
	switch {
	case am.SCAStatus == string(xs2a.SCAUnconfirmed):
		act := &provider.Action{Kind: provider.ActionRedirect, NeedsCallback: true, Message: msg}
		if l, ok := link("scaRedirect", am.Links, payLinks); ok {
			act.URL = l.Href
		}
		return f.waiting(), act, nil
	case has(am.Links, "scaOAuth") || has(payLinks, "scaOAuth") && !f.cancel:
		return f.oauthAction()
	case has(am.Links, "updatePsuIdentification"):
		if f.depth++; f.depth > 3 {
			return f.waiting(), nil, errors.New("the bank keeps asking who you are: approve the payment in your bank's app or online banking")
		}
		return f.identify()
	case has(am.Links, "authoriseTransaction"):
		return f.waiting(), &provider.Action{Kind: provider.ActionOTP, Challenge: am.Challenge, AttemptsLeft: left, Message: msg}, nil
	case has(am.Links, "selectAuthenticationMethod") && len(am.Methods) == 0:
		// The bank lists the methods only in its answer to the password, and that answer was
		// lost (or payterm stopped before storing it): nothing can be picked, and the bank
		// takes no new password in this authorisation. The payment still waits at the bank.
		return f.waiting(), nil, errors.New("the bank's list of ways to send your one-time code was lost on its way to payterm, and the bank does not give it again: approve the payment in your online banking, or cancel it")
	case has(am.Links, "selectAuthenticationMethod"):
		ms := make([]provider.Method, len(am.Methods))
		for i, mm := range am.Methods {
			ms[i] = provider.Method{ID: mm.ID, Label: mm.Label}
		}
		return f.waiting(), &provider.Action{Kind: provider.ActionChooseMethod, Methods: ms, Message: msg}, nil
	case has(am.Links, "updatePsuAuthentication") || has(am.Links, "updateEncryptedPsuAuthentication"):
		return f.waiting(), &provider.Action{Kind: provider.ActionPassword, AttemptsLeft: left, Message: msg}, nil
	case has(am.Links, "scaRedirect") || has(payLinks, "scaRedirect") && f.m.Approach != string(xs2a.Decoupled):
		l, _ := link("scaRedirect", am.Links, payLinks)
		return f.waiting(), &provider.Action{Kind: provider.ActionRedirect, URL: l.Href, Message: msg, PollAfter: pollAfter}, nil
	case f.m.Approach == string(xs2a.Decoupled) || a != nil && a.Approach == xs2a.Decoupled || am.SCAStatus == string(xs2a.SCAPSUIdentified):
		if msg == "" {
			msg = "Approve the payment in your bank's app."
		}
		return f.waiting(), &provider.Action{Kind: provider.ActionDecoupled, Message: msg, PollAfter: pollAfter}, nil
	}
	return f.waiting(), nil, errors.New("the bank gave no next step for approving: approve the payment in your bank's app or online banking, or cancel it")
}

// identify tells the bank who the payer is (update PSU data with PSU-ID), for the decoupled
// approach: the bank's app then asks the payer.
func (f *approval) identify() (provider.State, *provider.Action, error) {
	if !f.b.prof.PSUSession && f.b.cfg.PSUID == "" {
		return f.waiting(), nil, errors.New("this bank needs your user id at the bank to send the approval to its app: set it for this bank (psu_id), or approve the payment in your online banking")
	}
	l, _ := link("updatePsuIdentification", f.auth().Links)
	rep, _, err := f.b.exchange(f.ctx, f.m.PaymentID, func(c xs2a.Call) (*xs2a.Request, error) {
		return f.b.cl.BuildUpdatePSUData(l, xs2a.Update{Identification: true}, c)
	})
	if errors.Is(err, provider.ErrOutcomeUnknown) {
		return f.poll()
	}
	if err != nil {
		return f.waiting(), nil, err
	}
	return f.after(rep.Authorisation)
}

// secretStep passes the payer's password or TAN on. A wrong one is an Action again with fewer
// attempts left; the bank's last refusal fails the authorisation (Rejected).
func (f *approval) secretStep(what string, u xs2a.Update) (provider.State, *provider.Action, error) {
	if !u.Password.IsZero() && !f.b.cfg.Client.AllowEmbedded {
		return f.waiting(), nil, errors.New("payterm is set not to take your online-banking password: approve the payment in your online banking, or cancel it")
	}
	am := f.auth()
	if am == nil { // the authorisation is started first, then the secret follows
		if _, _, err := f.begin(); err != nil {
			return f.waiting(), nil, err
		}
		if am = f.auth(); am == nil {
			return f.waiting(), nil, fmt.Errorf("the bank is not asking for a %s now: ask it again what it needs", what)
		}
	}
	name := "authoriseTransaction"
	if !u.Password.IsZero() {
		name = "updatePsuAuthentication"
	}
	l, ok := link(name, am.Links)
	if !ok {
		st, act, err := f.poll()
		if err == nil {
			err = fmt.Errorf("the bank is not asking for your %s now: answer what it asks", what)
		}
		return st, act, err
	}
	rep, _, err := f.b.exchange(f.ctx, f.m.PaymentID, func(c xs2a.Call) (*xs2a.Request, error) { return f.b.cl.BuildUpdatePSUData(l, u, c) })
	var be *xs2a.BankError
	switch {
	case err == nil:
		return f.after(rep.Authorisation)
	case errors.As(err, &be) && be.HTTPStatus == 401 && be.Code() == "PSU_CREDENTIALS_INVALID":
		am.Wrong++
		st, act, perr := f.poll()
		if act != nil && (act.Kind == provider.ActionPassword || act.Kind == provider.ActionOTP) {
			act.Message = "The bank did not accept that " + what + ". " + act.Message
			act.Message = strings.TrimSpace(act.Message)
		}
		return st, act, perr
	case errors.Is(err, provider.ErrOutcomeUnknown):
		// The answer was lost: the bank's scaStatus says whether it took the step.
		return f.poll()
	}
	return f.waiting(), nil, err
}

// method passes the payer's choice of SCA method on.
func (f *approval) method(id string) (provider.State, *provider.Action, error) {
	am := f.auth()
	if am == nil {
		return f.waiting(), nil, errors.New("the bank is not asking for a method now: ask it again what it needs")
	}
	known := false
	for _, mm := range am.Methods {
		known = known || mm.ID == id
	}
	l, ok := link("selectAuthenticationMethod", am.Links)
	if !known || !ok {
		return f.waiting(), nil, errors.New("that is not one of the methods the bank offered: pick one from the list")
	}
	rep, _, err := f.b.exchange(f.ctx, f.m.PaymentID, func(c xs2a.Call) (*xs2a.Request, error) {
		return f.b.cl.BuildUpdatePSUData(l, xs2a.Update{AuthenticationMethod: id}, c)
	})
	if errors.Is(err, provider.ErrOutcomeUnknown) {
		return f.poll()
	}
	if err != nil {
		return f.waiting(), nil, err
	}
	return f.after(rep.Authorisation)
}

// callback reads the address the payer's browser landed on: the OAuth code, or a redirect's
// confirmation code; otherwise it only says the payer is back, and the bank is asked.
func (f *approval) callback(raw string) (provider.State, *provider.Action, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || !f.b.ourRedirect(u) {
		return f.waiting(), nil, errNotOurRedirect
	}
	q := u.Query()
	if !f.cancel && (f.m.Approach == string(xs2a.OAuth) || has(f.m.Links, "scaOAuth")) {
		return f.oauthCallback(q)
	}
	am := f.auth()
	if code := q.Get("confirmationCode"); code != "" && am != nil && am.SCAStatus == string(xs2a.SCAUnconfirmed) {
		l, ok := link("confirmation", am.Links)
		if !ok {
			l, ok = link("scaStatus", am.Links)
		}
		if !ok {
			return f.waiting(), nil, errMemo
		}
		rep, _, err := f.b.exchange(f.ctx, f.m.PaymentID, func(c xs2a.Call) (*xs2a.Request, error) {
			return f.b.cl.BuildUpdatePSUData(l, xs2a.Update{ConfirmationCode: xs2a.Secret(code)}, c)
		})
		if errors.Is(err, provider.ErrOutcomeUnknown) {
			return f.poll()
		}
		if err != nil {
			return f.waiting(), nil, err
		}
		return f.after(rep.Authorisation)
	}
	return f.poll()
}

// ourRedirect: u is one of the addresses the bank sends the browser back to (scheme, host
// and path; the query is the bank's).
// CheckCallback refuses an address that cannot be the bank's answer (provider.CallbackChecker):
// not one of the redirect addresses payterm registered, or unreadable.
func (b *Bank) CheckCallback(raw string) error {
	if u, err := url.Parse(strings.TrimSpace(raw)); err != nil || !b.ourRedirect(u) {
		return errNotOurRedirect
	}
	return nil
}

// errNotOurRedirect: a pasted address is not one payterm asked the bank to send the browser to.
var errNotOurRedirect = errors.New("that is not the address payterm asked the bank to send your browser back to: paste the address your browser shows after the bank's page")

func (b *Bank) ourRedirect(u *url.URL) bool {
	for _, r := range []string{b.cfg.Client.RedirectURI, b.cfg.Client.NokRedirectURI} {
		ru, err := url.Parse(r)
		if r != "" && err == nil && strings.EqualFold(ru.Scheme, u.Scheme) && strings.EqualFold(ru.Host, u.Host) && ru.Path == u.Path {
			return true
		}
	}
	return false
}

func has(m map[string]string, name string) bool {
	_, ok := m[name]
	return ok
}
