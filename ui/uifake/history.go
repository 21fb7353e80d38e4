// Package uifake is the fake wallet payterm's screen tests run on (ui.Wallet), exported so that

// The fake's payments after they are made: one payment's detail, cancelling a queued one, history
// pages with their totals, and the inspector's trace.
// testers can script journeys with ui/uitest from a module of their own (see testers/ at the
// repository's root). It is the very fake the ui tests use, and it agrees with the core where a
// screen shows what the core computes (a consent's payments and totals, limits' sentences).
package uifake

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/payterm/payterm/ui"
)

func (f *FakeWallet) Payment(ctx context.Context, id string) (ui.PaymentDetail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("Payment")
	if d, ok := f.details[id]; ok {
		return f.withBundle(d), nil
	}
	i, ok := f.index[id]
	if !ok {
		return ui.PaymentDetail{}, &ui.Problem{What: "That payment is not in the ledger."}
	}
	r := f.rows[i]
	d := ui.PaymentDetail{Row: r, InteractionID: "00000000-0000-4000-8000-" + fmt.Sprintf("%012d", i+1), ConsentID: fakeConsentID, Purpose: "MWP Mobile Wallet Payments"}
	if r.Bank != "" {
		d.Terms = ui.UAETerms()
	}
	d.Timeline = []ui.StatusChange{{At: r.At, Status: ui.PaymentPrepared}, {At: r.At.Add(time.Second), Status: ui.PaymentSending},
		{At: r.At.Add(2 * time.Second), Status: ui.PaymentPending, Note: "201 Created, signature verified"}}
	if r.Status != ui.PaymentPending {
		d.Timeline = append(d.Timeline, ui.StatusChange{At: r.At.Add(9 * time.Second), Status: r.Status})
	}
	if r.Status == ui.PaymentRejected {
		d.Reason = "Insufficient funds in the payer account (AANI.AM04)"
	}
	return d, nil
}

func (f *FakeWallet) CancelPayment(ctx context.Context, id string) (ui.PaymentDetail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("CancelPayment")
	d, ok := f.details[id]
	switch {
	case ok && d.Row.Status == ui.PaymentPrepared:
		d.Row.Status, d.Reason = ui.PaymentCancelled, "You cancelled the payment before it was sent. Nothing was paid."
	case ok && d.Row.Status == ui.PaymentAwaitingBankSCA:
		// The bank is asked, as the core asks it (DELETE): it cancels what it has not approved.
		d.Row.Status, d.Row.BankStatus, d.Reason = ui.PaymentCancelled, "CANC", "Cancelled at your bank at your request. Nothing was paid."
		d.Timeline = append(d.Timeline, ui.StatusChange{At: f.Now(), Status: ui.PaymentCancelled, BankStatus: "CANC", Note: "cancellation asked by the user"})
	default:
		return ui.PaymentDetail{}, &ui.Problem{What: "Only a queued payment, or one still awaiting your bank's approval, can be cancelled.", Next: "Check its status in History."}
	}
	f.details[id] = d
	if i, ok := f.index[id]; ok {
		f.rows[i].Status, f.rows[i].BankStatus = d.Row.Status, d.Row.BankStatus
	}
	f.publish(ui.Change{Kind: ui.PaymentChanged, ID: id})
	return d, nil
}

func outcomeOf(s ui.PaymentStatus) ui.Outcome {
	switch {
	case ui.PaymentPaid(s):
		return ui.OutcomeSuccessful
	case s == ui.PaymentRejected || s == ui.PaymentRefused || s == ui.PaymentAbandoned || s == ui.PaymentCancelled:
		return ui.OutcomeFailed
	default:
		return ui.OutcomePending
	}
}

func (f *FakeWallet) match(r ui.PaymentRow, q ui.HistoryFilter) bool {
	if q.PayeeName != "" && !strings.Contains(strings.ToLower(r.PayeeName), strings.ToLower(q.PayeeName)) {
		return false
	}
	if q.Outcome != ui.OutcomeAny && outcomeOf(r.Status) != q.Outcome {
		return false
	}
	if !q.From.IsZero() && r.At.Before(q.From) {
		return false
	}
	if !q.To.IsZero() && !r.At.Before(q.To) {
		return false
	}
	return true
}

// History pages like the ledger: keyset on ids, newest first. Without a filter it indexes
// directly, so a page costs the same at any depth (the benchmark relies on this).
func (f *FakeWallet) History(ctx context.Context, q ui.HistoryQuery) (ui.HistoryPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	limit := q.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	filtered := q.Filter != (ui.HistoryFilter{})
	rows := f.rows
	if filtered {
		rows = nil
		for _, r := range f.rows {
			if f.match(r, q.Filter) {
				rows = append(rows, r)
			}
		}
	}
	pos := func(id string) int {
		if !filtered {
			return f.index[id]
		}
		return sort.Search(len(rows), func(i int) bool { return rows[i].ID <= id })
	}
	var page ui.HistoryPage
	page.Total = len(rows)
	if q.Oldest || (q.After == "" && q.Before == "") {
		// As the core: the sums for the first and the last page (a scan of the matching rows).
		page.Totals = fakeTotals(rows)
	}
	switch {
	case q.Oldest:
		start := max(0, len(rows)-limit)
		page.Rows = append([]ui.PaymentRow(nil), rows[start:]...)
		page.More = start > 0
	case q.After != "":
		start := pos(q.After) + 1
		end := min(len(rows), start+limit)
		if start < end {
			page.Rows = append([]ui.PaymentRow(nil), rows[start:end]...)
		}
		page.More = end < len(rows)
	case q.Before != "":
		end := pos(q.Before)
		start := max(0, end-limit)
		page.Rows = append([]ui.PaymentRow(nil), rows[start:end]...)
		page.More = start > 0
	default:
		end := min(len(rows), limit)
		page.Rows = append([]ui.PaymentRow(nil), rows[:end]...)
		page.More = end < len(rows)
	}
	return page, nil
}

// fakeTotals adds up rows as the ledger does (every row is AED here): nil when there are none.
func fakeTotals(rows []ui.PaymentRow) []ui.CurrencyTotal {
	if len(rows) == 0 {
		return nil
	}
	// One total per currency, in the order first met, as the core sums them (never two
	// currencies in one sum).
	var out []ui.CurrencyTotal
	for _, r := range rows {
		cur := r.Currency
		if cur == "" {
			cur = "AED"
		}
		i := slices.IndexFunc(out, func(t ui.CurrencyTotal) bool { return t.Currency == cur })
		if i < 0 {
			out = append(out, ui.CurrencyTotal{Currency: cur})
			i = len(out) - 1
		}
		t := &out[i]
		t.Count++
		t.Sum, _ = t.Sum.Add(r.Amount)
		if ui.PaymentPaid(r.Status) {
			t.Paid, _ = t.Paid.Add(r.Amount)
		}
	}
	return out
}

func (f *FakeWallet) Inspect(ctx context.Context) (ui.Inspection, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("Inspect")
	par := &ui.Exchange{Request: "POST /par HTTP/1.1", Response: "HTTP/1.1 201 Created", InteractionID: "00000000-0000-4000-8000-0000000000aa",
		Headers:   []ui.Field{{Name: "Content-Type", Value: "application/x-www-form-urlencoded"}, {Name: "Authorization", Value: "Bearer not-a-real-token"}},
		JWTHeader: []ui.Field{{Name: "alg", Value: "PS256"}, {Name: "kid", Value: "test-signing-key-1"}},
		JWTClaims: []ui.Field{{Name: "iss", Value: "payterm-test"}, {Name: "aud", Value: "https://bank.example"},
			{Name: "code_verifier", Value: "not-shown-anyway"}, {Name: "client_assertion", Value: "eyJ.fake.jwt", Secret: true},
			{Name: "Creditor.Name", Value: "Test Payee One", PII: true}},
		JWEHeader: []ui.Field{{Name: "alg", Value: "RSA-OAEP-256"}, {Name: "enc", Value: "A256GCM"}, {Name: "kid", Value: "bank-enc-1"}},
		Checks:    []ui.Check{{Name: "response signature", OK: true, Detail: "PS256, kid bank-sig-1"}, {Name: "request_uri lifetime", OK: true, Detail: "90 s"}}}
	pay := &ui.Exchange{Request: "POST /open-finance/payment/v2.1/payments HTTP/1.1", Response: "HTTP/1.1 201 Created",
		InteractionID: "00000000-0000-4000-8000-0000000000bb",
		Headers:       []ui.Field{{Name: "x-idempotency-key", Value: "7d3c1c2e-0000-4000-8000-000000000001"}, {Name: "x-fapi-auth-date", Value: "Tue, 15 Jan 2030 09:29:58 GMT"}},
		JWTClaims: []ui.Field{{Name: "message.Data.Instruction.Amount.Amount", Value: "10.00"},
			// A compact JWE as long as the real one: the inspector shows only its start.
			{Name: "message.Data.PersonalIdentifiableInformation", Value: "eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIn0." +
				strings.Repeat("c2VhbGVk", 60) + "." + strings.Repeat("aXY", 5) + "." + strings.Repeat("Y2lwaGVy", 90) + "." + "dGFnLXRhZy10YWc"}},
		JWEHeader: []ui.Field{{Name: "PII alg", Value: "RSA-OAEP-256"}, {Name: "PII enc", Value: "A256GCM"}},
		Sealed: []ui.Field{{Name: "Initiation.Creditor.Name", Value: "Test Payee One", PII: true},
			{Name: "Initiation.Creditor.CreditorAccount.Identification", Value: "AE620260001015678901234", PII: true}},
		Checks: []ui.Check{{Name: "response signature", OK: true}, {Name: "Status is Pending", OK: true}}}
	// The token call's form values are longer than the inspector's pane at 100 columns.
	token := &ui.Exchange{Request: "POST /token HTTP/1.1", Response: "HTTP/1.1 200 OK", InteractionID: "00000000-0000-4000-8000-0000000000cc",
		Headers: []ui.Field{{Name: "form client_assertion_type", Value: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			{Name: "form redirect_uri", Value: "https://wallet.example/open-finance/callback/return?from=bank&step=token"}},
		JWTHeader: []ui.Field{{Name: "kid", Value: "X7bm8z1JUh0BoWS-Y_u0rimdmbZoUINvF4ByjHnXQ-I"}}}
	if len(f.BankOptions) > 1 {
		// With several banks the core names the bank of each message; the fake's are all at
		// its first bank.
		par.Bank, token.Bank, pay.Bank = f.BankOptions[0].Name, f.BankOptions[0].Name, f.BankOptions[0].Name
	}
	in := ui.Inspection{ShowPII: f.Sandbox, ConsentID: f.consents[0].ID, Banks: append([]ui.BankOption(nil), f.walletBanks...), Steps: []ui.SequenceStep{
		{Name: "Discovery + JWKS", State: ui.SeqDone},
		{Name: "PAR", State: ui.SeqDone, Exchange: par},
		{Name: "Authorize at the bank", State: ui.SeqDone},
		{Name: "Callback + token", State: ui.SeqDone, Exchange: token},
		{Name: "SCA in payterm (PIN + code + device key)", State: ui.SeqDone},
		{Name: "POST /payments", State: ui.SeqCurrent, Exchange: pay},
		{Name: "GET /payments/{id} until final", State: ui.SeqPending},
	}}
	if f.AllStepsDone {
		for i := range in.Steps {
			in.Steps[i].State = ui.SeqDone
		}
	}
	if n := f.CurrentStep; n > 0 && n < len(in.Steps) {
		for i := range in.Steps {
			in.Steps[i].State = map[bool]ui.SequenceState{true: ui.SeqDone, false: ui.SeqPending}[i < n]
		}
		in.Steps[n].State = ui.SeqCurrent
	}
	if f.Sandbox {
		// Named after their step, as the production core does.
		in.Verdicts = []ui.Verdict{{Rule: "PAR · rule 3: request object signed PS256", Passed: true},
			{Rule: "POST /payments · IsDelegatedAuthentication is true", Passed: true}, {Rule: "POST /payments · Risk.DebtorIndicators.Authentication has two factor categories", Passed: true},
			{Rule: "POST /payments · Creditor matches the consent", Passed: true}}
	}
	return in, nil
}

func (f *FakeWallet) ExportSupportBundle(ctx context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("ExportSupportBundle")
	return "/tmp/payterm-support-test.json", nil
}

// QueueRow makes the i-th newest payment a queued one (PaymentPrepared: not sent, cancellable).
func (f *FakeWallet) QueueRow(i int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := &f.rows[i]
	r.Status, r.PaymentID = ui.PaymentPrepared, ""
	f.details[r.ID] = ui.PaymentDetail{Row: *r, Reason: "Not sent yet: the bank has not got it.",
		Timeline: []ui.StatusChange{{At: r.At, Status: ui.PaymentPrepared, Note: "queued, not sent: the bank asked to wait 59 s"}}}
}
