package sandbox

import (
	"net/http"
	"testing"
)

// TestRefreshNarrowerScope: RFC 6749 §6. A refresh may ask for a scope no broader than the
// grant; the access token it issues carries the scope asked for (so an "openid"-only token is
// refused by the payment API), while the rotated refresh token keeps the grant's scope, so a
// later refresh may ask for the whole grant again. A broader or value-less scope is
// invalid_scope and uses nothing up.
func TestRefreshNarrowerScope(t *testing.T) {
	e := newNegEnv(t, nil)
	cons := e.singleConsent()
	refresh := func(t *testing.T, scope ...string) oauthResp {
		t.Helper()
		kv := []string{"refresh_token", cons.refresh}
		if len(scope) > 0 {
			kv = append(kv, "scope", scope[0])
		}
		r := e.c.postForm(e.c.disc.Token, e.c.tokenForm("refresh_token", kv...))
		if r.Status == http.StatusOK {
			cons.access = r.Body["access_token"].(string)
			cons.refresh = r.Body["refresh_token"].(string)
		}
		return r
	}
	wantScope := func(t *testing.T, r oauthResp, want string) {
		t.Helper()
		if r.Status != http.StatusOK || r.Body["scope"] != want {
			t.Fatalf("refresh: %d, scope %v; want 200 with scope %q", r.Status, r.Body["scope"], want)
		}
	}

	t.Run("payments only", func(t *testing.T) {
		e.t = t
		wantScope(t, refresh(t, "payments"), "payments")
		if p := e.pay(cons, e.payClaims(cons, "1.00")); p.Status != http.StatusCreated {
			t.Fatalf("payment with the narrowed payments token: %d %s", p.Status, p.Raw)
		}
	})
	t.Run("openid only is refused by the payment API", func(t *testing.T) {
		e.t = t
		// The refresh token presented was issued by a narrowed refresh; it still holds the grant.
		wantScope(t, refresh(t, "openid"), "openid")
		e.wantRS(e.pay(cons, e.payClaims(cons, "1.00")), http.StatusForbidden, "AccessToken.InvalidScope", "", 26)
	})
	t.Run("the whole grant again", func(t *testing.T) {
		e.t = t
		wantScope(t, refresh(t, "payments openid"), "payments openid")
		wantScope(t, refresh(t), "payments openid")
		if p := e.pay(cons, e.payClaims(cons, "1.00")); p.Status != http.StatusCreated {
			t.Fatalf("payment after the grant's scope came back: %d %s", p.Status, p.Raw)
		}
	})
	t.Run("normalised", func(t *testing.T) {
		e.t = t
		wantScope(t, refresh(t, " openid  payments openid "), "openid payments")
	})
	for _, bad := range []string{"payments openid accounts", "accounts", "   ", "payments\topenid email"} {
		t.Run("invalid "+bad, func(t *testing.T) {
			e.t = t
			before := cons
			e.wantOAuth(refresh(t, bad), http.StatusBadRequest, "invalid_scope", "", 25)
			// The refused request spent nothing: the same refresh token still works.
			cons = before
			wantScope(t, refresh(t), "payments openid")
		})
	}
}
