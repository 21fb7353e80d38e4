package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/payterm/payterm/sandbox/rules"
)

// authSession is one consent page shown to a user: the request_uri is consumed when the page
// opens (rule 22), and the form post must carry the session's CSRF token, which also sits in a
// SameSite=Strict cookie (double submit), so another site cannot approve on the user's behalf.
//
// A reload of the page in the same browser shows the same session again: the first GET sets
// a cookie (named after the request_uri) holding the session's reload token, and a GET of a
// used request_uri that presents it gets the page back instead of an error. Any other use of
// a used request_uri (another browser, another client, after the decision) stays refused.
type authSession struct {
	ID         string
	CSRF       string
	Reload     string // the value of the reload cookie
	RequestURI string
	PAR        parRecord
	ExpiresAt  time.Time
}

type authSessions struct {
	mu sync.Mutex
	m  map[string]*authSession
}

func (s *authSessions) put(a *authSession, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*authSession{}
	}
	for id, old := range s.m { // pages nobody answered
		if !now.Before(old.ExpiresAt) {
			delete(s.m, id)
		}
	}
	s.m[a.ID] = a
}

// forReload returns the live, undecided session opened for requestURI whose reload token is
// token, if there is one.
func (s *authSessions) forReload(requestURI, token string, now time.Time) (*authSession, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.m {
		if a.RequestURI == requestURI && now.Before(a.ExpiresAt) && subtle.ConstantTimeCompare([]byte(a.Reload), []byte(token)) == 1 {
			return a, true
		}
	}
	return nil, false
}

// reloadCookieName is per request_uri, so pages of two consents in one browser do not collide.
func reloadCookieName(requestURI string) string {
	sum := sha256.Sum256([]byte(requestURI))
	return "reload_" + hex.EncodeToString(sum[:8])
}

// take removes and returns a session (a decision is made once).
func (s *authSessions) take(id string) (*authSession, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.m[id]
	delete(s.m, id)
	return a, ok
}

// sandboxAccounts are the debtor accounts the simulated user holds, offered when the consent
// does not fix one. The IBANs are valid (mod-97) test numbers of bank code 033.
var sandboxAccounts = []struct{ IBAN, Label string }{
	{"AE070331234567890123456", "Current account"},
	{"AE630330000010123456789", "Savings account"},
}

func (b *Bank) authorizeMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", b.handleAuthorize)
	mux.HandleFunc("POST /authorize/decision", b.handleDecision)
	return b.wrap("authorize", "", mux)
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Bank}} – approve a payment consent</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto;line-height:1.4}
.box{border:1px solid #888;padding:1em;margin:1em 0}button{font-size:1.1em;margin-right:1em}</style></head>
<body>
<h1>{{.Bank}}</h1>
{{if .Error}}<p id="error" role="alert">{{.Error}}</p>{{else}}
<p><strong id="tpp">{{.TPP}}</strong> asks for a long-lived payment consent.</p>
<div class="box" id="dsca"><p>Each payment under this consent will be authenticated by
<strong>{{.TPP}}</strong> itself (delegated strong customer authentication). The bank will not ask
you again. No amounts or schedule are fixed by this consent.</p></div>
<p>Valid until <strong id="expiry">{{.Expiry}}</strong>.</p>
<h2>Who you're paying</h2>
{{if .Creditors}}<ul id="creditors">{{range .Creditors}}<li>{{.Name}} – account ending {{.Last4}}</li>{{end}}</ul>
{{else}}<p id="open-beneficiary">{{.TPP}} will choose the beneficiary at the time of each payment.</p>{{end}}
<form method="post" action="/authorize/decision">
<input type="hidden" name="session" value="{{.Session}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<h2>Pay from</h2>
{{if .FixedDebtor}}<p id="debtor">Account ending {{.FixedDebtor}} (chosen by {{.TPP}})</p>
{{else}}{{range $i, $a := .Accounts}}<label><input type="radio" name="debtor" value="{{$i}}"{{if eq $i 0}} checked{{end}}> {{$a.Label}} ending {{$a.Last4}}</label><br>{{end}}{{end}}
<p><button id="approve" type="submit" name="decision" value="approve">Approve</button>
<button id="deny" type="submit" name="decision" value="deny">Deny</button></p>
</form>{{end}}
</body></html>`))

type pageCreditor struct{ Name, Last4 string }
type pageAccount struct{ Label, Last4 string }

type pageData struct {
	Bank, TPP, Expiry, Session, CSRF, FixedDebtor, Error string
	Creditors                                            []pageCreditor
	Accounts                                             []pageAccount
}

func last4(s string) string {
	if len(s) <= 4 {
		return s
	}
	return s[len(s)-4:]
}

func (b *Bank) authorizeErrorPage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, pageData{Bank: b.cfg.BankName, Error: msg})
}

// handleAuthorize is GET /authorize?client_id&response_type=code&scope=openid&request_uri (rule 22).
func (b *Bank) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	for k, v := range q {
		if !slices.Contains([]string{"client_id", "response_type", "scope", "request_uri"}, k) || len(v) != 1 {
			check(ctx, 22, "authorize parameters are exactly client_id, response_type, scope, request_uri", fmt.Errorf("unexpected parameter %s", k))
			b.authorizeErrorPage(w, http.StatusBadRequest, "The request carries an unexpected parameter.")
			return
		}
	}
	clientID, reqURI := q.Get("client_id"), q.Get("request_uri")
	b.mu.Lock()
	now := b.nowLocked()
	par, ok := b.st.PARs[reqURI]
	var err error
	var reload *authSession
	switch {
	case !ok:
		err = errors.New("unknown request_uri")
	case par.ClientID != clientID:
		err = errors.New("client_id is not the client that pushed the request")
	case q.Get("response_type") != "code":
		err = errors.New("response_type must be code")
	case par.Used:
		// A reload by the browser session that opened the page gets the page again (the
		// request_uri was consumed in time, the session has its own expiry).
		if c, cerr := r.Cookie(reloadCookieName(reqURI)); cerr == nil {
			reload, _ = b.sessions.forReload(reqURI, c.Value, now)
		}
		if reload == nil {
			err = errors.New("request_uri was already used")
		}
	case !now.Before(par.ExpiresAt):
		err = errors.New("request_uri expired")
	}
	if err != nil {
		b.mu.Unlock()
		check(ctx, 22, "request_uri valid, unused, unexpired, same client", err)
		b.authorizeErrorPage(w, http.StatusBadRequest, "This authorization request is not valid: "+err.Error()+".")
		return
	}
	par.Used = true
	b.touchLocked(kindPAR, reqURI)
	p := *par
	cons := b.st.Consents[p.ConsentID]
	var consCopy consentRecord
	if cons != nil {
		b.refreshConsentLocked(cons, now)
		consCopy = *cons
	}
	client := b.st.Clients[p.ClientID]
	if reload == nil {
		_ = b.commitLocked()
	}
	b.mu.Unlock()
	setVerdictClient(ctx, clientID)
	if cons == nil || client == nil || consCopy.Status != statusAwaiting {
		check(ctx, 22, "consent awaiting authorization", errors.New("consent is not awaiting authorization"))
		b.authorizeErrorPage(w, http.StatusBadRequest, "This consent can no longer be authorized.")
		return
	}
	pii, _ := decodeStoredPII(consCopy.PII)
	if reload != nil {
		check(ctx, 22, "used request_uri reloaded by the browser session that opened it: same page", nil)
		b.renderConsentPage(w, reload, client, &consCopy, pii)
		return
	}
	check(ctx, 22, "request_uri valid, unused, unexpired, same client", nil)
	if b.cfg.AutoApprove {
		debtor := sandboxAccounts[0].IBAN
		if d := fixedDebtor(pii); d != "" {
			debtor = d
		}
		b.decide(w, r, p, true, debtor)
		return
	}
	sess := &authSession{PAR: p, RequestURI: reqURI, ExpiresAt: now.Add(10 * time.Minute)}
	if sess.ID, err = b.newSecret(); err == nil {
		if sess.CSRF, err = b.newSecret(); err == nil {
			sess.Reload, err = b.newSecret()
		}
	}
	if err != nil {
		b.authorizeErrorPage(w, http.StatusInternalServerError, "The bank could not start a session.")
		return
	}
	b.sessions.put(sess, now)
	b.renderConsentPage(w, sess, client, &consCopy, pii)
}

// renderConsentPage shows sess's page and (re)sets its cookies: the CSRF double-submit cookie
// (SameSite=Strict: only the bank's own form post carries it) and the reload cookie
// (SameSite=Lax: a reload is a top-level GET, which Lax allows even when the page was opened
// from another application; it lets nothing be decided, the post still needs the CSRF token).
func (b *Bank) renderConsentPage(w http.ResponseWriter, sess *authSession, client *Client, cons *consentRecord, pii *rules.ConsentPIIData) {
	data := pageData{Bank: b.cfg.BankName, TPP: client.Name, Expiry: cons.ExpirationDateTime.UTC().Format("2 January 2006 15:04 MST"),
		Session: sess.ID, CSRF: sess.CSRF}
	for _, c := range pii.Creditors() {
		name := ""
		if c.CreditorAccount != nil && c.CreditorAccount.Name != nil {
			name = localizedName(c.CreditorAccount.Name)
		}
		var iban string
		if c.CreditorAccount != nil {
			iban = c.CreditorAccount.Identification
		}
		data.Creditors = append(data.Creditors, pageCreditor{Name: name, Last4: last4(iban)})
	}
	if d := fixedDebtor(pii); d != "" {
		data.FixedDebtor = last4(d)
	} else {
		for _, a := range sandboxAccounts {
			data.Accounts = append(data.Accounts, pageAccount{Label: a.Label, Last4: last4(a.IBAN)})
		}
	}
	http.SetCookie(w, &http.Cookie{Name: "csrf_" + sess.ID[:16], Value: sess.CSRF, Path: "/authorize", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: b.cfg.AuthorizeTLS, MaxAge: 600})
	http.SetCookie(w, &http.Cookie{Name: reloadCookieName(sess.RequestURI), Value: sess.Reload, Path: "/authorize", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: b.cfg.AuthorizeTLS, MaxAge: 600})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	_ = pageTmpl.Execute(w, data)
}

func localizedName(n *rules.LocalizedName) string {
	if n.En != nil && *n.En != "" {
		return *n.En
	}
	if n.Ar != nil {
		return *n.Ar
	}
	return ""
}

func fixedDebtor(pii *rules.ConsentPIIData) string {
	if pii != nil && pii.Initiation != nil && pii.Initiation.DebtorAccount != nil {
		return pii.Initiation.DebtorAccount.Identification
	}
	return ""
}

// handleDecision is the consent page's form post.
func (b *Bank) handleDecision(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		b.authorizeErrorPage(w, http.StatusBadRequest, "The form could not be read.")
		return
	}
	id := r.PostForm.Get("session")
	if len(id) < 16 {
		b.authorizeErrorPage(w, http.StatusBadRequest, "The session is missing.")
		return
	}
	cookie, cerr := r.Cookie("csrf_" + id[:16])
	sess, ok := b.sessions.take(id)
	if !ok || cerr != nil || cookie.Value != sess.CSRF || r.PostForm.Get("csrf") != sess.CSRF {
		check(ctx, 22, "consent decision carries the page's CSRF token", errors.New("CSRF token missing or wrong"))
		b.authorizeErrorPage(w, http.StatusForbidden, "This approval did not come from the bank's page.")
		return
	}
	if !b.now().Before(sess.ExpiresAt) {
		b.authorizeErrorPage(w, http.StatusBadRequest, "The page expired; start again from your app.")
		return
	}
	setVerdictClient(ctx, sess.PAR.ClientID)
	b.mu.Lock()
	var pii []byte
	if c := b.st.Consents[sess.PAR.ConsentID]; c != nil {
		pii = c.PII
	}
	b.mu.Unlock()
	consentPII, _ := decodeStoredPII(pii)
	debtor := fixedDebtor(consentPII)
	if debtor == "" {
		i := 0
		if s := r.PostForm.Get("debtor"); s != "" {
			if _, err := fmt.Sscanf(s, "%d", &i); err != nil || i < 0 || i >= len(sandboxAccounts) {
				b.authorizeErrorPage(w, http.StatusBadRequest, "Choose one of your accounts.")
				return
			}
		}
		debtor = sandboxAccounts[i].IBAN
	}
	switch r.PostForm.Get("decision") {
	case "approve":
		b.decide(w, r, sess.PAR, true, debtor)
	case "deny":
		b.decide(w, r, sess.PAR, false, "")
	default:
		b.authorizeErrorPage(w, http.StatusBadRequest, "Choose Approve or Deny.")
	}
}

// decide applies the user's decision and redirects to the client with code/state/iss or
// error=access_denied/state/iss (rule 22).
func (b *Bank) decide(w http.ResponseWriter, r *http.Request, p parRecord, approve bool, debtor string) {
	ctx := r.Context()
	b.mu.Lock()
	now := b.nowLocked()
	cons := b.st.Consents[p.ConsentID]
	if cons == nil {
		b.mu.Unlock()
		b.authorizeErrorPage(w, http.StatusBadRequest, "The consent no longer exists.")
		return
	}
	b.refreshConsentLocked(cons, now)
	if cons.Status != statusAwaiting {
		b.mu.Unlock()
		b.authorizeErrorPage(w, http.StatusBadRequest, "This consent can no longer be authorized.")
		return
	}
	q := url.Values{}
	if approve {
		code, err := b.newSecret()
		if err != nil {
			b.mu.Unlock()
			b.authorizeErrorPage(w, http.StatusInternalServerError, "The bank could not issue a code.")
			return
		}
		cons.Status, cons.StatusUpdateDateTime, cons.DebtorAccount = statusAuthorized, now, debtor
		b.touchLocked(kindCode, secretKey(code))
		b.st.Codes[secretKey(code)] = &codeRecord{ClientID: p.ClientID, ConsentID: p.ConsentID, RedirectURI: p.RedirectURI,
			CodeChallenge: p.CodeChallenge, Scope: p.Scope, State: p.State, Nonce: p.Nonce, ExpiresAt: now.Add(b.cfg.CodeLifetime)}
		q.Set("code", code)
	} else {
		cons.Status, cons.StatusUpdateDateTime = statusRejected, now
		q.Set("error", "access_denied")
		q.Set("error_description", "The user denied the consent.")
	}
	b.touchLocked(kindConsent, cons.ConsentID)
	q.Set("state", p.State)
	q.Set("iss", b.issuer)
	err := b.commitLocked()
	b.mu.Unlock()
	if err != nil {
		b.authorizeErrorPage(w, http.StatusInternalServerError, "The bank could not save the decision.")
		return
	}
	check(ctx, 22, "decision redirects with code/error, state and iss", nil)
	u, err := url.Parse(p.RedirectURI)
	if err != nil {
		b.authorizeErrorPage(w, http.StatusInternalServerError, "The redirect address is invalid.")
		return
	}
	merged := u.Query() // keep any query the registered redirect URI carries
	for k, v := range q {
		merged[k] = v
	}
	u.RawQuery = merged.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}
