package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/payterm/payterm/internal/safetext"
	opprov "github.com/payterm/payterm/provider/op"
	"github.com/payterm/payterm/ui"
)

// The inspector's OP sequence (default flow): the wallet's own check, the client-credentials
// token, the payment with its detached JWS, the payer on OP's page (in the browser: no message
// of payterm's), the code exchange (the ID token checked), the submission, and its reads until
// final.
var opSequence = []seqStep{
	{"Wallet check (PIN + code + device key)", ""},
	{"Token: POST /oauth/token (client_credentials, mTLS)", string(opprov.OpToken)},
	{"Payment: POST /sepa-payments or /foreign-payments (detached JWS)", string(opprov.OpCreate)},
	{"The payer on OP's page", ""},
	{"Code exchange: POST /oauth/token (ID token checked)", string(opprov.OpCode)},
	{"Submission: PUT …/submissions/{id}", string(opprov.OpSubmit)},
	{"GET …/submissions/{id} until final", string(opprov.OpSubmission)},
}

// The inspector's OP sequence when OP's exemption flow ran last: the payer's token refreshed
// from the last approval at OP, the payment created with it, the exemption JWT traded with the
// jwt-bearer grant (OP waives its page, or refuses: then OP's page follows and the default
// sequence is shown once its code is exchanged), the submission and its reads.
var opExemptSequence = []seqStep{
	{"Wallet check (PIN + code + device key)", ""},
	{"Refresh: POST /oauth/token (refresh_token of your last approval at OP)", string(opprov.OpRefresh)},
	{"Payment: POST /sepa-payments (the payer's token, detached JWS)", string(opprov.OpCreate)},
	{"Exemption: POST /oauth/token (jwt-bearer, acr psd2:ca; no page)", string(opprov.OpExemption)},
	{"Submission: PUT …/submissions/{id}", string(opprov.OpSubmit)},
	{"GET …/submissions/{id} until final", string(opprov.OpSubmission)},
}

// opSequenceOf is the sequence the newest OP payment at bankID ran: the exemption's when its
// jwt-bearer grant is newer than any code exchange, else the default flow's.
func opSequenceOf(all []traced, bankID string) []seqStep {
	for j := len(all) - 1; j >= 0; j-- {
		if x := all[j]; x.bank == bankID && x.op != nil {
			switch x.op.Op {
			case opprov.OpExemption:
				return opExemptSequence
			case opprov.OpCode:
				return opSequence
			}
		}
	}
	return opSequence
}

// inspectOP builds the OP sequence of bankID: for each step the newest exchange of its
// operation, with the detached JWS (its protected header, alg and kid), the answer's own
// signature and whether it verified, the bodies, and what the embedded bank checked (its
// verdict for that x-fapi-interaction-id).
func (a *App) inspectOP(ctx context.Context, in ui.Inspection, bankID string, all []traced) ui.Inspection {
	if caps, ok := a.capsOf(bankID); ok {
		in.Standard, in.Signing = standardName(caps), caps.Signing
	}
	seq := opSequenceOf(all, bankID)
	found, lastSeen := newestPerStep(all, bankID, seq, func(x traced) (*opprov.Exchange, string) {
		if x.op == nil {
			return nil, ""
		}
		return x.op, string(x.op.Op)
	})
	bc, _ := a.bankByID(bankID)
	show := func(_ seqStep, ex opprov.Exchange) (*ui.Exchange, ui.SequenceState) {
		state := exchangeState(ex.Status, ex.Err)
		if !in.ShowPII {
			ex = ex.WithoutPII()
		}
		return toUIExchangeOP(ex), state
	}
	verdicts := func(s seqStep, ex *opprov.Exchange) []ui.Verdict {
		if ex.InteractionID == "" || bc == nil || bc.op == nil {
			return nil
		}
		var out []ui.Verdict
		for _, v := range bc.op.bank.Verdicts() {
			if v.InteractionID != ex.InteractionID {
				continue
			}
			for _, c := range v.Checks {
				out = append(out, ui.Verdict{Rule: fmt.Sprintf("%s · rule %d: %s", s.name, c.Rule, c.Name), Passed: c.Passed, Detail: safetext.Short(c.Detail, 160)})
			}
		}
		return out
	}
	return stepsOf(ctx, a, in, bankID, seq, found, lastSeen, threeStepFlight(a.flight.currentAt(bankID), len(seq)), show, verdicts)
}

// toUIExchangeOP is one OP exchange for the inspector: headers (Authorization and x-api-key
// marked secret, their values already removed; x-jws-signature pointing to its parts), the
// detached JWS (scheme, protected header, alg, kid) and the answer's, the bodies flattened with
// their personal data marked, and the outcome.
func toUIExchangeOP(ex opprov.Exchange) *ui.Exchange {
	out := &ui.Exchange{Request: ex.Method + " " + ex.Target + " HTTP/1.1", InteractionID: ex.InteractionID}
	if ex.Status > 0 {
		out.Response = fmt.Sprintf("HTTP/1.1 %d %s", ex.Status, http.StatusText(ex.Status))
	} else {
		out.Response = "no response"
	}
	for _, k := range sortedKeys(ex.RequestHeaders) {
		ck := http.CanonicalHeaderKey(k)
		v := strings.Join(ex.RequestHeaders[k], ", ")
		if ck == "X-Jws-Signature" && ex.JWS != "" {
			v = "(the detached JWS: its parts are below)"
		}
		out.Headers = append(out.Headers, ui.Field{Name: k, Value: v, Secret: ck == "Authorization" || ck == "X-Api-Key",
			PII: ck == "X-Fapi-Customer-Ip-Address"})
	}
	if ex.JWS != "" {
		out.Signature = []ui.Field{{Name: "scheme", Value: "detached JWS in x-jws-signature (RFC 7515 appendix F: header..signature, the body left out)"},
			{Name: "protected header", Value: ex.JWSHeader}, {Name: "alg", Value: ex.Alg}, {Name: "kid", Value: ex.KeyID},
			{Name: "signed", Value: "BASE64URL(protected header) . BASE64URL(the request body's exact bytes)"}}
	}
	if m, ok := ex.RequestBody.(map[string]any); ok {
		out.Body = flatten("", m, keyPaths(m, ex.PIIKeys))
	}
	if m, ok := ex.ResponseBody.(map[string]any); ok {
		out.ResponseBody = flatten("", m, keyPaths(m, ex.PIIKeys))
	}
	if ex.AnswerVerdict != "" {
		ok := strings.HasPrefix(ex.AnswerVerdict, "verified")
		detail := ex.AnswerVerdict
		if ex.AnswerAlg != "" {
			detail += fmt.Sprintf(" (alg %s, kid %s)", ex.AnswerAlg, ex.AnswerKeyID)
		}
		out.Checks = append(out.Checks, ui.Check{Name: "the answer's x-jws-signature", OK: ok, Detail: safetext.Short(detail, 240)})
	}
	if ex.Err != "" {
		out.Checks = append(out.Checks, ui.Check{Name: "outcome", OK: false, Detail: safetext.Short(ex.Err, 160)})
	}
	return out
}
