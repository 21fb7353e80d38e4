package op

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/payterm/payterm/sandbox/op/ojws"
)

// OP's exemption limits: all strict (< 30 EUR, < 5 payments, < 100 EUR since the last SCA).
const (
	exemptMaxCents  = 3000
	exemptMaxCount  = 5
	exemptMaxCumul  = 10000
	exemptAssertAge = time.Hour
)

// cents reads a stored amount ("12.50").
func cents(a string) int64 {
	i, f, _ := strings.Cut(a, ".")
	n, _ := strconv.ParseInt(i+f, 10, 64)
	return n
}

// AddOtherChannelExemptions counts n exemption payments worth cents that payer made through
// other channels or TPPs since the last SCA: OP counts them, the wallet cannot see them.
func (b *Bank) AddOtherChannelExemptions(payer string, n int, cents int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.st.Exempt[payer]
	if c == nil {
		c = &exemptions{Since: b.cfg.Clock()}
		b.st.Exempt[payer] = c
	}
	c.OtherCount += n
	c.OtherCents += cents
	b.st.save()
}

// exemptionGrant is the jwt-bearer grant: the exemption JWT names one exemption payment, and
// the engine decides whether OP waives SCA for it.
func (b *Bank) exemptionGrant(e *exchange, assertion string, now time.Time) {
	_, payload, err := ojws.VerifyCompact(assertion, b.clientKeys)
	if err != nil {
		e.oauthError(http.StatusBadRequest, RuleRequestSig, "invalid_grant", "the exemption JWT does not verify against the registered JWKS")
		return
	}
	e.v.pass(RuleRequestSig)
	var c requestClaims
	if json.Unmarshal(payload, &c) != nil {
		e.oauthError(http.StatusBadRequest, RuleAssertion, "invalid_grant", "the exemption JWT's claims are not JSON")
		return
	}
	ui, it := c.Claims.Userinfo.AuthorizationID, c.Claims.IDToken.AuthorizationID
	bad := ""
	switch {
	case c.Iss != b.cfg.ClientID || c.ClientID != b.cfg.ClientID:
		bad = "iss and client_id must be the registered client_id"
	case c.Aud != b.audience():
		bad = "aud must be the API host"
	case c.ResponseType != "token" || c.Scope != "payments":
		bad = "the exemption flow takes response_type token and scope payments"
	case c.RedirectURI != "":
		bad = "the exemption flow takes no redirect_uri"
	case c.Nonce == "" || !stateChars(c.State):
		bad = "state (RFC 4648 §5) and nonce are required"
	case c.Iat == nil || c.Exp == nil || time.Unix(int64(*c.Iat), 0).After(now.Add(2*time.Minute)) || !now.Before(time.Unix(int64(*c.Exp), 0)) ||
		now.Sub(time.Unix(int64(*c.Iat), 0)) > exemptAssertAge:
		bad = "iat and exp must frame now"
	case !c.Claims.IDToken.ACR.Essential || !slices.Equal(c.Claims.IDToken.ACR.Values, []string{"urn:openbanking:psd2:ca"}):
		bad = "claims.id_token.acr must be essential with urn:openbanking:psd2:ca"
	case !ui.Essential || !it.Essential || ui.Value == "" || ui.Value != it.Value:
		bad = "the same essential authorizationId in userinfo and id_token"
	}
	if bad != "" {
		e.oauthError(http.StatusBadRequest, RuleAssertion, "invalid_grant", bad)
		return
	}
	b.mu.Lock()
	a := b.st.Authorizations[ui.Value]
	var p *Payment
	if a != nil && a.Exemption && a.Status == "Unauthorized" && len(a.PaymentIDs) == 1 {
		p = b.st.Payments[a.PaymentIDs[0]]
	}
	if p == nil {
		b.mu.Unlock()
		e.oauthError(http.StatusBadRequest, RuleAssertion, "invalid_grant", "authorizationId names no single exemption payment awaiting authorization")
		return
	}
	e.v.pass(RuleAssertion)
	if b.knowsAccounts(a.Payer) && p.PayerIBAN != "" && !b.ownsAccount(a.Payer, p.PayerIBAN) {
		b.mu.Unlock()
		e.oauthError(http.StatusBadRequest, RuleExemptPayer, "invalid_grant", "Exemption not allowed: the payer account is not the payer's")
		return
	}
	e.v.pass(RuleExemptPayer)
	if b.ownTransfer(a.Payer, p) {
		// Category (b): between the payer's own accounts, whatever the amount; not counted.
		a.Status, p.Status, p.Modified = "Authorized", "Authorized", now
		b.st.save()
		payer := a.Payer
		b.mu.Unlock()
		e.v.pass(RuleExemptLimits)
		at := b.issue(&token{Kind: "user", AuthID: a.ID, Payer: payer, Exp: now.Add(b.cfg.TokenLife)})
		e.oauthOK(map[string]any{"token_type": "bearer", "access_token": at, "scope": "payments", "expires_in": int(b.cfg.TokenLife / time.Second)})
		return
	}
	cnt := b.st.Exempt[a.Payer]
	if cnt == nil {
		cnt = &exemptions{Since: now}
		b.st.Exempt[a.Payer] = cnt
	}
	amt := cents(p.AmountEUR)
	n, sum := cnt.Count+cnt.OtherCount, cnt.SumCents+cnt.OtherCents
	if amt >= exemptMaxCents || n >= exemptMaxCount || sum+amt >= exemptMaxCumul {
		b.mu.Unlock()
		e.oauthError(http.StatusBadRequest, RuleExemptLimits, "invalid_grant", "Exemption not allowed")
		return
	}
	cnt.Count++
	cnt.SumCents += amt
	a.Status, p.Status, p.Modified = "Authorized", "Authorized", now
	b.st.save()
	payer := a.Payer
	b.mu.Unlock()
	e.v.pass(RuleExemptLimits)
	at := b.issue(&token{Kind: "user", AuthID: a.ID, Payer: payer, Exp: now.Add(b.cfg.TokenLife)})
	e.oauthOK(map[string]any{"token_type": "bearer", "access_token": at, "scope": "payments", "expires_in": int(b.cfg.TokenLife / time.Second)})
}
