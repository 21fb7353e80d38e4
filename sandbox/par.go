package sandbox

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/payterm/payterm/sandbox/rules"
)

func (b *Bank) asMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /par", b.handlePAR)
	mux.HandleFunc("POST /token", b.handleToken)
	return b.wrap("as", "as", mux)
}

// parResponse is AEPushedAuthorizationResponseBody.
type parResponse struct {
	RequestURI string `json:"request_uri"`
	ExpiresIn  int    `json:"expires_in"`
}

// handlePAR is POST /par: rules 1–21.
func (b *Bank) handlePAR(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	client, _, ok := b.authClientTLS(w, r)
	if !ok {
		return
	}
	// DSCA requirement 12: x-fapi-interaction-id present and a UUID ([SIM-CHOICE] enforced).
	if id := r.Header.Get("x-fapi-interaction-id"); !isUUID(id) {
		check(ctx, 40, "x-fapi-interaction-id is a UUID", errors.New("x-fapi-interaction-id missing or not a UUID"))
		writeOAuthError(w, "invalid_request", "x-fapi-interaction-id must be an RFC 4122 UUID")
		return
	}
	raw, ok := b.readBody(w, r)
	if !ok {
		return
	}
	form, ok := b.parseForm(w, r, raw, rules.PARParams, rules.PARRequired)
	if !ok {
		return
	}
	if !b.authenticateAssertion(w, r, form, client) {
		return
	}
	fail := func(err error) {
		v := rules.AsViolation(err)
		if v == nil || !strings.HasPrefix(v.Code, "invalid_") { // keep invalid_scope etc.
			v = rules.AsOAuth(err, rules.OAuthInvalidRequest)
		}
		check(ctx, v.Rule, "PAR request", v)
		writeOAuthError(w, v.Code, v.Message)
	}
	now := b.now()
	info := rules.ClientInfo{ClientID: client.ClientID, RedirectURIs: client.RedirectURIs, BDSP: slices.Contains(client.Roles, "BDSP")}
	ro, err := rules.VerifyRequestObject(form.Get("request"), clientKeyLookup(client), info, b.issuer, now, b.rulesOptions())
	if err != nil {
		fail(err)
		return
	}
	for _, warn := range ro.Warnings {
		check(ctx, 6, "warning: "+warn, nil)
	}
	for _, ok := range []struct {
		rule int
		name string
	}{{5, "request object is a PS256 JWS by the client"}, {6, "request object claims"}, {7, "request object time window"},
		{8, "response_type, PKCE, max_age, redirect_uri"}, {9, "scope"}, {10, "authorization_details schema"},
		{12, "DSCA control parameters"}, {13, "ExpirationDateTime window"}, {14, "AuthorizationExpirationDateTime"},
		{15, "PaymentPurposeCode is AANI"}, {16, "Permissions"}} {
		check(ctx, ok.rule, ok.name, nil)
	}
	cr := ro.Consent
	scope := strings.Join(ro.Scopes, " ")
	b.mu.Lock()
	_, used := b.st.Consents[cr.ConsentID]
	encKeys := map[string]*rsa.PrivateKey{b.enc.kid: b.enc.priv}
	b.mu.Unlock()
	consentIDUsed := &rules.Violation{Rule: 11, Code: "invalid_request", Path: "authorization_details[0].consent.ConsentId", Message: "ConsentId was already used"}
	if used {
		fail(consentIDUsed)
		return
	}
	check(ctx, 11, "ConsentId unused", nil)
	plain, err := rules.OpenPII(cr.PIIJWE, encKeys, clientKeyLookup(client), b.rulesOptions())
	if err != nil {
		fail(err)
		return
	}
	check(ctx, 17, "consent PII JWE/JWS", nil)
	pii, err := rules.ConsentPII(plain, client.ClientID, b.rulesOptions())
	if err != nil {
		fail(err)
		return
	}
	check(ctx, 18, "consent PII schema", nil)
	check(ctx, 19, "creditors", nil)
	check(ctx, 20, "consent Risk", nil)
	piiJSON, err := json.Marshal(pii)
	if err != nil {
		writeOAuthError(w, "server_error", "could not store the consent")
		return
	}
	secret, err := b.newSecret()
	if err != nil {
		writeOAuthError(w, "server_error", "could not issue a request_uri")
		return
	}
	requestURI := "urn:ietf:params:oauth:request_uri:" + secret
	rec := &consentRecord{
		ConsentID: cr.ConsentID, ClientID: client.ClientID, Status: statusAwaiting,
		CreationDateTime: now, StatusUpdateDateTime: now, ExpirationDateTime: cr.ExpirationDateTime,
		PII: piiJSON, Scope: scope,
		Meta: consentMeta{BaseConsentID: cr.BaseConsentID, IsSingleAuthorization: cr.IsSingleAuthorization, Permissions: cr.Permissions,
			PaymentPurposeCode: cr.PaymentPurposeCode, DebtorReference: cr.DebtorReference, CreditorReference: cr.CreditorReference,
			SponsoredTPP: cr.SponsoredTPP, Subscription: cr.Subscription},
	}
	if !cr.AuthorizationExpirationDateTime.IsZero() {
		t := cr.AuthorizationExpirationDateTime
		rec.AuthExpiration = &t
	}
	b.mu.Lock()
	if _, dup := b.st.Consents[cr.ConsentID]; dup { // lost a race with a concurrent PAR
		b.mu.Unlock()
		fail(consentIDUsed)
		return
	}
	b.st.Consents[cr.ConsentID] = rec
	b.st.PARs[requestURI] = &parRecord{ClientID: client.ClientID, ConsentID: cr.ConsentID, RedirectURI: ro.RedirectURI, State: ro.State,
		Nonce: ro.Nonce, CodeChallenge: ro.CodeChallenge, Scope: scope, ExpiresAt: now.Add(b.cfg.PARLifetime)}
	b.touchLocked(kindConsent, cr.ConsentID)
	b.touchLocked(kindPAR, requestURI)
	err = b.commitLocked()
	b.mu.Unlock()
	if err != nil {
		writeOAuthError(w, "server_error", "could not persist the request")
		return
	}
	check(ctx, 21, "request_uri issued, consent AwaitingAuthorization", nil)
	// 201 per RFC 9126; the UAE OpenAPI says 200. [SIM-CHOICE] follow the OpenAPI.
	writeJSON(w, http.StatusOK, parResponse{RequestURI: requestURI, ExpiresIn: int(b.cfg.PARLifetime / time.Second)})
}

func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}
