package sandbox

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
)

// TestRule26InvalidScope: a token without the payments scope (a BDSP's client_credentials
// token for accounts) gets 403 AccessToken.InvalidScope on every payment API call.
func TestRule26InvalidScope(t *testing.T) {
	e := newNegEnv(t, nil)
	cons := e.singleConsent()
	bdsp := newTPPWithRoles(t, e.b, "BSIP", "BDSP")

	tr := bdsp.postForm(bdsp.disc.Token, bdsp.tokenForm("client_credentials", "scope", "accounts"))
	if tr.Status != http.StatusOK || tr.Body["scope"] != "accounts" {
		t.Fatalf("BDSP accounts token: %d %v", tr.Status, tr.Body)
	}
	accounts := tr.Body["access_token"].(string)
	for _, call := range []struct {
		name, method, path, body string
		h                        http.Header
	}{
		{"GET consent", http.MethodGet, "/payment-consents/" + cons.id, "", nil},
		{"GET payment", http.MethodGet, "/payments/" + uuid.NewString(), "", nil},
		{"idempotency lookup", http.MethodGet, "/payments", "", http.Header{"X-Idempotency-Key": {"k1"}}},
		{"POST payment", http.MethodPost, "/payments", bdsp.sign(e.payClaims(cons, "1.00")), paymentHeaders(uuid.NewString())},
	} {
		t.Run(call.name, func(t *testing.T) {
			e.t = t
			e.wantRS(bdsp.rs(call.method, call.path, accounts, call.h, call.body), http.StatusForbidden, "AccessToken.InvalidScope", "", 26)
		})
	}
	e.t = t

	// The same client's payments token passes the scope check (404: the consent is another client's).
	if g := bdsp.rs(http.MethodGet, "/payment-consents/"+cons.id, bdsp.clientCredentials(), nil, ""); g.Status != http.StatusNotFound {
		t.Fatalf("BDSP payments token: %d", g.Status)
	}
	// A BSIP-only client cannot obtain an accounts token at all (rule 9).
	r := e.c.postForm(e.c.disc.Token, e.c.tokenForm("client_credentials", "scope", "accounts"))
	e.wantOAuth(r, http.StatusBadRequest, "invalid_scope", "", 9)
}
