package xs2a

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The browser host serves the pages a PSU sees: the redirect SCA page, SpareBank 1's session
// page and the OAuth authorize page. Each shows Approve and Deny; the form carries a
// single-use token the page was rendered with, so another site cannot decide for the PSU.

type pageSession struct {
	kind      string // "sca", "session", "oauth"
	ref       string // authorisation id, session state, or oauth request key
	oauth     *oauthRequest
	expiresAt time.Time
}

type pageSessions struct {
	mu sync.Mutex
	m  map[string]pageSession
}

func (s *pageSessions) put(token string, ps pageSession, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]pageSession{}
	}
	for k, v := range s.m {
		if !now.Before(v.expiresAt) {
			delete(s.m, k)
		}
	}
	s.m[token] = ps
}

func (s *pageSessions) take(token string, now time.Time) (pageSession, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps, ok := s.m[token]
	delete(s.m, token)
	if !ok || !now.Before(ps.expiresAt) {
		return pageSession{}, false
	}
	return ps, true
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Bank}} – {{.Title}}</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto;line-height:1.4}
.box{border:1px solid #888;padding:1em;margin:1em 0}button{font-size:1.1em;margin-right:1em}</style></head>
<body>
<h1>{{.Bank}}</h1>
{{if .Error}}<p id="error" role="alert">{{.Error}}</p>{{else}}
<h2 id="title">{{.Title}}</h2>
<div class="box" id="what">{{range .Lines}}<p>{{.}}</p>{{end}}</div>
<form method="post" action="{{.Action}}">
<input type="hidden" name="token" value="{{.Token}}">
{{if .AskPSU}}<p><label>Your user id <input id="psu" name="psu" value="sandbox-psu-1" maxlength="64"></label></p>{{end}}
<p><button id="approve" type="submit" name="decision" value="approve">Approve</button>
<button id="deny" type="submit" name="decision" value="deny">Deny</button></p>
</form>{{end}}
</body></html>`))

type pageData struct {
	Bank, Title, Action, Token, Error string
	Lines                             []string
	AskPSU                            bool
}

func (b *Bank) renderPage(w http.ResponseWriter, status int, d pageData) {
	d.Bank = b.prof.BankName
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, d)
}

func (b *Bank) pageError(w http.ResponseWriter, status int, msg string) {
	b.renderPage(w, status, pageData{Title: "Error", Error: msg})
}

func (b *Bank) browserMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sca/{authId}", b.scaPage)
	mux.HandleFunc("GET /session/{state}", b.sessionPage)
	mux.HandleFunc("POST /decision", b.pageDecision)
	if b.prof.offers(OAuth) {
		mux.HandleFunc("GET /oauth/authorize", b.oauthAuthorize)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := Verdict{RequestID: r.Header.Get("X-Request-ID"), Time: b.now(), Host: "browser", Method: r.Method, Path: r.URL.Path}
		rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		ctx := withPageVerdict(r, &v)
		mux.ServeHTTP(rw, ctx)
		v.Status = rw.status
		b.verdicts.publish(v)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

type pageVerdictKey struct{}

func withPageVerdict(r *http.Request, v *Verdict) *http.Request {
	return r.WithContext(contextWith(r.Context(), pageVerdictKey{}, v))
}

func pageCheck(r *http.Request, rule int, name string, err error) error {
	if v, ok := r.Context().Value(pageVerdictKey{}).(*Verdict); ok {
		ch := Check{Rule: rule, Name: name, Passed: err == nil}
		if err != nil {
			ch.Detail = err.Error()
		}
		v.Checks = append(v.Checks, ch)
	}
	return err
}

// scaPage is the redirect approach's page: GET /sca/{authId}?t=<page token>.
func (b *Bank) scaPage(w http.ResponseWriter, r *http.Request) {
	now := b.now()
	b.mu.Lock()
	a := b.st.Auths[r.PathValue("authId")]
	var p *payment
	if a != nil {
		p = b.st.Payments[a.PaymentID]
	}
	if a == nil || p == nil || a.Approach != Redirect || subtle.ConstantTimeCompare([]byte(a.PageToken), []byte(r.URL.Query().Get("t"))) != 1 {
		b.mu.Unlock()
		pageCheck(r, RuleAuthUpdate, "redirect page link valid", errors.New("unknown authorisation or wrong page token"))
		b.pageError(w, http.StatusNotFound, "This authorisation link is not valid.")
		return
	}
	b.advanceLocked(p, now)
	if scaFinal(a.SCAStatus) || a.SCAStatus == "unconfirmed" {
		_ = b.commitLocked()
		b.mu.Unlock()
		pageCheck(r, RuleSCATimeout, "authorisation still open", fmt.Errorf("scaStatus is %s", a.SCAStatus))
		b.pageError(w, http.StatusBadRequest, "This authorisation is already "+a.SCAStatus+"; go back to your app.")
		return
	}
	if a.SCAStatus == "received" {
		a.SCAStatus = "started"
		b.touchLocked(recAuth, a.ID)
	}
	lines := b.paymentLines(p, a.Cancel)
	err := b.commitLocked()
	tppName := ""
	if t := b.st.TPPs[p.TPPID]; t != nil {
		tppName = t.Name
	}
	b.mu.Unlock()
	if err != nil {
		b.pageError(w, http.StatusInternalServerError, "The bank could not save the session.")
		return
	}
	pageCheck(r, RuleAuthUpdate, "redirect page link valid", nil)
	if b.cfg.AutoApprove {
		b.decideSCA(w, r, a.ID, true)
		return
	}
	token := b.newSecret()
	b.pages.put(token, pageSession{kind: "sca", ref: a.ID, expiresAt: a.Deadline}, now)
	title := "Approve a payment"
	if a.Cancel {
		title = "Approve cancelling a payment"
	}
	b.renderPage(w, http.StatusOK, pageData{Title: title, Action: "/decision", Token: token,
		Lines: append([]string{tppName + " asks you to authorise:"}, lines...)})
}

// paymentLines describe a payment without its full account numbers.
func (b *Bank) paymentLines(p *payment, cancel bool) []string {
	exp := minorUnits[p.Currency]
	div := int64(1)
	for i := 0; i < exp; i++ {
		div *= 10
	}
	amount := fmt.Sprintf("%d.%0*d %s", p.Minor/div, exp, p.Minor%div, p.Currency)
	what := "Pay " + amount
	if cancel {
		what = "Cancel the payment of " + amount
	}
	return []string{what, "Product: " + p.Product}
}

// pageDecision is the form post of every page.
func (b *Bank) pageDecision(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		b.pageError(w, http.StatusBadRequest, "The form could not be read.")
		return
	}
	ps, ok := b.pages.take(r.PostForm.Get("token"), b.now())
	if !ok {
		pageCheck(r, RuleAuthUpdate, "decision comes from the bank's page", errors.New("unknown, used or expired page token"))
		b.pageError(w, http.StatusForbidden, "This decision did not come from a page the bank showed, or the page expired.")
		return
	}
	var approve bool
	switch r.PostForm.Get("decision") {
	case "approve":
		approve = true
	case "deny":
	default:
		b.pageError(w, http.StatusBadRequest, "Choose Approve or Deny.")
		return
	}
	switch ps.kind {
	case "sca":
		b.decideSCA(w, r, ps.ref, approve)
	case "session":
		b.decideSession(w, r, ps.ref, approve, r.PostForm.Get("psu"))
	case "oauth":
		b.decideOAuth(w, r, ps.oauth, approve)
	}
}

// decideSCA ends a redirect authorisation and sends the browser back to the TPP.
func (b *Bank) decideSCA(w http.ResponseWriter, r *http.Request, authID string, approve bool) {
	now := b.now()
	b.mu.Lock()
	a := b.st.Auths[authID]
	p := b.st.Payments[a.PaymentID]
	b.advanceLocked(p, now)
	if scaFinal(a.SCAStatus) || a.SCAStatus == "unconfirmed" {
		_ = b.commitLocked()
		b.mu.Unlock()
		pageCheck(r, RuleSCATimeout, "authorisation still open", fmt.Errorf("scaStatus is %s", a.SCAStatus))
		b.pageError(w, http.StatusBadRequest, "This authorisation is already "+a.SCAStatus+"; go back to your app.")
		return
	}
	target := a.RedirectURI
	if target == "" {
		target = p.RedirectURI
	}
	q := url.Values{}
	switch {
	case !approve:
		b.failAuthLocked(p, a, now)
		if a.NokRedirectURI != "" {
			target = a.NokRedirectURI
		}
	case a.NeedsConfirmation:
		a.SCAStatus = "unconfirmed"
		a.Confirmation = b.newDigits(8)
		b.touchLocked(recAuth, a.ID)
		q.Set("confirmationCode", a.Confirmation)
	default:
		b.finaliseLocked(p, a, now)
	}
	err := b.commitLocked()
	b.mu.Unlock()
	if err != nil {
		b.pageError(w, http.StatusInternalServerError, "The bank could not save the decision.")
		return
	}
	pageCheck(r, RuleAuthUpdate, "redirect SCA decided", nil)
	if target == "" {
		b.renderPage(w, http.StatusOK, pageData{Title: "Done", Lines: []string{"You can go back to your app."}})
		return
	}
	redirectWith(w, r, target, q)
}

func redirectWith(w http.ResponseWriter, r *http.Request, target string, q url.Values) {
	u, err := url.Parse(target)
	if err != nil {
		http.Error(w, "bad redirect", http.StatusInternalServerError)
		return
	}
	merged := u.Query()
	for k, v := range q {
		merged[k] = v
	}
	u.RawQuery = merged.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// sessionGate is rule 25 (SpareBank 1): PSU-ID and TPP-Session-ID of a live session of this
// TPP, else 401 with _links.scaRedirect to the session page.
func (b *Bank) sessionGate(c *call) error {
	r := c.r
	psu, sid := r.Header.Get("PSU-ID"), r.Header.Get("TPP-Session-ID")
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if s := b.st.Sessions[sid]; sid != "" && s != nil && !s.Pending && s.TPPID == c.tpp.ID && s.PSUID == psu && now.Before(s.ExpiresAt) {
		c.check(RulePSUSession, "PSU session established", nil)
		return nil
	}
	why := "no PSU-ID and TPP-Session-ID"
	if psu != "" || sid != "" {
		why = "PSU-ID and TPP-Session-ID do not name a live session of this TPP"
	}
	c.check(RulePSUSession, "PSU session established", errors.New(why))
	back := r.Header.Get("TPP-Redirect-URI")
	if back == "" || !redirectAllowed(c.tpp, back) {
		back = c.tpp.RedirectURIs[0]
	}
	for id, s := range b.st.Sessions { // drop expired sessions while here
		if !now.Before(s.ExpiresAt) {
			delete(b.st.Sessions, id)
			b.touchLocked(recSession, id)
		}
	}
	state := b.newSecret()
	b.st.Sessions[state] = &psuSession{ID: state, TPPID: c.tpp.ID, Pending: true, RedirectURI: back, ExpiresAt: now.Add(10 * time.Minute)}
	b.touchLocked(recSession, state)
	be := fail(http.StatusUnauthorized, "PSU_CREDENTIALS_INVALID", "establish a PSU session first: send the PSU to _links.scaRedirect, then send the psu-id and tpp-session-id it returns as PSU-ID and TPP-Session-ID")
	be.links = map[string]any{"scaRedirect": map[string]any{"href": b.browserURL + "/session/" + state, "verbs": []string{"GET"}}}
	return be
}

// sessionPage is SpareBank 1's session page (the BankID stand-in).
func (b *Bank) sessionPage(w http.ResponseWriter, r *http.Request) {
	now := b.now()
	state := r.PathValue("state")
	b.mu.Lock()
	s := b.st.Sessions[state]
	ok := s != nil && s.Pending && now.Before(s.ExpiresAt)
	b.mu.Unlock()
	if !ok {
		pageCheck(r, RulePSUSession, "session link valid", errors.New("unknown, used or expired session link"))
		b.pageError(w, http.StatusNotFound, "This login link is not valid any more; start again from your app.")
		return
	}
	pageCheck(r, RulePSUSession, "session link valid", nil)
	if b.cfg.AutoApprove {
		b.decideSession(w, r, state, true, "sandbox-psu-1")
		return
	}
	token := b.newSecret()
	b.pages.put(token, pageSession{kind: "session", ref: state, expiresAt: s.ExpiresAt}, now)
	b.renderPage(w, http.StatusOK, pageData{Title: "Log in for payment initiation", Action: "/decision", Token: token, AskPSU: true,
		Lines: []string{"Log in to let your payment app initiate payments from your accounts."}})
}

func (b *Bank) decideSession(w http.ResponseWriter, r *http.Request, state string, approve bool, psu string) {
	now := b.now()
	psu = strings.TrimSpace(psu)
	if approve && (psu == "" || len(psu) > 64 || strings.ContainsAny(psu, "\r\n\x00")) {
		b.pageError(w, http.StatusBadRequest, "Type your user id (1–64 characters).")
		return
	}
	b.mu.Lock()
	s := b.st.Sessions[state]
	if s == nil || !s.Pending || !now.Before(s.ExpiresAt) {
		b.mu.Unlock()
		b.pageError(w, http.StatusBadRequest, "This login expired; start again from your app.")
		return
	}
	delete(b.st.Sessions, state)
	b.touchLocked(recSession, state)
	q := url.Values{}
	if approve {
		sid := b.newID()
		b.st.Sessions[sid] = &psuSession{ID: sid, TPPID: s.TPPID, PSUID: psu, ExpiresAt: now.Add(b.cfg.SessionLifetime)}
		b.touchLocked(recSession, sid)
		q.Set("psu-id", psu)
		q.Set("tpp-session-id", sid)
	} else {
		q.Set("message", "The PSU cancelled the login.")
	}
	err := b.commitLocked()
	b.mu.Unlock()
	if err != nil {
		b.pageError(w, http.StatusInternalServerError, "The bank could not save the session.")
		return
	}
	pageCheck(r, RulePSUSession, "session decided", nil)
	redirectWith(w, r, s.RedirectURI, q)
}

// EndSessions ends every open SpareBank 1 PSU session (the payer logged out at the bank, or
// the bank ended the sessions): their next call is answered 401 with a new login link. It
// returns how many it ended.
func (b *Bank) EndSessions() (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for id, s := range b.st.Sessions {
		if s.Pending {
			continue
		}
		delete(b.st.Sessions, id)
		b.touchLocked(recSession, id)
		n++
	}
	return n, b.commitLocked()
}
