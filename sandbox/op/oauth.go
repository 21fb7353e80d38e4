package op

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/payterm/payterm/sandbox/op/ojws"
)

// oauthError answers the token endpoint's refusals in RFC 6749's form (not signed: OP's
// token endpoint is not the payments service).
func (e *exchange) oauthError(status, rule int, code, detail string) {
	e.v.fail(rule, detail)
	e.v.Status = status
	e.b.record(e.v)
	e.w.Header().Set("Content-Type", "application/json")
	e.w.WriteHeader(status)
	json.NewEncoder(e.w).Encode(map[string]string{"error": code, "error_description": detail})
}

func (e *exchange) oauthOK(body map[string]any) {
	e.v.Status = http.StatusOK
	e.b.record(e.v)
	e.w.Header().Set("Content-Type", "application/json")
	e.w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(e.w).Encode(body)
}

func hashToken(t string) string {
	s := sha256.Sum256([]byte(t))
	return hex.EncodeToString(s[:])
}

func (b *Bank) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	e := b.begin(w, r, "POST /oauth/token")
	if e.r.TLS == nil || len(e.r.TLS.PeerCertificates) == 0 {
		e.oauthError(http.StatusUnauthorized, RuleMTLS, "invalid_client", "no client certificate")
		return
	}
	if pin := sha256.Sum256(e.r.TLS.PeerCertificates[0].Raw); subtle.ConstantTimeCompare(pin[:], b.certPin[:]) != 1 {
		e.oauthError(http.StatusUnauthorized, RuleMTLS, "invalid_client", "the client certificate is not the registered one")
		return
	}
	e.v.pass(RuleMTLS)
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		e.oauthError(http.StatusBadRequest, RuleGrant, "invalid_request", "the body must be a form")
		return
	}
	f := r.PostForm
	one := func(k string) string {
		if len(f[k]) != 1 {
			return ""
		}
		return f[k][0]
	}
	if subtle.ConstantTimeCompare([]byte(one("client_id")), []byte(b.cfg.ClientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(one("client_secret")), []byte(b.cfg.ClientSecret)) != 1 {
		e.oauthError(http.StatusUnauthorized, RuleClientAuth, "invalid_client", "client_id or client_secret is wrong")
		return
	}
	e.v.pass(RuleClientAuth)
	now := b.cfg.Clock()
	switch one("grant_type") {
	case "client_credentials":
		if one("scope") != "payments" {
			e.oauthError(http.StatusBadRequest, RuleGrant, "invalid_scope", "client_credentials takes scope=payments")
			return
		}
		e.v.pass(RuleGrant)
		tok := b.issue(&token{Kind: "client", Exp: now.Add(b.cfg.TokenLife)})
		e.oauthOK(map[string]any{"token_type": "bearer", "access_token": tok, "scope": "payments", "status": "approved",
			"expires_in": int(b.cfg.TokenLife / time.Second)})
	case "authorization_code":
		c, redirect := one("code"), one("redirect_uri")
		if c == "" || redirect == "" {
			e.oauthError(http.StatusBadRequest, RuleGrant, "invalid_request", "code and redirect_uri are required")
			return
		}
		e.v.pass(RuleGrant)
		b.mu.Lock()
		cd := b.st.Codes[hashToken(c)]
		ok := cd != nil && !cd.Used && now.Before(cd.Exp) && cd.RedirectURI == redirect
		if cd != nil {
			cd.Used = true // one try: a replayed code is dead
		}
		var rt string
		var authID, nonce, payer string
		if ok {
			authID, nonce = cd.AuthID, cd.Nonce
			if a := b.st.Authorizations[authID]; a != nil {
				payer = a.Payer
			}
			rt = b.randomID() + b.randomID()
			b.st.Refresh[hashToken(rt)] = &refresh{AuthID: cd.AuthID, Payer: payer, SCAAt: now, Exp: now.Add(b.cfg.RefreshLife)}
			// An SCA: the payer's exemption counters start again.
			b.st.Exempt[payer] = &exemptions{Since: now}
		}
		b.st.save()
		b.mu.Unlock()
		if !ok {
			e.oauthError(http.StatusBadRequest, RuleCode, "invalid_grant", "the code is unknown, used, expired or for another redirect_uri")
			return
		}
		e.v.pass(RuleCode)
		at := b.issue(&token{Kind: "user", AuthID: authID, Payer: payer, Exp: now.Add(b.cfg.TokenLife)})
		idt, err := b.signer.JWT(map[string]any{"iss": b.issuer(), "sub": authID, "authorizationId": authID, "aud": b.cfg.ClientID,
			"acr": "urn:openbanking:psd2:sca", "nonce": nonce, "iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
			"at_hash": ojws.HalfHash(at), "rt_hash": ojws.HalfHash(rt)})
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		e.oauthOK(map[string]any{"token_type": "bearer", "access_token": at, "refresh_token": rt, "id_token": idt,
			"scope": "openid payments", "expires_in": int(b.cfg.TokenLife / time.Second)})
	case "refresh_token":
		rt := one("refresh_token")
		if rt == "" || one("scope") != "payments" {
			e.oauthError(http.StatusBadRequest, RuleGrant, "invalid_request", "refresh_token and scope=payments are required")
			return
		}
		e.v.pass(RuleGrant)
		b.mu.Lock()
		ref := b.st.Refresh[hashToken(rt)]
		ok := ref != nil && now.Before(ref.Exp)
		var authID, payer string
		if ok {
			authID, payer = ref.AuthID, ref.Payer
		}
		b.mu.Unlock()
		if !ok {
			e.oauthError(http.StatusBadRequest, RuleRefresh, "invalid_grant", "the refresh token is unknown or older than 45 days")
			return
		}
		e.v.pass(RuleRefresh)
		at := b.issue(&token{Kind: "user", AuthID: authID, Payer: payer, Exp: now.Add(b.cfg.TokenLife)})
		e.oauthOK(map[string]any{"token_type": "bearer", "access_token": at, "refresh_token": rt, "scope": "payments",
			"expires_in": int(b.cfg.TokenLife / time.Second)})
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		if one("assertion") == "" || one("response_type") != "token" || one("scope") != "payments" {
			e.oauthError(http.StatusBadRequest, RuleGrant, "invalid_request", "assertion, response_type=token and scope=payments are required")
			return
		}
		e.v.pass(RuleGrant)
		b.exemptionGrant(e, one("assertion"), now)
	default:
		e.oauthError(http.StatusBadRequest, RuleGrant, "unsupported_grant_type", "grant_type must be client_credentials, authorization_code, refresh_token or jwt-bearer")
	}
}

func (b *Bank) issue(t *token) string {
	tok := b.randomID()
	b.mu.Lock()
	b.tokens[tok] = t
	if t.Kind == "user" {
		now := b.cfg.Clock()
		for h, u := range b.st.UserTokens {
			if !now.Before(u.Exp) {
				delete(b.st.UserTokens, h)
			}
		}
		b.st.UserTokens[hashToken(tok)] = t
		b.st.save()
	}
	b.mu.Unlock()
	return tok
}

// stateChars: RFC 4648 §5 (base64url) characters only, as OP requires of state.
func stateChars(s string) bool {
	if s == "" || len(s) > 512 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// requestClaims is the request object as the bank reads it.
type requestClaims struct {
	Aud          string   `json:"aud"`
	Iss          string   `json:"iss"`
	ResponseType string   `json:"response_type"`
	ClientID     string   `json:"client_id"`
	RedirectURI  string   `json:"redirect_uri"`
	Scope        string   `json:"scope"`
	State        string   `json:"state"`
	Nonce        string   `json:"nonce"`
	MaxAge       *float64 `json:"max_age"`
	Iat          *float64 `json:"iat"`
	Exp          *float64 `json:"exp"`
	Claims       struct {
		Userinfo struct {
			AuthorizationID claimReq `json:"authorizationId"`
		} `json:"userinfo"`
		IDToken struct {
			AuthorizationID claimReq `json:"authorizationId"`
			ACR             claimReq `json:"acr"`
		} `json:"id_token"`
	} `json:"claims"`
}

type claimReq struct {
	Value     string   `json:"value"`
	Values    []string `json:"values"`
	Essential bool     `json:"essential"`
}

// pageError answers a request the authorize page refuses, in the browser.
func (e *exchange) pageError(status, rule int, detail string) {
	e.v.fail(rule, detail)
	e.v.Status = status
	e.b.record(e.v)
	e.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	e.w.WriteHeader(status)
	e.w.Write([]byte("OP sandbox refused the authorization request: " + detail + "\n"))
}

// checkRequest checks the authorize request: the query, the request object's signature and
// its claims. It returns the claims and the bundle.
func (e *exchange) checkRequest(q url.Values) (*requestClaims, *Authorization, bool) {
	b := e.b
	for _, k := range []string{"request", "response_type", "client_id", "scope"} {
		if len(q[k]) != 1 {
			e.pageError(http.StatusBadRequest, RuleRequestQuery, k+" must be in the query once")
			return nil, nil, false
		}
	}
	hdr, payload, err := ojws.VerifyCompact(q.Get("request"), b.clientKeys)
	if err != nil || hdr.Typ != "JWT" {
		e.pageError(http.StatusBadRequest, RuleRequestSig, "the request object does not verify against the registered JWKS (typ JWT, ES256/RS256)")
		return nil, nil, false
	}
	var c requestClaims
	if json.Unmarshal(payload, &c) != nil {
		e.pageError(http.StatusBadRequest, RuleRequestSig, "the request object's claims are not JSON")
		return nil, nil, false
	}
	e.v.pass(RuleRequestSig)
	if q.Get("response_type") != c.ResponseType || q.Get("client_id") != c.ClientID || q.Get("scope") != c.Scope {
		e.pageError(http.StatusBadRequest, RuleRequestQuery, "the query's response_type, client_id and scope must equal the request object's")
		return nil, nil, false
	}
	e.v.pass(RuleRequestQuery)
	now := b.cfg.Clock()
	fail := func(d string) (*requestClaims, *Authorization, bool) {
		e.pageError(http.StatusBadRequest, RuleRequestClaims, d)
		return nil, nil, false
	}
	switch {
	case c.Iss != b.cfg.ClientID || c.ClientID != b.cfg.ClientID:
		return fail("iss and client_id must be the registered client_id")
	case c.Aud != b.audience():
		return fail("aud must be the API host")
	case c.ResponseType != "code" && c.ResponseType != "code id_token":
		return fail("response_type must be code or code id_token in the default flow")
	case !slices.Contains(b.cfg.RedirectURIs, c.RedirectURI):
		return fail("redirect_uri is not registered")
	case !slices.Equal(strings.Fields(c.Scope), []string{"openid", "payments"}):
		return fail("scope must be \"openid payments\"")
	case !stateChars(c.State):
		return fail("state must hold RFC 4648 §5 characters only")
	case c.Nonce == "" || len(c.Nonce) > 256:
		return fail("nonce is required")
	case c.MaxAge == nil || *c.MaxAge <= 0:
		return fail("max_age is required")
	case c.Iat == nil || c.Exp == nil || time.Unix(int64(*c.Iat), 0).After(now.Add(2*time.Minute)) || !now.Before(time.Unix(int64(*c.Exp), 0)) ||
		*c.Exp-*c.Iat > 3600:
		return fail("iat and exp must frame now, at most an hour apart")
	case !c.Claims.IDToken.ACR.Essential || !slices.Contains(c.Claims.IDToken.ACR.Values, "urn:openbanking:psd2:sca"):
		return fail("claims.id_token.acr must be essential with urn:openbanking:psd2:sca")
	}
	ui, it := c.Claims.Userinfo.AuthorizationID, c.Claims.IDToken.AuthorizationID
	if !ui.Essential || !it.Essential || ui.Value == "" || ui.Value != it.Value {
		return fail("claims.userinfo and claims.id_token must carry the same essential authorizationId")
	}
	b.mu.Lock()
	a := b.st.Authorizations[ui.Value]
	open := a != nil && (a.Status == "Unauthorized" || a.Status == "Authorizing")
	// An exemption payment may still be approved on the page: the fallback to the default
	// flow when the exemption is refused.
	b.mu.Unlock()
	if !open {
		return fail("authorizationId names no bundle waiting for approval")
	}
	e.v.pass(RuleRequestClaims)
	return &c, a, true
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>OP sandbox — approve payments</title></head>
<body><h1>OP sandbox</h1><p>Log in (sandbox: any user) and approve the payments of this bundle.</p>
<form method="post" action="/oauth/authorize">
<input type="hidden" name="page" value="{{.Page}}">
<label>User <input name="user" value="sandbox-user"></label>
<ul>{{range .Payments}}<li><label><input type="checkbox" name="approve" value="{{.ID}}" checked> {{.Shown}} to {{.PayeeName}} ({{.PayeeIBAN}})</label></li>{{end}}</ul>
<button name="outcome" value="approve">Approve selected</button>
<button name="outcome" value="reject">Reject all</button>
</form></body></html>`))

func (b *Bank) authorizePage(w http.ResponseWriter, r *http.Request) {
	e := b.begin(w, r, "GET /oauth/authorize")
	c, a, ok := e.checkRequest(r.URL.Query())
	if !ok {
		return
	}
	pageID := b.randomID()
	b.mu.Lock()
	a.Status = "Authorizing" // the bundle is locked: no more payments join it
	b.st.Pages[pageID] = &pending{AuthID: a.ID, RedirectURI: c.RedirectURI, State: c.State, Nonce: c.Nonce, Exp: b.cfg.Clock().Add(15 * time.Minute)}
	var ps []Payment
	for _, id := range a.PaymentIDs {
		ps = append(ps, *b.st.Payments[id])
	}
	b.st.save()
	b.mu.Unlock()
	e.v.Status = http.StatusOK
	b.record(e.v)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	page.Execute(w, map[string]any{"Page": pageID, "Payments": ps})
}

// authorizeAnswer takes the page's form: the payments the payer approved (the rest are
// rejected), or a rejection of all; the browser goes to the redirect_uri with code and state
// (or error=access_denied).
func (b *Bank) authorizeAnswer(w http.ResponseWriter, r *http.Request) {
	e := b.begin(w, r, "POST /oauth/authorize")
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if r.ParseForm() != nil {
		e.pageError(http.StatusBadRequest, RuleExists, "the form is unreadable")
		return
	}
	now := b.cfg.Clock()
	b.mu.Lock()
	pg := b.st.Pages[r.PostForm.Get("page")]
	delete(b.st.Pages, r.PostForm.Get("page"))
	if pg == nil || !now.Before(pg.Exp) {
		b.mu.Unlock()
		e.pageError(http.StatusBadRequest, RuleExists, "this page is unknown, answered or expired")
		return
	}
	a := b.st.Authorizations[pg.AuthID]
	approve := r.PostForm["approve"]
	outcome := r.PostForm.Get("outcome")
	q := url.Values{"state": {pg.State}}
	approved := 0
	for _, id := range a.PaymentIDs {
		p := b.st.Payments[id]
		if outcome == "approve" && slices.Contains(approve, id) {
			p.Status, approved = "Authorized", approved+1
		} else {
			p.Status = "Rejected"
		}
		p.Modified = now
	}
	if user := r.PostForm.Get("user"); printable(user, 64) {
		a.Payer = user
	} else {
		a.Payer = "sandbox-user"
	}
	if approved == 0 {
		a.Status = "Rejected"
		q.Set("error", "access_denied")
	} else {
		a.Status = "Authorized"
		c := b.randomID() + b.randomID()
		b.st.Codes[hashToken(c)] = &code{AuthID: a.ID, RedirectURI: pg.RedirectURI, Nonce: pg.Nonce, Exp: now.Add(b.cfg.CodeLife)}
		q.Set("code", c)
	}
	b.st.save()
	b.mu.Unlock()
	e.v.pass(RuleExists)
	e.v.Status = http.StatusSeeOther
	b.record(e.v)
	http.Redirect(w, r, pg.RedirectURI+"?"+q.Encode(), http.StatusSeeOther)
}
