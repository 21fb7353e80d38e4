package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/ui"
	"github.com/payterm/payterm/xs2a"
)

// The inspector's Berlin Group sequence: what a payment at a Berlin Group bank looks like on
// the wire. The wallet's own check comes first (the same PIN + code + device key as in the
// UAE); the bank then runs its own SCA on the payment, by redirect, decoupled or embedded
// (PSU data updated in steps), and the wallet follows the transaction status.
var bgSequence = []seqStep{
	{"Wallet check (PIN + code + device key)", ""},
	{"Initiate: POST /payments/{product}", string(xs2a.OpInitiate)},
	{"Start the bank's authorisation", string(xs2a.OpStartAuthorisation)},
	{"Bank SCA: PUT PSU data (embedded)", string(xs2a.OpUpdatePSUData)},
	{"Bank SCA status", string(xs2a.OpSCAStatus)},
	{"GET …/status until final", string(xs2a.OpTransactionStatus)},
}

// sb1Login is SpareBank 1's login (its PSU session), between the wallet's check and the
// initiation: payterm asks where the payer logs in and the bank answers 401 with its login page
// (that refusal is the answer: the step is done). The login itself happens in the browser.
var sb1Login = seqStep{"SpareBank 1 login: GET /v1/users → 401 + its login page", string(xs2a.OpEstablishSession)}

// bgSequenceFor is the sequence of a bank of profile: SpareBank 1's adds its login.
func bgSequenceFor(profile string) []seqStep {
	if profile != "sb1" {
		return bgSequence
	}
	return append([]seqStep{bgSequence[0], sb1Login}, bgSequence[1:]...)
}

// bgFlight maps the wallet's run steps (the UAE sequence's indexes) onto seq.
func bgFlight(seq []seqStep, cur int) int {
	switch cur {
	case seqSCA:
		return 0
	case seqPost:
		return slices.IndexFunc(seq, func(s seqStep) bool { return s.op == string(xs2a.OpInitiate) })
	case seqGet:
		return len(seq) - 1
	}
	return -1
}

// inspectBG builds the Berlin Group sequence of bankID from the kept exchanges: for each step
// the newest exchange of its operation, the request's HTTP signature and body, the answer, and
// what the embedded bank checked (its verdict for that X-Request-ID).
func (a *App) inspectBG(ctx context.Context, in ui.Inspection, bankID string, all []traced) ui.Inspection {
	seq := bgSequence
	if caps, ok := a.capsOf(bankID); ok {
		in.Standard, in.Signing = standardName(caps), caps.Signing
		seq = bgSequenceFor(caps.Profile)
	}
	found, lastSeen := newestPerStep(all, bankID, seq, func(x traced) (*xs2a.Exchange, string) {
		if x.bg == nil {
			return nil, ""
		}
		return x.bg, string(x.bg.Op)
	})
	bc, _ := a.bankByID(bankID)
	show := func(s seqStep, ex xs2a.Exchange) (*ui.Exchange, ui.SequenceState) {
		state := exchangeState(ex.Status, ex.Err)
		if s == sb1Login && ex.Status == http.StatusUnauthorized && ex.Err == "" {
			state = ui.SeqDone // the 401 carries the login page: what was asked for
		}
		if !in.ShowPII {
			ex = ex.WithoutPII()
		}
		return toUIExchangeBG(ex), state
	}
	verdicts := func(s seqStep, ex *xs2a.Exchange) []ui.Verdict {
		if bc == nil || bc.bg == nil {
			return nil
		}
		v, ok := bc.bg.bank.VerdictFor(ex.RequestID)
		if !ok {
			return nil
		}
		var out []ui.Verdict
		for _, c := range v.Checks {
			out = append(out, ui.Verdict{Rule: fmt.Sprintf("%s · rule %d: %s", s.name, c.Rule, c.Name), Passed: c.Passed, Detail: c.Detail})
		}
		if r := v.Signature; r != nil && ex.Protection.SigningString != "" {
			// The bank rebuilt the signing string from what it received; the same SHA-256 as
			// the string payterm signed shows both sides covered the same headers and values.
			sum := sha256.Sum256([]byte(ex.Protection.SigningString))
			same := hex.EncodeToString(sum[:]) == r.SigningStringSHA256
			out = append(out, ui.Verdict{Rule: s.name + " · the bank rebuilt the string payterm signed", Passed: same,
				Detail: "SHA-256 " + safetext.Short(r.SigningStringSHA256, 16) + "…"})
		}
		return out
	}
	return stepsOf(ctx, a, in, bankID, seq, found, lastSeen, bgFlight(seq, a.flight.currentAt(bankID)), show, verdicts)
}

// toUIExchangeBG is one Berlin Group exchange for the inspector: headers (secrets marked,
// personal data marked), the HTTP signature's parts and signing string, the request and
// response bodies flattened, and the outcome.
func toUIExchangeBG(ex xs2a.Exchange) *ui.Exchange {
	out := &ui.Exchange{Request: ex.Method + " " + pathOf(ex.URL) + " HTTP/1.1", InteractionID: ex.RequestID, IDName: "X-Request-ID"}
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
		v := strings.Join(ex.RequestHeaders[k], ", ")
		if ck == "Signature" && ex.Protection.Scheme != "" {
			v = "(the HTTP signature: its parts are below)"
		}
		out.Headers = append(out.Headers, ui.Field{Name: k, Value: v, Secret: ck == "Authorization" || ck == "Tpp-Session-Id", PII: pii[ck]})
	}
	if p := ex.Protection; p.Scheme != "" {
		out.Signature = []ui.Field{{Name: "scheme", Value: p.Scheme}, {Name: "keyId", Value: p.KeyID},
			{Name: "algorithm", Value: p.Algorithm}, {Name: "headers", Value: strings.Join(p.Headers, " ")}}
		if p.Digest != "" {
			out.Signature = append(out.Signature, ui.Field{Name: "Digest", Value: p.Digest})
		}
		for _, line := range strings.Split(p.SigningString, "\n") {
			if line != "" {
				out.Signature = append(out.Signature, ui.Field{Name: "signed", Value: line})
			}
		}
	}
	if m, ok := ex.RequestBody.(map[string]any); ok {
		out.Body = flatten("", m, keyPaths(m, ex.PIIKeys))
	}
	if m, ok := ex.ResponseBody.(map[string]any); ok {
		out.ResponseBody = flatten("", m, keyPaths(m, ex.PIIKeys))
	}
	if ex.Err != "" {
		out.Checks = append(out.Checks, ui.Check{Name: "outcome", OK: false, Detail: safetext.Short(ex.Err, 160)})
	}
	return out
}

// keyPaths lists the dotted paths in m (objects only, as flatten walks them) whose last
// member is one of keys: xs2a marks personal data by member name at any depth.
func keyPaths(m map[string]any, keys []string) []string {
	var out []string
	var walk func(path string, obj map[string]any)
	walk = func(path string, obj map[string]any) {
		for k, v := range obj {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if slices.Contains(keys, k) {
				out = append(out, p)
				continue
			}
			if sub, ok := v.(map[string]any); ok {
				walk(p, sub)
			}
		}
	}
	walk("", m)
	return out
}
