package sandbox

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/payterm/payterm/sandbox/rules"
)

func (b *Bank) resourceMux() http.Handler {
	mux := http.NewServeMux()
	bases := []string{ResourceBasePath}
	if b.cfg.GuidePathAlias {
		bases = append(bases, GuideBasePath)
	}
	for _, base := range bases {
		mux.HandleFunc("POST "+base+"/payments", b.handleCreatePayment)
		mux.HandleFunc("GET "+base+"/payments", b.handleIdempotencyLookup)
		mux.HandleFunc("GET "+base+"/payments/{PaymentId}", b.handleGetPayment)
		mux.HandleFunc("GET "+base+"/payment-consents/{ConsentId}", b.handleGetConsent)
		mux.HandleFunc("PATCH "+base+"/payment-consents/{ConsentId}", b.handlePatchConsent)
	}
	mux.HandleFunc("POST "+CoPBasePath+"/discovery", b.handleCoPDiscovery)
	mux.HandleFunc("POST "+CoPBasePath+"/confirmation", b.handleCoPConfirmation)
	return b.wrap("rs", "rs", mux)
}

// rsAuth is what an authenticated resource call carries.
type rsAuth struct {
	client *Client
	token  tokenRecord
}

// authResource enforces rules 1 and 26. Failures: 401 without body (certificate, token),
// 403 AccessToken.InvalidScope (scope).
func (b *Bank) authResource(w http.ResponseWriter, r *http.Request) (*http.Request, rsAuth, bool) {
	return b.authResourceScope(w, r, "payments")
}

// authResourceScope is authResource for an API whose tokens carry scope (payments, or
// confirmation-of-payee for the CoP API).
func (b *Bank) authResourceScope(w http.ResponseWriter, r *http.Request, scope string) (*http.Request, rsAuth, bool) {
	ctx := r.Context()
	client, cert, err := b.clientFromCert(r)
	if check(ctx, 1, "mTLS client certificate maps to a registered client", err) != nil {
		w.WriteHeader(http.StatusUnauthorized)
		return r, rsAuth{}, false
	}
	setVerdictClient(ctx, client.ClientID)
	r = r.WithContext(withClientID(ctx, client.ClientID))
	ctx = r.Context()
	authz := r.Header.Get("Authorization")
	tok, found := strings.CutPrefix(authz, "Bearer ")
	if !found || tok == "" {
		check(ctx, 26, "Bearer token present", errors.New("no Bearer token"))
		w.WriteHeader(http.StatusUnauthorized)
		return r, rsAuth{}, false
	}
	b.mu.Lock()
	now := b.nowLocked()
	rec, ok := b.st.Access[secretKey(tok)]
	var t tokenRecord
	var consentStatus string
	if ok {
		t = *rec
		if c := b.st.Consents[t.ConsentID]; c != nil {
			b.refreshConsentLocked(c, now)
			consentStatus = c.Status
		}
	}
	b.mu.Unlock()
	switch {
	case !ok || t.Revoked || !now.Before(t.ExpiresAt):
		err = errors.New("access token unknown, revoked or expired")
	case t.ClientID != client.ClientID || t.CertThumbprint != certThumbprint(cert):
		err = errors.New("access token was issued to another client certificate (sender-constrained)")
	case t.ConsentID != "" && consentStatus == statusExpired && r.Method != http.MethodPost:
		err = errors.New("the consent behind this token expired") // rule 38
	}
	if check(ctx, 26, "access token valid and bound to this certificate", err) != nil {
		w.WriteHeader(http.StatusUnauthorized)
		return r, rsAuth{}, false
	}
	if !strings.Contains(" "+t.Scope+" ", " "+scope+" ") {
		check(ctx, 26, "token scope includes "+scope, errors.New("scope lacks "+scope))
		b.writeError(w, r, http.StatusForbidden, "AccessToken.InvalidScope", "the access token's scope does not include "+scope, "")
		return r, rsAuth{}, false
	}
	return r, rsAuth{client: client, token: t}, true
}

func withClientID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxClientKey{}, id)
}

// writeViolation maps a rules violation onto a signed 400 (or the status its code implies).
func (b *Bank) writeViolation(w http.ResponseWriter, r *http.Request, err error) {
	v := rules.AsViolation(err)
	if v == nil {
		v = &rules.Violation{Code: "GenericError", Message: "request rejected"}
	}
	check(r.Context(), v.Rule, v.Code, v)
	b.writeError(w, r, http.StatusBadRequest, v.Code, v.Message, v.Path)
}
