package xs2a

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// The OAuth SCA approach (BOG): scaOAuth points at RFC 8414 metadata; the TPP sends the PSU
// to the authorization endpoint with scope "PIS:<paymentId>", PKCE S256 and a registered
// redirect_uri, then swaps the code at the token endpoint over mTLS. The authorisation is
// finalised when the code is swapped (the PSU's approval alone does not finish it).

type oauthRequest struct {
	TPPID, AuthID, RedirectURI, State, Challenge string
}

func (b *Bank) newDigits(n int) string {
	var buf [8]byte
	if _, err := io.ReadFull(b.cfg.Rand, buf[:]); err != nil {
		return strings.Repeat("0", n)
	}
	v := binary.BigEndian.Uint64(buf[:])
	mod := uint64(1)
	for i := 0; i < n; i++ {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", n, v%mod)
}

func (b *Bank) oauthMetadata(w http.ResponseWriter, r *http.Request) {
	md := map[string]any{
		"issuer":                                b.apiURL,
		"authorization_endpoint":                b.browserURL + "/oauth/authorize",
		"token_endpoint":                        b.apiURL + "/oauth/token",
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"tls_client_auth"},
		"scopes_supported":                      []string{"PIS:<paymentId>"},
	}
	raw, _ := json.Marshal(md)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "max-age=300")
	_, _ = w.Write(raw)
}

var pkceRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// tokenLifetime is how long an access token from /oauth/token is good for (its expires_in).
const tokenLifetime = 5 * time.Minute

// oauthAuthorize is GET /oauth/authorize on the browser host (rule 34).
func (b *Bank) oauthAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	bad := func(msg string) {
		pageCheck(r, RuleOAuthAuthorize, "authorization request valid", errors.New(msg))
		b.pageError(w, http.StatusBadRequest, "This authorization request is not valid: "+msg+".")
	}
	for k, v := range q {
		switch k {
		case "response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method":
			if len(v) != 1 {
				bad(k + " is repeated")
				return
			}
		default:
			bad("unexpected parameter " + k)
			return
		}
	}
	now := b.now()
	b.mu.Lock()
	tpp := b.st.TPPs[q.Get("client_id")]
	var a *authorisation
	var p *payment
	payID, hasScope := strings.CutPrefix(q.Get("scope"), "PIS:")
	if hasScope {
		p = b.st.Payments[payID]
	}
	if p != nil && tpp != nil && p.TPPID == tpp.ID {
		b.advanceLocked(p, now)
		a = b.openAuthLocked(p, p.CancelPending)
	}
	err := b.commitLocked()
	b.mu.Unlock()
	switch {
	case err != nil:
		b.pageError(w, http.StatusInternalServerError, "The bank could not save the request.")
		return
	case tpp == nil:
		bad("client_id is not a registered TPP")
		return
	case !redirectAllowed(tpp, q.Get("redirect_uri")):
		bad("redirect_uri is not registered for this TPP")
		return
	case q.Get("response_type") != "code":
		bad("response_type must be code")
		return
	case !hasScope || p == nil || p.TPPID != tpp.ID:
		bad("scope must be PIS:<paymentId> of a payment of this TPP")
		return
	case a == nil || a.Approach != OAuth:
		bad("the payment has no OAuth authorisation waiting")
		return
	case q.Get("state") == "" || len(q.Get("state")) > 512:
		bad("state is required (at most 512 characters)")
		return
	case q.Get("code_challenge_method") != "S256" || !pkceRE.MatchString(q.Get("code_challenge")):
		bad("PKCE is required: code_challenge (43 base64url characters) with code_challenge_method S256")
		return
	}
	pageCheck(r, RuleOAuthAuthorize, "authorization request valid", nil)
	b.mu.Lock()
	if a.SCAStatus == "received" { // the PSU reached the bank: the SCA routine started
		a.SCAStatus = "started"
		b.touchLocked(recAuth, a.ID)
	}
	err = b.commitLocked()
	b.mu.Unlock()
	if err != nil {
		b.pageError(w, http.StatusInternalServerError, "The bank could not save the request.")
		return
	}
	req := &oauthRequest{TPPID: tpp.ID, AuthID: a.ID, RedirectURI: q.Get("redirect_uri"), State: q.Get("state"), Challenge: q.Get("code_challenge")}
	if b.cfg.AutoApprove {
		b.decideOAuth(w, r, req, true)
		return
	}
	token := b.newSecret()
	b.pages.put(token, pageSession{kind: "oauth", oauth: req, expiresAt: a.Deadline}, now)
	b.mu.Lock()
	lines := b.paymentLines(p, a.Cancel)
	b.mu.Unlock()
	b.renderPage(w, http.StatusOK, pageData{Title: "Authorise a payment", Action: "/decision", Token: token,
		Lines: append([]string{tpp.Name + " asks you to authorise:"}, lines...)})
}

func (b *Bank) decideOAuth(w http.ResponseWriter, r *http.Request, req *oauthRequest, approve bool) {
	now := b.now()
	q := url.Values{}
	b.mu.Lock()
	a := b.st.Auths[req.AuthID]
	p := b.st.Payments[a.PaymentID]
	b.advanceLocked(p, now)
	if scaFinal(a.SCAStatus) {
		_ = b.commitLocked()
		b.mu.Unlock()
		b.pageError(w, http.StatusBadRequest, "This authorisation is already "+a.SCAStatus+"; go back to your app.")
		return
	}
	if approve {
		code := b.newSecret()
		b.st.Codes[secretKey(code)] = &oauthCode{TPPID: req.TPPID, AuthID: a.ID, RedirectURI: req.RedirectURI, CodeChallenge: req.Challenge, ExpiresAt: now.Add(60 * time.Second)}
		b.touchLocked(recCode, secretKey(code))
		q.Set("code", code)
	} else {
		b.failAuthLocked(p, a, now)
		q.Set("error", "access_denied")
	}
	q.Set("state", req.State)
	err := b.commitLocked()
	b.mu.Unlock()
	if err != nil {
		b.pageError(w, http.StatusInternalServerError, "The bank could not save the decision.")
		return
	}
	pageCheck(r, RuleOAuthAuthorize, "authorization decided", nil)
	redirectWith(w, r, req.RedirectURI, q)
}

// oauthToken is POST /oauth/token (rule 35): mTLS with the TPP's QWAC, authorization_code with
// PKCE; a code is single-use and lives 60 s.
func (b *Bank) oauthToken(w http.ResponseWriter, r *http.Request) {
	v := Verdict{RequestID: r.Header.Get("X-Request-ID"), Time: b.now(), Host: "api", Method: r.Method, Path: r.URL.Path}
	defer func() { b.verdicts.publish(v) }()
	answer := func(status int, body map[string]any) {
		v.Status = status
		raw, _ := json.Marshal(body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_, _ = w.Write(raw)
	}
	oerr := func(status int, code, desc string) {
		v.Checks = append(v.Checks, Check{Rule: RuleOAuthToken, Name: "token request valid", Detail: desc})
		v.Code = code
		answer(status, map[string]any{"error": code, "error_description": desc})
	}
	var tppID string
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		b.mu.Lock()
		if rec := b.st.Certs[serialHex(r.TLS.PeerCertificates[0])]; rec != nil && rec.Kind == kindQWAC {
			tppID = rec.TPPID
		}
		b.mu.Unlock()
	}
	if tppID == "" {
		oerr(http.StatusUnauthorized, "invalid_client", "present your QWAC (tls_client_auth)")
		return
	}
	v.TPPID = tppID
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		oerr(http.StatusBadRequest, "invalid_request", "send the token request as application/x-www-form-urlencoded")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8192)
	if err := r.ParseForm(); err != nil {
		oerr(http.StatusBadRequest, "invalid_request", "the form could not be read")
		return
	}
	f := r.PostForm
	if f.Get("grant_type") != "authorization_code" {
		oerr(http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code")
		return
	}
	// RFC 8705 §2: with tls_client_auth the client_id is sent, and it must be the TPP whose
	// certificate authenticated the connection.
	switch id := f.Get("client_id"); {
	case id == "":
		oerr(http.StatusBadRequest, "invalid_request", "client_id is required (tls_client_auth, RFC 8705 §2)")
		return
	case id != tppID:
		oerr(http.StatusUnauthorized, "invalid_client", "client_id is not the TPP of the certificate")
		return
	}
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	key := secretKey(f.Get("code"))
	code := b.st.Codes[key]
	if code != nil { // single use, whatever happens next
		delete(b.st.Codes, key)
		b.touchLocked(recCode, key)
	}
	sum := sha256.Sum256([]byte(f.Get("code_verifier")))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	var a *authorisation
	var p *payment
	if code != nil {
		a = b.st.Auths[code.AuthID]
		p = b.st.Payments[a.PaymentID]
		b.advanceLocked(p, now)
	}
	var fault string
	switch {
	case code == nil:
		fault = "the code is unknown or was already used"
	case !now.Before(code.ExpiresAt):
		fault = "the code expired (60 s)"
	case code.TPPID != tppID:
		fault = "the code was issued to another TPP"
	case f.Get("redirect_uri") != code.RedirectURI:
		fault = "redirect_uri is not the one of the authorization request"
	case subtle.ConstantTimeCompare([]byte(challenge), []byte(code.CodeChallenge)) != 1:
		fault = "code_verifier does not match the code_challenge (S256)"
	case scaFinal(a.SCAStatus):
		fault = "the authorisation is already " + a.SCAStatus
	}
	if fault != "" {
		_ = b.commitLocked()
		oerr(http.StatusBadRequest, "invalid_grant", fault)
		return
	}
	b.finaliseLocked(p, a, now)
	tok := b.newSecret()
	b.st.Tokens[secretKey(tok)] = &accessToken{TPPID: tppID, PaymentID: p.ID, ExpiresAt: now.Add(tokenLifetime)}
	b.touchLocked(recToken, secretKey(tok))
	if err := b.commitLocked(); err != nil {
		oerr(http.StatusInternalServerError, "server_error", "the bank could not save the grant")
		return
	}
	v.Checks = append(v.Checks, Check{Rule: RuleOAuthToken, Name: "token request valid", Passed: true})
	answer(http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(tokenLifetime / time.Second), "scope": "PIS:" + p.ID})
}
