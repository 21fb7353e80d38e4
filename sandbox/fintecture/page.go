package fintecture

import (
	"crypto/subtle"
	"html/template"
	"net/http"
	"net/url"
)

// The Connect page stands for Fintecture's Connect: the payer's bank choice and the bank's
// own SCA, reduced to the outcomes a wallet must survive.
//
//   - pay:    the bank executes the transfer (payment_created); the browser returns to the
//     redirect_uri with state, session_id and status.
//   - deny:   the payer or the bank refuses (payment_unsuccessful); the browser returns.
//   - leave:  the payer pays at the bank but never comes back (the tab is closed):
//     payment_created and no redirect — only polling tells the wallet.
//   - expire: the session runs out now (payment_expired); no redirect.
//
// An outcome is taken only from the page's own form (its page token), once.

var pageTmpl = template.Must(template.New("connect").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fintecture Connect (payterm sandbox)</title></head>
<body>
<h1>Fintecture Connect — sandbox</h1>
{{if .Final}}<p id="status">This session is {{.Status}}.</p>{{else}}
<p>Pay <strong id="amount">{{.Amount}} {{.Currency}}</strong>{{if .PayeeName}} to <strong id="payee">{{.PayeeName}}</strong>{{end}}.</p>
<p>Reference: <span id="communication">{{.Communication}}</span></p>
<form method="post" action="/connect/{{.ID}}">
<input type="hidden" name="page" value="{{.PageToken}}">
<button type="submit" name="outcome" value="pay" id="pay">Pay at my bank</button>
<button type="submit" name="outcome" value="deny" id="deny">Refuse</button>
<button type="submit" name="outcome" value="leave" id="leave">Pay, then close the tab without returning</button>
<button type="submit" name="outcome" value="expire" id="expire">Let the session expire</button>
</form>{{end}}
</body></html>
`))

var donePage = template.Must(template.New("done").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fintecture Connect (payterm sandbox)</title></head>
<body><p id="status">{{.}}</p></body></html>
`))

type pageView struct {
	Session
	Final bool
}

func (h *Hub) page(w http.ResponseWriter, r *http.Request) {
	s, ok := h.current(r.PathValue("id"))
	if !ok {
		http.Error(w, "no such session", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; form-action 'self'")
	pageTmpl.Execute(w, pageView{Session: s, Final: final(s.Status)})
}

func (h *Hub) outcome(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "the form does not parse", http.StatusBadRequest)
		return
	}
	id := r.PathValue("id")
	if _, ok := h.current(id); !ok {
		http.Error(w, "no such session", http.StatusNotFound)
		return
	}
	h.mu.Lock()
	s := h.st.Sessions[id]
	if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("page")), []byte(s.PageToken)) != 1 {
		h.mu.Unlock()
		http.Error(w, "this outcome did not come from the session's page", http.StatusForbidden)
		return
	}
	if final(s.Status) {
		status := s.Status
		h.mu.Unlock()
		http.Error(w, "the session is already "+status, http.StatusConflict)
		return
	}
	redirect := false
	switch r.PostForm.Get("outcome") {
	case "pay":
		s.Status, redirect = StatusCreated, true
	case "deny":
		s.Status, redirect = StatusUnsuccessful, true
	case "leave":
		s.Status = StatusCreated
	case "expire":
		s.Status = StatusExpired
	default:
		h.mu.Unlock()
		http.Error(w, "outcome must be pay, deny, leave or expire", http.StatusBadRequest)
		return
	}
	s.Updated = h.cfg.Clock()
	err := h.st.save()
	cur := *s
	h.mu.Unlock()
	if err != nil {
		http.Error(w, "the hub could not save the session", http.StatusInternalServerError)
		return
	}
	if redirect {
		q := url.Values{"state": {cur.State}, "session_id": {cur.ID}, "status": {cur.Status}}
		http.Redirect(w, r, cur.RedirectURI+sep(cur.RedirectURI)+q.Encode(), http.StatusSeeOther)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	msg := "The session expired. You may close this tab."
	if cur.Status == StatusCreated {
		msg = "Paid. You closed the tab without returning to the shop."
	}
	donePage.Execute(w, msg)
}

func sep(u string) string {
	if p, err := url.Parse(u); err == nil && p.RawQuery != "" {
		return "&"
	}
	return "?"
}
