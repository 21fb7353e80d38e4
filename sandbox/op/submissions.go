package op

import (
	"net/http"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Helsinki everywhere
)

var helsinki = func() *time.Location {
	l, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		panic(err)
	}
	return l
}()

// midnightAfter is the next midnight in Helsinki after t: a Pending submission may be sent
// again under its submissionId until then; later it is Error.
func midnightAfter(t time.Time) time.Time {
	h := t.In(helsinki)
	return time.Date(h.Year(), h.Month(), h.Day()+1, 0, 0, 0, 0, helsinki)
}

type submissionView struct {
	SubmissionID string `json:"submissionId"`
	ArchiveID    string `json:"archiveId"`
	Created      string `json:"created"`
	Modified     string `json:"modified"`
	Status       string `json:"status"`
}

func subView(s *Submission) submissionView {
	return submissionView{SubmissionID: s.ID, ArchiveID: s.ArchiveID, Created: s.Created.Format(time.RFC3339Nano),
		Modified: s.Modified.Format(time.RFC3339Nano), Status: s.Status}
}

// advance moves an Accepted submission on when its time has come (the caller holds the lock).
func (b *Bank) advance(s *Submission, now time.Time) {
	if s.Status != "Accepted" || s.Then == "" || now.Before(s.ThenAt) {
		return
	}
	s.Status, s.Then, s.Modified = s.Then, "", now
	if s.Status == "Submitted" {
		if p := b.st.Payments[s.PaymentID]; p != nil {
			p.Debited++
		}
	}
}

// scenario reads x-sandbox-scenario: the status a submission gets now, what it becomes later
// and when. ok is false for a value the sandbox does not know.
func scenario(v string, now time.Time) (status, then string, at time.Time, reason string, ok bool) {
	name, arg, _ := strings.Cut(v, "=")
	switch name {
	case "", "PaymentSubmitSuccess":
		return "Accepted", "Submitted", now, "", arg == ""
	case "PaymentSubmitFailed":
		return "Accepted", "Rejected", now, "PaymentFail", arg == ""
	case "InsufficientFunds":
		return "Error", "", now, "InsufficientFunds", arg == ""
	case "PaymentSystemUnavailable":
		return "Pending", "", now, "", arg == ""
	case "PaymentFail":
		switch arg {
		case "", "AccountClosed", "InvalidPayee", "LimitExceeded":
			return "Rejected", "", now, "PaymentFail" + strings.TrimPrefix("="+arg, "="), true
		}
	case "FutureSimulation":
		d, ok := isoDuration(arg)
		return "Accepted", "Submitted", now.Add(d), "", ok
	}
	return "", "", time.Time{}, "", false
}

// isoDuration reads PnDTnHnMnS (days, hours, minutes, seconds; at most 30 days).
func isoDuration(s string) (time.Duration, bool) {
	if !strings.HasPrefix(s, "P") || len(s) < 3 || len(s) > 20 {
		return 0, false
	}
	var d time.Duration
	inTime, n, digits := false, 0, 0
	for _, c := range s[1:] {
		switch {
		case c >= '0' && c <= '9':
			n, digits = n*10+int(c-'0'), digits+1
			if digits > 6 {
				return 0, false
			}
			continue
		case c == 'T' && !inTime && digits == 0:
			inTime = true
			continue
		}
		if digits == 0 {
			return 0, false
		}
		switch {
		case c == 'D' && !inTime:
			d += time.Duration(n) * 24 * time.Hour
		case c == 'H' && inTime:
			d += time.Duration(n) * time.Hour
		case c == 'M' && inTime:
			d += time.Duration(n) * time.Minute
		case c == 'S' && inTime:
			d += time.Duration(n) * time.Second
		default:
			return 0, false
		}
		n, digits = 0, 0
	}
	return d, digits == 0 && d > 0 && d <= 30*24*time.Hour
}

func (b *Bank) putSubmission(w http.ResponseWriter, r *http.Request) {
	e := b.begin(w, r, "PUT /submissions")
	t := e.api("user")
	if t == nil {
		return
	}
	pid, sid := r.PathValue("id"), r.PathValue("sid")
	if r.ContentLength > 0 || len(r.TransferEncoding) > 0 || !printable(sid, 64) {
		e.refuse(http.StatusBadRequest, RuleSubmitBody, "InvalidValue", "a submission has no body and a submissionId of 1..64 printable characters")
		return
	}
	e.v.pass(RuleSubmitBody)
	sc := r.Header.Get("x-sandbox-scenario")
	now := b.cfg.Clock()
	status, then, at, reason, ok := scenario(sc, now)
	if !ok || len(r.Header.Values("x-sandbox-scenario")) > 1 {
		e.refuse(http.StatusBadRequest, RuleScenario, "InvalidValue", "x-sandbox-scenario is not one the sandbox knows")
		return
	}
	e.v.pass(RuleScenario)
	type res struct {
		status, rule int
		typ, msg     string
		view         submissionView
	}
	out := func() res {
		b.mu.Lock()
		defer b.mu.Unlock()
		p := b.pathPayment(r)
		if p == nil {
			return res{http.StatusNotFound, RuleExists, "InvalidValue", "no such payment", submissionView{}}
		}
		if t.AuthID != p.AuthID {
			return res{http.StatusForbidden, RuleSubmitToken, "SECURITY", "the token was not issued for this payment's authorization", submissionView{}}
		}
		key := pid + "/" + sid
		if s := b.st.Submissions[key]; s != nil {
			b.advance(s, now)
			switch s.Status {
			case "Pending":
				if !now.Before(midnightAfter(s.Created)) {
					s.Status, s.Modified, s.Reason = "Error", now, "past midnight in Helsinki"
					break
				}
				fallthrough
			case "Error":
				// Sent again: processed again under the same submissionId.
				s.Status, s.Then, s.ThenAt, s.Reason, s.Modified = status, then, at, reason, now
			}
			b.st.save()
			return res{status: http.StatusOK, view: subView(s)}
		}
		if p.Status != "Authorized" && p.Status != "Completed" {
			return res{http.StatusConflict, RuleAuthorized, "IllegalState", "the payment is " + p.Status + ", not Authorized", submissionView{}}
		}
		n := 0
		for k := range b.st.Submissions {
			if strings.HasPrefix(k, pid+"/") {
				n++
			}
		}
		if n >= p.Count {
			return res{http.StatusConflict, RuleSubmitCount, "IllegalState", "the payment's count of submissions is used up", submissionView{}}
		}
		s := &Submission{PaymentID: pid, ID: sid, ArchiveID: strings.ReplaceAll(b.randomID(), "-", "")[:20], Status: status, Then: then, ThenAt: at,
			Reason: reason, Created: now, Modified: now}
		b.st.Submissions[key] = s
		if n+1 >= p.Count {
			p.Status, p.Modified = "Completed", now
			if a := b.st.Authorizations[p.AuthID]; a != nil {
				done := true
				for _, id := range a.PaymentIDs {
					if q := b.st.Payments[id]; q.Status == "Authorized" {
						done = false
					}
				}
				if done {
					a.Status = "Completed"
				}
			}
		}
		b.st.save()
		return res{status: http.StatusCreated, view: subView(s)}
	}()
	if out.rule != 0 {
		if out.rule != RuleExists {
			e.v.pass(RuleExists)
		}
		e.refuse(out.status, out.rule, out.typ, out.msg)
		return
	}
	e.v.pass(RuleExists)
	e.v.pass(RuleSubmitToken)
	e.v.pass(RuleAuthorized)
	e.v.pass(RuleSubmitCount)
	e.answer(out.status, out.view)
}

func (b *Bank) getSubmission(w http.ResponseWriter, r *http.Request) {
	e := b.begin(w, r, "GET /submissions")
	t := e.api("client", "user")
	if t == nil {
		return
	}
	now := b.cfg.Clock()
	b.mu.Lock()
	s := b.st.Submissions[r.PathValue("id")+"/"+r.PathValue("sid")]
	p := b.pathPayment(r)
	var v submissionView
	if s != nil && p != nil && (t.Kind == "client" || t.AuthID == p.AuthID) {
		b.advance(s, now)
		if s.Status == "Pending" && !now.Before(midnightAfter(s.Created)) {
			s.Status, s.Modified = "Error", now
		}
		b.st.save()
		v = subView(s)
	}
	b.mu.Unlock()
	if v.SubmissionID == "" {
		e.refuse(http.StatusNotFound, RuleExists, "InvalidValue", "no such submission")
		return
	}
	e.v.pass(RuleExists)
	e.answer(http.StatusOK, v)
}

func (b *Bank) getPayment(w http.ResponseWriter, r *http.Request) {
	e := b.begin(w, r, "GET /sepa-payments/{id}")
	t := e.api("client", "user")
	if t == nil {
		return
	}
	b.mu.Lock()
	p := b.pathPayment(r)
	var v any
	if p != nil && (t.Kind == "client" || t.AuthID == p.AuthID) {
		v = view(p)
	}
	b.mu.Unlock()
	if v == nil {
		e.refuse(http.StatusNotFound, RuleExists, "InvalidValue", "no such payment")
		return
	}
	e.v.pass(RuleExists)
	e.answer(http.StatusOK, v)
}

// deletePayment erases a payment before submission (Revoked); its bundle becomes
// PartiallyRevoked while others remain.
func (b *Bank) deletePayment(w http.ResponseWriter, r *http.Request) {
	e := b.begin(w, r, "DELETE /sepa-payments/{id}")
	if e.api("client") == nil {
		return
	}
	now := b.cfg.Clock()
	b.mu.Lock()
	p := b.pathPayment(r)
	var v any
	state := ""
	if p != nil {
		state = p.Status
		if p.Status == "Unauthorized" || p.Status == "Authorized" || p.Status == "Authorizing" {
			p.Status, p.Modified = "Revoked", now
			if a := b.st.Authorizations[p.AuthID]; a != nil && a.Status != "Revoked" {
				a.Status = "PartiallyRevoked"
				all := true
				for _, id := range a.PaymentIDs {
					if b.st.Payments[id].Status != "Revoked" {
						all = false
					}
				}
				if all {
					a.Status = "Revoked"
				}
			}
			b.st.save()
			state = ""
		}
		v = view(p)
	}
	b.mu.Unlock()
	switch {
	case p == nil:
		e.refuse(http.StatusNotFound, RuleExists, "InvalidValue", "no such payment")
	case state != "":
		e.v.pass(RuleExists)
		e.refuse(http.StatusConflict, RuleAuthorized, "IllegalState", "a "+state+" payment cannot be revoked")
	default:
		e.v.pass(RuleExists)
		e.answer(http.StatusOK, v)
	}
}

type authorizationView struct {
	AuthorizationID string   `json:"authorizationId"`
	Status          string   `json:"status"`
	PaymentIDs      []string `json:"paymentIds"`
}

func (b *Bank) getAuthorization(w http.ResponseWriter, r *http.Request) {
	e := b.begin(w, r, "GET /authorizations/{id}")
	if e.api("client", "user") == nil {
		return
	}
	b.mu.Lock()
	a := b.st.Authorizations[r.PathValue("id")]
	var v authorizationView
	if a != nil {
		v = authorizationView{a.ID, a.Status, append([]string(nil), a.PaymentIDs...)}
	}
	b.mu.Unlock()
	if a == nil {
		e.refuse(http.StatusNotFound, RuleExists, "InvalidValue", "no such authorization")
		return
	}
	e.v.pass(RuleExists)
	e.answer(http.StatusOK, v)
}

// deleteAuthorization revokes the whole bundle: every payment not yet submitted.
func (b *Bank) deleteAuthorization(w http.ResponseWriter, r *http.Request) {
	e := b.begin(w, r, "DELETE /authorizations/{id}")
	if e.api("client") == nil {
		return
	}
	now := b.cfg.Clock()
	b.mu.Lock()
	a := b.st.Authorizations[r.PathValue("id")]
	var v authorizationView
	if a != nil {
		kept := false
		for _, id := range a.PaymentIDs {
			p := b.st.Payments[id]
			if p.Status == "Completed" {
				kept = true
				continue
			}
			p.Status, p.Modified = "Revoked", now
		}
		a.Status = "Revoked"
		if kept {
			a.Status = "PartiallyRevoked"
		}
		b.st.save()
		v = authorizationView{a.ID, a.Status, append([]string(nil), a.PaymentIDs...)}
	}
	b.mu.Unlock()
	if a == nil {
		e.refuse(http.StatusNotFound, RuleExists, "InvalidValue", "no such authorization")
		return
	}
	e.v.pass(RuleExists)
	e.answer(http.StatusOK, v)
}
