package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/wallet"
)

// seqStep is one box of the delegated-SCA sequence and the lfi operation that carries it.
type seqStep struct {
	name string
	op   string // "" = no HTTP message (happens in the browser or in payterm)
}

// Indexes into sequence, for what is in flight.
const (
	seqDiscovery = iota
	seqPAR
	seqAuthorize
	seqToken
	seqSCA
	seqPost
	seqGet
)

var sequence = []seqStep{
	{"Discovery + JWKS", "JWKS"},
	{"PAR", "PAR"},
	{"Authorize at the bank", ""},
	{"Callback + token", "token authorization_code"},
	{"SCA in payterm (PIN + code + device key)", ""},
	{"POST /payments", "create payment"},
	{"GET /payments/{id} until final", "get payment"},
}

// Inspect builds the sequence diagram from the latest exchanges of the lfi client. Secrets are
// already redacted by lfi; off the embedded sandbox the personal data is masked here too, so it
// never reaches the screen even if a field were not marked.
func (w uiWallet) Inspect(ctx context.Context) (ui.Inspection, error) {
	a := w.a
	// The banks side by side go with every trace, whichever bank it is at.
	in := ui.Inspection{ShowPII: a.onlySandboxes(), Banks: a.banksSideBySide()}
	if c, err := a.activeConsent(ctx); err == nil && c != nil {
		in.ConsentID = c.ID
	}
	all := a.trace.allTraced()
	bank, newest := a.inspectedBank(all)
	switch {
	case newest.bg != nil:
		return a.inspectBG(ctx, in, bank, all), nil
	case newest.ft != nil:
		return a.inspectFT(ctx, in, bank, all), nil
	case newest.op != nil:
		return a.inspectOP(ctx, in, bank, all), nil
	}
	found := make([]*lfi.Exchange, len(sequence))
	foundAt := make([]string, len(sequence)) // the bank each found exchange went to
	for i, s := range sequence {
		if s.op == "" {
			continue
		}
		for j := len(all) - 1; j >= 0; j-- {
			if all[j].ex.Op == s.op || (s.op == "JWKS" && all[j].ex.Op == "discovery") {
				ex := all[j].ex
				found[i], foundAt[i] = &ex, all[j].bank
				break
			}
		}
	}
	// A step without its own message is done once a later step has happened.
	lastSeen := -1
	for i := range sequence {
		if found[i] != nil {
			lastSeen = i
		}
	}
	// Only a run in flight lights a step; a wallet at rest (e.g. just restarted) has none.
	current := a.inFlight()
	for i, s := range sequence {
		st := ui.SequenceStep{Name: s.name, State: ui.SeqPending}
		switch ex := found[i]; {
		case ex != nil:
			st.State = exchangeState(ex.Status, ex.Err)
			shown := *ex
			if !in.ShowPII {
				shown = shown.WithoutPII()
			}
			st.Exchange = toUIExchange(shown)
			if len(a.banks) > 1 {
				st.Exchange.Bank = a.bankName(foundAt[i])
			}
			if i == seqPost {
				st.Exchange.Sealed = a.sealed.sealedFor(*ex)
			}
		case i < lastSeen && i != current:
			st.State = ui.SeqDone
			if i == seqSCA {
				st.Exchange = a.scaExchange(ctx, in.ShowPII)
			}
		}
		if i == current {
			st.State = ui.SeqCurrent
		}
		in.Steps = append(in.Steps, st)
		if st.Exchange == nil {
			continue
		}
		for _, sb := range a.sandboxes() {
			if v, ok := sb.VerdictFor(st.Exchange.InteractionID); ok {
				for _, c := range v.Checks {
					rule := c.Name
					if c.Rule > 0 {
						rule = fmt.Sprintf("rule %d: %s", c.Rule, c.Name)
					}
					in.Verdicts = append(in.Verdicts, ui.Verdict{Rule: s.name + " · " + rule, Passed: c.Passed, Detail: c.Detail})
				}
			}
		}
	}
	return in, nil
}

// inspectedBank is the bank whose sequence the inspector draws, and its newest kept exchange
// (which says the bank's standard): the bank of the payment running now or run last, else the
// bank of the newest exchange. A consent sync at another bank in the background (every 15
// minutes) thus never displaces the payment the user is watching.
func (a *App) inspectedBank(all []traced) (string, traced) {
	if bank := a.flight.watched(); bank != "" {
		for i := len(all) - 1; i >= 0; i-- {
			if all[i].bank == bank {
				return bank, all[i]
			}
		}
	}
	if len(all) == 0 {
		return "", traced{}
	}
	return all[len(all)-1].bank, all[len(all)-1]
}

// inFlight is the sequence step running now, or -1: the newest payment run (submission or
// background resume), else a bank step of onboarding or renewal waiting for the user.
func (a *App) inFlight() int {
	if cur := a.flight.current(); cur >= 0 {
		return cur
	}
	a.ob.mu.Lock()
	st := a.ob.step
	a.ob.mu.Unlock()
	if st == nil {
		return -1
	}
	select {
	case <-st.done:
		return -1 // settled (recorded or failed): nothing waits on the bank
	default:
		return seqAuthorize
	}
}

// exchangeState is the box of a step whose message was sent: failed when no answer came, the
// answer was an error, or the client refused it.
func exchangeState(status int, errText string) ui.SequenceState {
	if errText != "" || status == 0 || status >= 400 {
		return ui.SeqFailed
	}
	return ui.SeqDone
}

func toUIExchange(ex lfi.Exchange) *ui.Exchange {
	out := &ui.Exchange{Request: ex.Method + " " + pathOf(ex.URL) + " HTTP/1.1", InteractionID: ex.InteractionID}
	if ex.Status > 0 {
		out.Response = fmt.Sprintf("HTTP/1.1 %d %s", ex.Status, http.StatusText(ex.Status))
	} else {
		out.Response = "no response"
	}
	pii := map[string]bool{}
	for _, h := range ex.PIIHeaders {
		pii[http.CanonicalHeaderKey(h)] = true
	}
	for _, k := range sortedKeys(ex.RequestHeaders) {
		ck := http.CanonicalHeaderKey(k)
		out.Headers = append(out.Headers, ui.Field{Name: k, Value: strings.Join(ex.RequestHeaders[k], ", "),
			Secret: ck == "Authorization", PII: pii[ck]})
	}
	for _, k := range sortedFormKeys(ex.Form) {
		v := strings.Join(ex.Form[k], ", ")
		if k == "request" {
			// The signed request object is shown decoded (with its personal data marked) below;
			// its raw base64 would carry the same data unmarked.
			v = "(signed request object, decoded below)"
		}
		out.Headers = append(out.Headers, ui.Field{Name: "form " + k, Value: v, Secret: secretForm[k]})
	}
	for _, part := range ex.Sent {
		if part.Claims == nil {
			out.JWEHeader = append(out.JWEHeader, flatten(part.Label+" ", part.Header, nil)...)
			continue
		}
		if out.JWTHeader == nil {
			out.JWTHeader = flatten("", part.Header, nil)
			out.JWTClaims = flatten("", part.Claims, part.PIIPaths)
		}
	}
	if v := ex.Verification; v != nil {
		for _, c := range v.Verified {
			out.Checks = append(out.Checks, ui.Check{Name: c, OK: true})
		}
		if !v.OK {
			out.Checks = append(out.Checks, ui.Check{Name: "response signature", OK: false, Detail: safetext.Short(v.Error, 120)})
		} else {
			out.Checks = append(out.Checks, ui.Check{Name: "response signature", OK: true, Detail: v.Alg + " kid " + v.KeyID})
		}
	}
	for _, be := range ex.BankErrors {
		out.Checks = append(out.Checks, ui.Check{Name: "bank says " + safetext.Short(be.Code, 60), OK: false, Detail: bankErrorWords(be, 300)})
	}
	if ex.Err != "" {
		out.Checks = append(out.Checks, ui.Check{Name: "outcome", OK: false, Detail: safetext.Short(ex.Err, 160)})
	}
	return out
}

// bankErrorWords is one of the bank's error items in its own words (message, path, link),
// cleaned for a terminal and cut to n runes.
func bankErrorWords(be lfi.ErrorItem, n int) string {
	parts := []string{strings.TrimSpace(be.Message)}
	if be.Path != "" {
		parts = append(parts, "at "+be.Path)
	}
	if be.URL != "" {
		parts = append(parts, "see "+be.URL)
	}
	return safetext.Short(strings.Join(parts, " · "), n)
}

var secretForm = map[string]bool{"client_assertion": true, "code": true, "code_verifier": true, "refresh_token": true,
	"access_token": true, "client_secret": true, "request": false}

func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Path == "" {
		return "/"
	}
	return u.EscapedPath()
}

func sortedKeys(h http.Header) []string {
	ks := make([]string, 0, len(h))
	for k := range h {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func sortedFormKeys(f url.Values) []string {
	ks := make([]string, 0, len(f))
	for k := range f {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// flatten lists a JSON object as dotted names; a value under one of piiPaths is marked PII.
func flatten(prefix string, m map[string]any, piiPaths []string) []ui.Field {
	var out []ui.Field
	var walk func(path string, v any)
	walk = func(path string, v any) {
		if obj, ok := v.(map[string]any); ok && len(obj) > 0 && !underAny(path, piiPaths) {
			keys := make([]string, 0, len(obj))
			for k := range obj {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				p := k
				if path != "" {
					p = path + "." + k
				}
				walk(p, obj[k])
			}
			return
		}
		val := ""
		switch t := v.(type) {
		case string:
			val = t
		default:
			raw, _ := json.Marshal(t)
			val = string(raw)
		}
		out = append(out, ui.Field{Name: prefix + path, Value: val, PII: underAny(path, piiPaths)})
	}
	walk("", m)
	return out
}

func underAny(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, p+".") {
			return true
		}
	}
	return false
}

// supportBundle is what ExportSupportBundle writes: enough for the bank's support desk to find
// the requests (interaction ids, the consent id), never a secret, and no personal data.
type supportBundle struct {
	Created        time.Time       `json:"created"`
	BankID         string          `json:"bank_id"` // the active consent's bank, else the first
	BankMode       string          `json:"bank_mode"`
	ClientID       string          `json:"client_id"` // the TPP's client_id at that bank
	ConsentID      string          `json:"consent_id,omitempty"`
	InteractionIDs []string        `json:"interaction_ids"`
	Payments       []bundlePayment `json:"payments"`
	Trace          []lfi.Exchange  `json:"trace"`
}

type bundlePayment struct {
	LedgerID       int64           `json:"ledger_id"`
	BankPaymentID  string          `json:"payment_id,omitempty"`
	Status         string          `json:"status"`
	RejectCode     string          `json:"reject_code,omitempty"`
	InteractionIDs []string        `json:"interaction_ids,omitempty"`
	Attempts       []bundleAttempt `json:"attempts,omitempty"`
}

type bundleAttempt struct {
	At            time.Time `json:"at"`
	Kind          string    `json:"kind"`
	InteractionID string    `json:"interaction_id,omitempty"`
	HTTPStatus    int       `json:"http_status,omitempty"`
	Outcome       string    `json:"outcome"`
}

func (w uiWallet) ExportSupportBundle(ctx context.Context) (string, error) {
	a := w.a
	now := a.opts.Clock().UTC()
	bank := a.banks[0]
	b := supportBundle{Created: now, InteractionIDs: []string{}, Payments: []bundlePayment{}}
	if c, err := a.activeConsent(ctx); err == nil && c != nil {
		b.ConsentID = c.ID
		if bc, ok := a.bankByID(c.Bank); ok {
			bank = bc
		}
	}
	b.BankID, b.BankMode, b.ClientID = bank.cfg.ID, bank.cfg.Mode, bank.id.ClientID
	seen := map[string]bool{}
	addID := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			b.InteractionIDs = append(b.InteractionIDs, id)
		}
	}
	for _, ex := range a.trace.all() {
		masked := ex.WithoutPII() // masks the raw request object too (it carries what Sent masks)
		masked.ResponseJSON = nil // token answers may carry consent data the bank chose; ids are enough
		// The bank's own words (error_description, Errors[].Message) are what its support desk
		// needs: kept, account numbers masked (WithoutPII), cleaned for whoever opens the file.
		for i, be := range masked.BankErrors {
			masked.BankErrors[i] = lfi.ErrorItem{Code: safetext.Short(be.Code, 80), Message: safetext.Text(be.Message),
				Path: safetext.Line(be.Path), URL: safetext.Line(be.URL)}
		}
		b.Trace = append(b.Trace, masked)
		addID(ex.InteractionID)
	}
	page, err := a.ledger.History(ctx, wallet.HistoryQuery{Limit: 20})
	if err != nil {
		return "", uiError("Reading the history", err)
	}
	for _, r := range page.Rows {
		bp := bundlePayment{LedgerID: r.ID, BankPaymentID: r.BankPaymentID, Status: string(uiStatus(r.Status, r.BankStatus)), RejectCode: r.RejectCode}
		atts, err := a.ledger.Attempts(ctx, r.ID)
		if err != nil {
			return "", uiError("Reading the payment log", err)
		}
		for _, at := range atts {
			bp.Attempts = append(bp.Attempts, bundleAttempt{At: at.At, Kind: at.Kind, InteractionID: at.InteractionID, HTTPStatus: at.HTTPStatus, Outcome: at.Outcome})
			if at.InteractionID != "" {
				bp.InteractionIDs = append(bp.InteractionIDs, at.InteractionID)
				addID(at.InteractionID)
			}
		}
		b.Payments = append(b.Payments, bp)
	}
	path := filepath.Join(a.dir, "support", "support-"+now.Format("20060102T150405Z")+".json")
	if err := writeJSONFile(path, b); err != nil {
		return "", uiError("Writing the support bundle", err)
	}
	return path, nil
}

// scaExchange shows the local SCA of the latest payment as the inspector's SCA step: the factors
// checked, and the device key's dynamic-linking JWS, verified again here.
func (a *App) scaExchange(ctx context.Context, showPII bool) *ui.Exchange {
	page, err := a.ledger.History(ctx, wallet.HistoryQuery{Limit: 1})
	if err != nil || len(page.Rows) == 0 {
		return nil
	}
	p, err := a.ledger.Payment(ctx, page.Rows[0].ID)
	if err != nil || p.SCAReceipt == "" {
		return nil
	}
	r, err := p.Receipt()
	if err != nil {
		return nil
	}
	ex := &ui.Exchange{Request: "payterm: PIN + authenticator code, device key signs the payment", Response: "Pass at " + r.ChallengeTime.UTC().Format(time.RFC3339)}
	for _, f := range r.Factors {
		ex.Checks = append(ex.Checks, ui.Check{Name: "factor " + f, OK: true})
	}
	if parts := strings.Split(r.AuthenticationValue, "."); len(parts) == 3 {
		if raw, err := base64.RawURLEncoding.DecodeString(parts[0]); err == nil {
			var h map[string]any
			if json.Unmarshal(raw, &h) == nil {
				ex.JWTHeader = flatten("", h, nil)
			}
		}
	}
	claims, err := sca.VerifyAuthenticationValue(r.AuthenticationValue, r.DeviceBindingID)
	if err != nil {
		ex.Checks = append(ex.Checks, ui.Check{Name: "device-key signature (ES256)", OK: false, Detail: safetext.Short(err.Error(), 120)})
		return ex
	}
	ex.Checks = append(ex.Checks, ui.Check{Name: "device-key signature (ES256)", OK: true, Detail: "binding id " + r.DeviceBindingID},
		ui.Check{Name: "linked to this payment's amount and key", OK: claims.Amount == p.Amount.Wire() && claims.IdempotencyKey == p.IdempotencyKey})
	pii := func(name, v string) ui.Field {
		if !showPII {
			v = "[PII]"
		}
		return ui.Field{Name: name, Value: v, PII: true}
	}
	ex.JWTClaims = []ui.Field{{Name: "consentId", Value: claims.ConsentID}, {Name: "amount", Value: claims.Amount},
		{Name: "currency", Value: claims.Currency}, pii("creditorAccount", claims.CreditorAccount), pii("creditorName", claims.CreditorName),
		{Name: "idempotencyKey", Value: claims.IdempotencyKey}, {Name: "challengeTime", Value: claims.ChallengeTime},
		{Name: "sub", Value: claims.DeviceBindingID}, {Name: "amr", Value: strings.Join(claims.Methods, " ")}}
	return ex
}

// newestPerStep finds, for each step of seq that has an operation, the newest traced exchange
// of that operation at bankID (exOf returns a traced exchange of one standard and its
// operation, or nil), and the last step that has one (-1 with none).
func newestPerStep[E any](all []traced, bankID string, seq []seqStep, exOf func(traced) (*E, string)) ([]*E, int) {
	found := make([]*E, len(seq))
	lastSeen := -1
	for i, s := range seq {
		if s.op == "" {
			continue
		}
		for j := len(all) - 1; j >= 0; j-- {
			if ex, op := exOf(all[j]); ex != nil && all[j].bank == bankID && op == s.op {
				found[i], lastSeen = ex, i
				break
			}
		}
	}
	return found, lastSeen
}

// stepsOf lays out a standard's sequence at bankID from found and lastSeen (newestPerStep): a
// step with an exchange shows it as show draws it for the screen, in the state show gives; an
// earlier step without one is done once a later one happened (the first, the wallet's own
// check, with its record); the step running now (current) is lit; each exchange's verdicts (what
// the embedded bank checked in it) follow.
func stepsOf[E any](ctx context.Context, a *App, in ui.Inspection, bankID string, seq []seqStep, found []*E, lastSeen, current int,
	show func(s seqStep, ex E) (*ui.Exchange, ui.SequenceState), verdicts func(s seqStep, ex *E) []ui.Verdict) ui.Inspection {
	for i, s := range seq {
		st := ui.SequenceStep{Name: s.name, State: ui.SeqPending}
		switch ex := found[i]; {
		case ex != nil:
			st.Exchange, st.State = show(s, *ex)
			if len(a.banks) > 1 {
				st.Exchange.Bank = a.bankName(bankID)
			}
		case i < lastSeen && i != current:
			st.State = ui.SeqDone
			if i == 0 {
				st.Exchange = a.scaExchange(ctx, in.ShowPII)
			}
		}
		if i == current {
			st.State = ui.SeqCurrent
		}
		in.Steps = append(in.Steps, st)
		if found[i] != nil {
			in.Verdicts = append(in.Verdicts, verdicts(s, found[i])...)
		}
	}
	return in
}

// threeStepFlight maps the wallet's run steps onto a sequence whose step 0 is the wallet's
// check, step 2 the payment's POST and the last step the status reads (Fintecture, OP).
func threeStepFlight(cur, steps int) int {
	switch cur {
	case seqSCA:
		return 0
	case seqPost:
		return 2
	case seqGet:
		return steps - 1
	}
	return -1
}
