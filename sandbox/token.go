package sandbox

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/payterm/payterm/sandbox/rules"
)

// tokenResponse is AEAuthorizationCodeGrantTokenResponseProperties.
type tokenResponse struct {
	AccessToken          string `json:"access_token"`
	TokenType            string `json:"token_type"`
	ExpiresIn            int    `json:"expires_in"`
	RefreshToken         string `json:"refresh_token,omitempty"`
	Scope                string `json:"scope,omitempty"`
	State                string `json:"state,omitempty"`
	IDToken              string `json:"id_token,omitempty"`
	AuthorizationDetails []any  `json:"authorization_details,omitempty"`
}

// newUUID is a random (v4) UUID from the injected randomness; it falls back to the system
// source only if that reader fails.
func (b *Bank) newUUID() string {
	u, err := uuid.NewRandomFromReader(b.cfg.Rand)
	if err != nil {
		return uuid.NewString()
	}
	return u.String()
}

func (b *Bank) newSecret() (string, error) {
	buf := make([]byte, 32)
	if _, err := io.ReadFull(b.cfg.Rand, buf); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

func (b *Bank) handleToken(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	client, cert, ok := b.authClientTLS(w, r)
	if !ok {
		return
	}
	raw, ok := b.readBody(w, r)
	if !ok {
		return
	}
	// The grant type picks the parameter lists; a duplicate grant_type fails in ParseForm.
	grant := ""
	if q, err := url.ParseQuery(string(raw)); err == nil {
		grant = q.Get("grant_type")
	}
	lists := map[string][2][]string{
		"authorization_code": {rules.TokenCodeParams, rules.TokenCodeRequired},
		"refresh_token":      {rules.TokenRefreshParams, rules.TokenRefreshRequire},
		"client_credentials": {rules.TokenCCParams, rules.TokenCCRequired},
	}
	l, known := lists[grant]
	if !known {
		check(ctx, 2, "grant_type supported", fmt.Errorf("grant_type is not supported"))
		writeOAuthError(w, "unsupported_grant_type", "grant_type must be authorization_code, refresh_token or client_credentials")
		return
	}
	form, ok := b.parseForm(w, r, raw, l[0], l[1])
	if !ok {
		return
	}
	if !b.authenticateAssertion(w, r, form, client) {
		return
	}
	switch grant {
	case "authorization_code":
		b.grantCode(w, r, form, client, cert)
	case "refresh_token":
		b.grantRefresh(w, r, form, client, cert)
	default:
		b.grantClientCredentials(w, r, form, client, cert)
	}
}

func (b *Bank) grantCode(w http.ResponseWriter, r *http.Request, form formValues, client *Client, cert certInfo) {
	ctx := r.Context()
	code, verifier, redirect := form.Get("code"), form.Get("code_verifier"), form.Get("redirect_uri")
	if code == "" || verifier == "" || redirect == "" {
		check(ctx, 24, "code, redirect_uri and code_verifier present", fmt.Errorf("a required parameter is missing"))
		writeOAuthError(w, "invalid_request", "code, redirect_uri and code_verifier are required")
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.nowLocked()
	ck := secretKey(code)
	rec, ok := b.st.Codes[ck]
	switch {
	case !ok:
		check(ctx, 23, "authorization code known", fmt.Errorf("unknown code"))
		writeOAuthError(w, "invalid_grant", "authorization code is invalid")
		return
	case rec.ClientID != client.ClientID:
		check(ctx, 23, "code bound to the client", fmt.Errorf("code was issued to another client"))
		writeOAuthError(w, "invalid_grant", "authorization code is invalid")
		return
	case rec.Used:
		// Rule 23: reuse revokes everything issued from this code.
		for k, t := range b.st.Access {
			if t.FromCode == ck {
				t.Revoked = true
				b.touchLocked(kindAccess, k)
			}
		}
		for k, t := range b.st.Refresh {
			if t.FromCode == ck {
				t.Revoked = true
				b.touchLocked(kindRefresh, k)
			}
		}
		_ = b.commitLocked()
		check(ctx, 23, "authorization code single use", fmt.Errorf("code reused; tokens issued from it are revoked"))
		writeOAuthError(w, "invalid_grant", "authorization code was already used")
		return
	case !now.Before(rec.ExpiresAt):
		check(ctx, 23, "authorization code lifetime", fmt.Errorf("code expired"))
		writeOAuthError(w, "invalid_grant", "authorization code expired")
		return
	}
	check(ctx, 23, "authorization code valid, unused, bound to client", nil)
	rec.Used = true
	b.touchLocked(kindCode, ck)
	if rec.RedirectURI != redirect {
		_ = b.commitLocked()
		check(ctx, 24, "redirect_uri equals the request object's", fmt.Errorf("redirect_uri differs"))
		writeOAuthError(w, "invalid_grant", "redirect_uri does not match the authorization request")
		return
	}
	if err := rules.CheckPKCE(verifier, rec.CodeChallenge); err != nil {
		_ = b.commitLocked()
		v := rules.AsOAuth(err, rules.OAuthInvalidGrant)
		check(ctx, 24, "PKCE: S256(code_verifier) equals code_challenge", v)
		writeOAuthError(w, v.Code, v.Message)
		return
	}
	check(ctx, 24, "redirect_uri and PKCE match", nil)
	cons, ok := b.st.Consents[rec.ConsentID]
	if !ok {
		writeOAuthError(w, "invalid_grant", "consent not found")
		return
	}
	b.refreshConsentLocked(cons, now)
	if cons.Status != statusAuthorized {
		_ = b.commitLocked()
		check(ctx, 24, "consent Authorized", fmt.Errorf("consent is %s", cons.Status))
		writeOAuthError(w, "invalid_grant", "consent is not authorized")
		return
	}
	resp, err := b.issueTokensLocked(client, cert, cons, tokenScopes{access: rec.Scope, refresh: rec.Scope}, ck, true)
	if err != nil {
		writeOAuthError(w, "server_error", "could not issue tokens")
		return
	}
	resp.State = rec.State
	in := idTokenInput{clientID: client.ClientID, subject: cons.ConsentID, nonce: rec.Nonce, state: rec.State,
		code: code, accessToken: resp.AccessToken, now: now}
	if f, ok := b.faults.takeIDToken(); ok {
		check(ctx, 0, "injected fault: "+string(f.Kind), nil)
		in.fault = f.Kind
	}
	idt, err := b.idTokenLocked(in)
	if err != nil {
		writeOAuthError(w, "server_error", "could not issue the id_token")
		return
	}
	resp.IDToken = idt
	if err := b.commitLocked(); err != nil {
		writeOAuthError(w, "server_error", "could not persist tokens")
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// tokenScopes are the scopes of the tokens one answer issues: they differ after a refresh that
// asked for less than the grant.
type tokenScopes struct{ access, refresh string }

// issueTokensLocked mints an access token and (for a consent) a refresh token. Caller holds b.mu.
func (b *Bank) issueTokensLocked(client *Client, cert certInfo, cons *consentRecord, scopes tokenScopes, fromCode string, withRefresh bool) (tokenResponse, error) {
	scope := scopes.access
	now := b.nowLocked()
	at, err := b.newSecret()
	if err != nil {
		return tokenResponse{}, err
	}
	rec := &tokenRecord{ClientID: client.ClientID, Scope: scope, CertThumbprint: cert.thumbprint, ExpiresAt: now.Add(b.cfg.AccessTokenLifetime), FromCode: fromCode}
	if cons != nil {
		rec.ConsentID = cons.ConsentID
	}
	b.st.Access[secretKey(at)] = rec
	b.touchLocked(kindAccess, secretKey(at))
	resp := tokenResponse{AccessToken: at, TokenType: "Bearer", ExpiresIn: int(b.cfg.AccessTokenLifetime / time.Second), Scope: scope}
	if cons != nil {
		if withRefresh {
			rt, err := b.newSecret()
			if err != nil {
				return tokenResponse{}, err
			}
			b.st.Refresh[secretKey(rt)] = &tokenRecord{ClientID: client.ClientID, ConsentID: cons.ConsentID, Scope: scopes.refresh, CertThumbprint: cert.thumbprint, FromCode: fromCode}
			b.touchLocked(kindRefresh, secretKey(rt))
			resp.RefreshToken = rt
		}
		resp.AuthorizationDetails = []any{map[string]any{"type": rarType, "consent": b.consentMessageLocked(cons, now)}}
	}
	return resp, nil
}

func (b *Bank) grantRefresh(w http.ResponseWriter, r *http.Request, form formValues, client *Client, cert certInfo) {
	ctx := r.Context()
	rt := form.Get("refresh_token")
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.nowLocked()
	key := secretKey(rt)
	rec, ok := b.st.Refresh[key]
	if rt == "" || !ok || rec.Revoked || rec.ClientID != client.ClientID {
		check(ctx, 25, "refresh token known, current and the client's", fmt.Errorf("refresh token unknown, rotated out, revoked or another client's"))
		writeOAuthError(w, "invalid_grant", "refresh token is invalid")
		return
	}
	// RFC 6749 §6: the access token carries the scope asked for, which may be narrower than the
	// grant but never broader; an omitted (or empty, §3.1) scope means the original one.
	scope := rec.Scope
	if sc := form.Get("scope"); sc != "" {
		narrowed, ok := narrowScope(sc, rec.Scope)
		if !ok {
			check(ctx, 25, "refresh scope within the original", fmt.Errorf("scope widened or malformed"))
			writeOAuthError(w, "invalid_scope", "scope exceeds the original grant")
			return
		}
		scope = narrowed
	}
	cons, ok := b.st.Consents[rec.ConsentID]
	if !ok {
		writeOAuthError(w, "invalid_grant", "consent not found")
		return
	}
	b.refreshConsentLocked(cons, now)
	if cons.Status != statusAuthorized {
		_ = b.commitLocked()
		check(ctx, 25, "consent Authorized and not expired", fmt.Errorf("consent is %s", cons.Status))
		writeOAuthError(w, "invalid_grant", "consent is "+cons.Status)
		return
	}
	check(ctx, 25, "refresh token valid, consent Authorized", nil)
	rotate := *b.cfg.RotateRefreshTokens
	// A rotated refresh token keeps the grant's scope (§6: identical to the one presented), so
	// one narrowed refresh does not shrink the consent for later ones.
	resp, err := b.issueTokensLocked(client, cert, cons, tokenScopes{access: scope, refresh: rec.Scope}, rec.FromCode, rotate)
	if err != nil {
		writeOAuthError(w, "server_error", "could not issue tokens")
		return
	}
	if rotate {
		rec.Revoked = true
		b.touchLocked(kindRefresh, key)
	}
	if err := b.commitLocked(); err != nil {
		writeOAuthError(w, "server_error", "could not persist tokens")
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (b *Bank) grantClientCredentials(w http.ResponseWriter, r *http.Request, form formValues, client *Client, cert certInfo) {
	ctx := r.Context()
	// payments is the BSIP's TPP-level scope; a BDSP may also hold an accounts token (for the
	// data-sharing consent endpoints). The payment API answers such a token with 403
	// AccessToken.InvalidScope (rule 26), which is how a client meets that error here.
	scope := form.Get("scope")
	if scope != "payments" && scope != "confirmation-of-payee" && (scope != "accounts" || !slices.Contains(client.Roles, "BDSP")) {
		check(ctx, 9, "client_credentials scope is payments or confirmation-of-payee (or accounts for a BDSP)", fmt.Errorf("scope is not one the client may hold"))
		writeOAuthError(w, "invalid_scope", "client_credentials scope must be payments or confirmation-of-payee (accounts needs the BDSP role)")
		return
	}
	check(ctx, 9, "client_credentials scope", nil)
	b.mu.Lock()
	defer b.mu.Unlock()
	resp, err := b.issueTokensLocked(client, cert, nil, tokenScopes{access: scope}, "", false)
	if err != nil {
		writeOAuthError(w, "server_error", "could not issue tokens")
		return
	}
	if err := b.commitLocked(); err != nil {
		writeOAuthError(w, "server_error", "could not persist tokens")
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// narrowScope checks a refresh request's scope against the grant and returns it normalised
// (single spaces, each value once, in the order asked). It fails when a value is not in the
// grant, or when the parameter holds no value at all (only spaces: not a scope, RFC 6749 §3.3).
func narrowScope(asked, granted string) (string, bool) {
	g := strings.Fields(granted)
	var out []string
	for _, s := range strings.Fields(asked) {
		if !slices.Contains(g, s) {
			return "", false
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return strings.Join(out, " "), len(out) > 0
}
