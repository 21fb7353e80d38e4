package xs2a

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

func scaFinal(s string) bool { return s == "finalised" || s == "failed" || s == "exempted" }

// newAuthLocked creates an (cancellation-)authorisation sub-resource for p.
func (b *Bank) newAuthLocked(p *payment, cancel bool, now time.Time) *authorisation {
	a := &authorisation{ID: b.newID(), PaymentID: p.ID, Cancel: cancel, Approach: p.Approach, SCAStatus: "received",
		CreatedAt: now, Deadline: now.Add(b.cfg.SCATimeout), PageToken: b.newSecret(), PSUID: p.PSUID,
		RedirectURI: p.RedirectURI, NokRedirectURI: p.NokRedirectURI}
	if a.Approach == Redirect && b.prof.UpperSnakeSCA {
		a.SCAStatus = "started" // SpareBank 1's start-authorisation answers STARTED (seed 002)
	}
	if a.Approach == Redirect {
		if b.cfg.RequireConfirmation {
			a.NeedsConfirmation = true
		} else if _, ok := b.faults.take(FaultConfirmation); ok {
			a.NeedsConfirmation = true
		}
	}
	b.st.Auths[a.ID] = a
	if cancel {
		p.CancelAuths = append(p.CancelAuths, a.ID)
	} else {
		p.Auths = append(p.Auths, a.ID)
	}
	b.touchLocked(recAuth, a.ID)
	b.touchLocked(recPayment, p.ID)
	return a
}

// finaliseLocked ends an authorisation successfully at `at`.
func (b *Bank) finaliseLocked(p *payment, a *authorisation, at time.Time) {
	a.SCAStatus = "finalised"
	b.touchLocked(recAuth, a.ID)
	if a.Cancel {
		p.CancelPending = false
		if !finalStatus(p.Status) {
			b.setStatusLocked(p, stCANC, at)
		}
		return
	}
	if p.Status == stRCVD {
		b.setStatusLocked(p, stACTC, at)
	}
}

// failAuthLocked ends an authorisation as failed at `at`: an unauthorised payment is rejected;
// a failed cancellation leaves the payment to go on from `at`.
func (b *Bank) failAuthLocked(p *payment, a *authorisation, at time.Time) {
	a.SCAStatus = "failed"
	b.touchLocked(recAuth, a.ID)
	if a.Cancel {
		p.CancelPending = false
		p.StatusAt = at
		b.touchLocked(recPayment, p.ID)
		return
	}
	if p.Status == stRCVD {
		b.setStatusLocked(p, stRJCT, at)
	}
}

// pageURL is the browser page of a redirect authorisation.
func (b *Bank) pageURL(a *authorisation) string {
	return b.browserURL + "/sca/" + a.ID + "?t=" + a.PageToken
}

func (b *Bank) openAuthLocked(p *payment, cancel bool) *authorisation {
	ids := p.Auths
	if cancel {
		ids = p.CancelAuths
	}
	for _, id := range ids {
		if a := b.st.Auths[id]; a != nil && !scaFinal(a.SCAStatus) {
			return a
		}
	}
	return nil
}

// authLinks are the links an authorisation answer carries for its state.
func (b *Bank) authLinks(p *payment, a *authorisation) map[string]any {
	self := b.authPath(p, a)
	links := map[string]any{"scaStatus": b.link(self)}
	switch {
	case a.SCAStatus == "unconfirmed":
		links["confirmation"] = b.link(self)
	case scaFinal(a.SCAStatus):
	case a.Approach == Redirect:
		links["scaRedirect"] = map[string]any{"href": b.pageURL(a)}
	case a.Approach == OAuth:
		links["scaOAuth"] = map[string]any{"href": b.OAuthMetadataURL()}
	case a.Approach == Decoupled && a.PSUID == "":
		links["updatePsuIdentification"] = b.link(self)
	case a.Approach == Embedded:
		switch a.SCAStatus {
		case "received", "psuIdentified":
			links["updatePsuAuthentication"] = b.link(self)
		case "psuAuthenticated":
			links["selectAuthenticationMethod"] = b.link(self)
		case "scaMethodSelected":
			links["authoriseTransaction"] = b.link(self)
		}
	}
	return links
}

type psuDataJSON struct {
	Password *string `json:"password,omitempty"`
}

type authUpdateJSON struct {
	PsuData                *psuDataJSON `json:"psuData,omitempty"`
	AuthenticationMethodID *string      `json:"authenticationMethodId,omitempty"`
	ScaAuthenticationData  *string      `json:"scaAuthenticationData,omitempty"`
	ConfirmationCode       *string      `json:"confirmationCode,omitempty"`
}

func (u authUpdateJSON) fields() int {
	n := 0
	for _, set := range []bool{u.PsuData != nil, u.AuthenticationMethodID != nil, u.ScaAuthenticationData != nil, u.ConfirmationCode != nil} {
		if set {
			n++
		}
	}
	return n
}

func (b *Bank) decodeAuthBody(c *call) (authUpdateJSON, error) {
	var u authUpdateJSON
	if len(c.body) == 0 {
		return u, nil
	}
	if !isJSON(c.r) {
		c.check(RuleAuthUpdate, "authorisation request fits its state", errors.New("Content-Type is not application/json"))
		return u, fail(http.StatusUnsupportedMediaType, "FORMAT_ERROR", "send the body as Content-Type: application/json")
	}
	if err := decodeStrict(c.body, &u); err != nil {
		c.check(RuleAuthUpdate, "authorisation request fits its state", err)
		return u, formatErr("", err.Error()+" (one of psuData, authenticationMethodId, scaAuthenticationData, confirmationCode, or {})")
	}
	if u.fields() > 1 {
		c.check(RuleAuthUpdate, "authorisation request fits its state", errors.New("several update forms in one body"))
		return u, formatErr("", "send one of psuData, authenticationMethodId, scaAuthenticationData, confirmationCode per request")
	}
	if u.PsuData != nil && u.PsuData.Password == nil {
		c.check(RuleAuthUpdate, "authorisation request fits its state", errors.New("psuData without password"))
		return u, formatErr("psuData.password", "psuData needs a password")
	}
	return u, nil
}

// startAuth is POST …/authorisations and …/cancellation-authorisations.
func (b *Bank) startAuth(c *call, cancel bool) error {
	u, err := b.decodeAuthBody(c)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	p, err := b.paymentForLocked(c)
	if err != nil {
		return err
	}
	switch {
	case !cancel && p.Status != stRCVD:
		c.check(RuleAuthUpdate, "authorisation request fits its state", fmt.Errorf("payment is %s", p.Status))
		return fail(http.StatusConflict, "STATUS_INVALID", "the payment is "+p.Status+"; it needs no (further) authorisation")
	case cancel && !p.CancelPending:
		c.check(RuleAuthUpdate, "authorisation request fits its state", errors.New("no cancellation awaits authorisation"))
		return fail(http.StatusConflict, "STATUS_INVALID", "no cancellation of this payment awaits authorisation; DELETE the payment first")
	}
	if open := b.openAuthLocked(p, cancel); open != nil {
		c.check(RuleAuthUpdate, "authorisation request fits its state", errors.New("an authorisation is already running"))
		be := fail(http.StatusConflict, "STATUS_INVALID", "an authorisation of this payment is already running; follow its scaStatus link")
		be.links = map[string]any{"scaStatus": b.link(b.authPath(p, open))}
		return be
	}
	if (u.AuthenticationMethodID != nil || u.ScaAuthenticationData != nil || u.ConfirmationCode != nil) || (u.PsuData != nil && p.Approach != Embedded) {
		c.check(RuleAuthUpdate, "authorisation request fits its state", errors.New("this start form does not fit the approach"))
		return fail(http.StatusConflict, "STATUS_INVALID", "start the authorisation with an empty body"+map[bool]string{true: " or psuData", false: ""}[p.Approach == Embedded])
	}
	if p.Approach == Redirect {
		if err := b.checkRedirectHeaders(c, p.RedirectURI == ""); err != nil {
			return err
		}
		if h := c.r.Header.Get("TPP-Redirect-URI"); h != "" {
			p.RedirectURI = h
		}
		if h := c.r.Header.Get("TPP-Nok-Redirect-URI"); h != "" {
			p.NokRedirectURI = h
		}
	}
	if h := c.r.Header.Get("PSU-ID"); h != "" {
		p.PSUID = h
	}
	c.check(RuleAuthUpdate, "authorisation request fits its state", nil)
	now := b.now()
	a := b.newAuthLocked(p, cancel, now)
	body := map[string]any{}
	status := http.StatusCreated
	switch a.Approach {
	case Decoupled:
		if a.PSUID != "" {
			b.identifyDecoupledLocked(a, now)
			body["psuMessage"] = "Please use your BankApp for transaction Authorisation."
		}
	case Embedded:
		if a.PSUID != "" {
			a.SCAStatus = "psuIdentified"
		}
		if u.PsuData != nil {
			if err := b.embeddedPassword(c, p, a, *u.PsuData.Password, body); err != nil {
				_ = b.appendLocked()
				return err
			}
		}
	}
	if err := b.appendLocked(); err != nil {
		return err
	}
	body["scaStatus"] = b.prof.scaStatusWire(a.SCAStatus)
	body["authorisationId"] = a.ID
	body["_links"] = b.authLinks(p, a)
	c.json(status, body)
	return nil
}

func (b *Bank) identifyDecoupledLocked(a *authorisation, now time.Time) {
	a.SCAStatus = "psuIdentified"
	if !b.cfg.DecoupledManual {
		a.DecoupledAt = now.Add(b.cfg.DecoupledAfter)
	}
	b.touchLocked(recAuth, a.ID)
}

// embeddedPassword checks the PSU's password (rule 29) and moves to method selection, or
// straight to the challenge when one method is offered.
func (b *Bank) embeddedPassword(c *call, p *payment, a *authorisation, pw string, body map[string]any) error {
	if a.PSUID == "" {
		c.check(RuleAuthUpdate, "authorisation request fits its state", errors.New("PSU not identified"))
		return formatErr("PSU-ID", "the embedded approach needs the PSU-ID header before the password")
	}
	if a.SCAStatus != "received" && a.SCAStatus != "psuIdentified" {
		c.check(RuleAuthUpdate, "authorisation request fits its state", fmt.Errorf("scaStatus is %s", a.SCAStatus))
		return fail(http.StatusConflict, "STATUS_INVALID", "the password was already accepted; continue with the next step")
	}
	if pw != b.cfg.EmbeddedPassword {
		return b.wrongCredential(c, p, a, "password")
	}
	c.check(RuleCredentials, "PSU credentials correct", nil)
	a.SCAStatus = "psuAuthenticated"
	if len(b.cfg.EmbeddedMethods) == 1 {
		a.Method = b.cfg.EmbeddedMethods[0]
		a.SCAStatus = "scaMethodSelected"
		body["chosenScaMethod"] = scaMethodJSON(a.Method)
		body["challengeData"] = challengeJSON()
	} else {
		var ms []any
		for _, m := range b.cfg.EmbeddedMethods {
			ms = append(ms, scaMethodJSON(m))
		}
		body["scaMethods"] = ms
	}
	b.touchLocked(recAuth, a.ID)
	return nil
}

func scaMethodJSON(m string) map[string]any {
	return map[string]any{"authenticationType": m, "authenticationMethodId": m, "name": "Sandbox " + m}
}

func challengeJSON() map[string]any {
	return map[string]any{"otpMaxLength": 6, "otpFormat": "integer", "additionalInformation": "Enter the sandbox TAN."}
}

// wrongCredential counts a wrong password or TAN; the MaxAttempts-th fails the authorisation.
func (b *Bank) wrongCredential(c *call, p *payment, a *authorisation, what string) error {
	a.Attempts++
	b.touchLocked(recAuth, a.ID)
	left := b.cfg.MaxAttempts - a.Attempts
	if left <= 0 {
		b.failAuthLocked(p, a, b.now())
		c.check(RuleCredentials, "PSU credentials correct", fmt.Errorf("wrong %s; attempts exhausted, authorisation failed", what))
		return fail(http.StatusUnauthorized, "PSU_CREDENTIALS_INVALID", "wrong "+what+"; no attempts are left, so the authorisation failed")
	}
	c.check(RuleCredentials, "PSU credentials correct", fmt.Errorf("wrong %s; %d attempts left", what, left))
	return fail(http.StatusUnauthorized, "PSU_CREDENTIALS_INVALID", fmt.Sprintf("wrong %s; %d attempts left", what, left))
}

func (b *Bank) authForLocked(c *call, p *payment, cancel bool) (*authorisation, error) {
	a := b.st.Auths[c.r.PathValue("authId")]
	if a == nil || a.PaymentID != p.ID || a.Cancel != cancel {
		c.check(RuleResourceOwner, "the authorisation belongs to the payment", errors.New("unknown authorisationId"))
		return nil, fail(http.StatusNotFound, "RESOURCE_UNKNOWN", "no such authorisation for this payment")
	}
	return a, nil
}

// listAuths is GET …/authorisations.
func (b *Bank) listAuths(c *call, cancel bool) error {
	b.mu.Lock()
	p, err := b.paymentForLocked(c)
	if err != nil {
		b.mu.Unlock()
		return err
	}
	ids := append([]string{}, p.Auths...)
	if cancel {
		ids = append([]string{}, p.CancelAuths...)
	}
	err = b.appendLocked()
	b.mu.Unlock()
	if err != nil {
		return err
	}
	c.json(http.StatusOK, map[string]any{"authorisationIds": ids})
	return nil
}

// getAuth is GET …/authorisations/{authorisationId}.
func (b *Bank) getAuth(c *call, cancel bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, err := b.paymentForLocked(c)
	if err != nil {
		return err
	}
	a, err := b.authForLocked(c, p, cancel)
	if err != nil {
		return err
	}
	if err := b.appendLocked(); err != nil {
		return err
	}
	body := map[string]any{"scaStatus": b.prof.scaStatusWire(a.SCAStatus), "_links": b.authLinks(p, a)}
	if a.Approach == Decoupled && a.SCAStatus == "psuIdentified" {
		body["psuMessage"] = "Please use your BankApp for transaction Authorisation."
	}
	c.json(http.StatusOK, body)
	return nil
}

// updateAuth is PUT …/authorisations/{authorisationId} (rules 28–30, 33).
func (b *Bank) updateAuth(c *call, cancel bool) error {
	u, err := b.decodeAuthBody(c)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	p, err := b.paymentForLocked(c)
	if err != nil {
		return err
	}
	a, err := b.authForLocked(c, p, cancel)
	if err != nil {
		return err
	}
	if scaFinal(a.SCAStatus) {
		c.check(RuleAuthUpdate, "authorisation request fits its state", fmt.Errorf("scaStatus is %s", a.SCAStatus))
		return fail(http.StatusConflict, "STATUS_INVALID", "the authorisation is "+b.prof.scaStatusWire(a.SCAStatus)+" and takes no more updates")
	}
	stateErr := func(want string) error {
		c.check(RuleAuthUpdate, "authorisation request fits its state", fmt.Errorf("scaStatus %s does not take %s", a.SCAStatus, want))
		return fail(http.StatusConflict, "STATUS_INVALID", "the authorisation is "+b.prof.scaStatusWire(a.SCAStatus)+"; "+want+" does not fit now")
	}
	body := map[string]any{}
	switch {
	case u.ConfirmationCode != nil:
		if a.SCAStatus != "unconfirmed" {
			return stateErr("confirmationCode")
		}
		c.check(RuleAuthUpdate, "authorisation request fits its state", nil)
		if *u.ConfirmationCode != a.Confirmation {
			c.check(RuleConfirmation, "confirmationCode is the one from the redirect", errors.New("wrong confirmationCode"))
			return formatErr("confirmationCode", "confirmationCode is not the one the bank sent with the redirect back")
		}
		c.check(RuleConfirmation, "confirmationCode is the one from the redirect", nil)
		b.finaliseLocked(p, a, b.now())
	case u.PsuData != nil:
		if a.Approach != Embedded {
			return stateErr("psuData")
		}
		if h := c.r.Header.Get("PSU-ID"); h != "" && a.PSUID == "" {
			a.PSUID = h
		}
		if err := b.embeddedPassword(c, p, a, *u.PsuData.Password, body); err != nil {
			_ = b.appendLocked()
			return err
		}
		c.check(RuleAuthUpdate, "authorisation request fits its state", nil)
	case u.AuthenticationMethodID != nil:
		if a.Approach != Embedded || a.SCAStatus != "psuAuthenticated" {
			return stateErr("authenticationMethodId")
		}
		c.check(RuleAuthUpdate, "authorisation request fits its state", nil)
		ok := false
		for _, m := range b.cfg.EmbeddedMethods {
			ok = ok || m == *u.AuthenticationMethodID
		}
		if !ok {
			c.check(RuleSCAMethod, "authentication method offered", errors.New("unknown authenticationMethodId"))
			return fail(http.StatusBadRequest, "SCA_METHOD_UNKNOWN", "authenticationMethodId is not one of the scaMethods offered")
		}
		c.check(RuleSCAMethod, "authentication method offered", nil)
		a.Method, a.SCAStatus = *u.AuthenticationMethodID, "scaMethodSelected"
		b.touchLocked(recAuth, a.ID)
		body["chosenScaMethod"] = scaMethodJSON(a.Method)
		body["challengeData"] = challengeJSON()
	case u.ScaAuthenticationData != nil:
		if a.Approach != Embedded || a.SCAStatus != "scaMethodSelected" {
			return stateErr("scaAuthenticationData")
		}
		c.check(RuleAuthUpdate, "authorisation request fits its state", nil)
		if *u.ScaAuthenticationData != b.cfg.EmbeddedTAN {
			err := b.wrongCredential(c, p, a, "TAN")
			_ = b.appendLocked()
			return err
		}
		c.check(RuleCredentials, "PSU credentials correct", nil)
		b.finaliseLocked(p, a, b.now())
	default: // {} with PSU-ID: update PSU identification
		psu := c.r.Header.Get("PSU-ID")
		if psu == "" || a.SCAStatus != "received" || (a.Approach != Decoupled && a.Approach != Embedded) {
			return stateErr("an identification update (empty body with PSU-ID)")
		}
		c.check(RuleAuthUpdate, "authorisation request fits its state", nil)
		a.PSUID = psu
		if a.Approach == Decoupled {
			b.identifyDecoupledLocked(a, b.now())
			body["psuMessage"] = "Please use your BankApp for transaction Authorisation."
		} else {
			a.SCAStatus = "psuIdentified"
			b.touchLocked(recAuth, a.ID)
		}
	}
	if err := b.appendLocked(); err != nil {
		return err
	}
	body["scaStatus"] = b.prof.scaStatusWire(a.SCAStatus)
	body["_links"] = b.authLinks(p, a)
	c.json(http.StatusOK, body)
	return nil
}

// ErrUnknownAuthorisation is returned for an authorisation id the bank does not hold.
var ErrUnknownAuthorisation = errors.New("unknown authorisation")

// DecideDecoupled approves or denies a decoupled authorisation now (the simulated bank app).
func (b *Bank) DecideDecoupled(authID string, approve bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	a := b.st.Auths[authID]
	if a == nil {
		return ErrUnknownAuthorisation
	}
	p := b.st.Payments[a.PaymentID]
	b.advanceLocked(p, b.now())
	if a.Approach != Decoupled || a.SCAStatus != "psuIdentified" {
		return fmt.Errorf("the authorisation is %s (%s), not a decoupled one waiting for the bank app", a.SCAStatus, a.Approach)
	}
	if approve {
		b.finaliseLocked(p, a, b.now())
	} else {
		b.failAuthLocked(p, a, b.now())
	}
	return b.commitLocked()
}

// AuthorisationStatus is an authorisation's scaStatus (BG spelling) now.
func (b *Bank) AuthorisationStatus(authID string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a := b.st.Auths[authID]
	if a == nil {
		return "", false
	}
	b.advanceLocked(b.st.Payments[a.PaymentID], b.now())
	_ = b.commitLocked()
	return a.SCAStatus, true
}
