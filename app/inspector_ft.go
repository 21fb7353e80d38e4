package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/payterm/payterm/internal/safetext"
	ftprov "github.com/payterm/payterm/provider/fintecture"
	"github.com/payterm/payterm/ui"
)

// The inspector's Fintecture sequence: the wallet's own check, the application token, the
// signed payment session, the payer on the Connect page (in the browser: no message of
// payterm's), and the status reads until final.
var ftSequence = []seqStep{
	{"Wallet check (PIN + code + device key)", ""},
	{"Token: POST /oauth/accesstoken", string(ftprov.OpToken)},
	{"Session: POST /pis/v2/connect", string(ftprov.OpConnect)},
	{"The payer on the Connect page", ""},
	{"GET /pis/v2/payments/{id} until final", string(ftprov.OpStatus)},
}

// inspectFT builds the Fintecture sequence of bankID: for each step the newest exchange of its
// operation, with the HTTP signature's parts, the bodies, the answer, and what the embedded hub
// checked (its verdict for that X-Request-ID), including whether the signing string it rebuilt
// from what it received is the one payterm signed.
func (a *App) inspectFT(ctx context.Context, in ui.Inspection, bankID string, all []traced) ui.Inspection {
	if caps, ok := a.capsOf(bankID); ok {
		in.Standard, in.Signing = standardName(caps), caps.Signing
	}
	found, lastSeen := newestPerStep(all, bankID, ftSequence, func(x traced) (*ftprov.Exchange, string) {
		if x.ft == nil {
			return nil, ""
		}
		return x.ft, string(x.ft.Op)
	})
	bc, _ := a.bankByID(bankID)
	show := func(_ seqStep, ex ftprov.Exchange) (*ui.Exchange, ui.SequenceState) {
		state := exchangeState(ex.Status, ex.Err)
		if !in.ShowPII {
			ex = ex.WithoutPII()
		}
		return toUIExchangeFT(ex), state
	}
	verdicts := func(s seqStep, ex *ftprov.Exchange) []ui.Verdict {
		if ex.RequestID == "" || bc == nil || bc.ft == nil {
			return nil
		}
		var out []ui.Verdict
		for _, v := range bc.ft.hub.Verdicts(ex.RequestID) {
			for _, c := range v.Checks {
				out = append(out, ui.Verdict{Rule: fmt.Sprintf("%s · rule %d: %s", s.name, c.Rule, c.Name), Passed: c.Passed, Detail: c.Detail})
			}
			if v.SigningString != "" && ex.SigningString != "" {
				same := v.SigningString == ex.SigningString
				detail := "the hub's string differs from payterm's"
				if same {
					detail = "identical, line for line"
				}
				out = append(out, ui.Verdict{Rule: s.name + " · the hub rebuilt the string payterm signed", Passed: same, Detail: detail})
			}
		}
		return out
	}
	return stepsOf(ctx, a, in, bankID, ftSequence, found, lastSeen, threeStepFlight(a.flight.currentAt(bankID), len(ftSequence)), show, verdicts)
}

// toUIExchangeFT is one Fintecture exchange for the inspector: headers (the Authorization
// marked secret, its value already removed), the HTTP signature's parts and signing string,
// the bodies flattened with their personal data marked, and the outcome.
func toUIExchangeFT(ex ftprov.Exchange) *ui.Exchange {
	out := &ui.Exchange{Request: ex.Method + " " + strings.SplitN(ex.Target, "?", 2)[0] + " HTTP/1.1", InteractionID: ex.RequestID, IDName: "X-Request-ID"}
	if ex.Status > 0 {
		out.Response = fmt.Sprintf("HTTP/1.1 %d %s", ex.Status, http.StatusText(ex.Status))
	} else {
		out.Response = "no response"
	}
	for _, k := range sortedKeys(ex.RequestHeaders) {
		ck := http.CanonicalHeaderKey(k)
		v := strings.Join(ex.RequestHeaders[k], ", ")
		if ck == "Signature" && ex.SigningString != "" {
			v = "(the HTTP signature: its parts are below)"
		}
		out.Headers = append(out.Headers, ui.Field{Name: k, Value: v, Secret: ck == "Authorization"})
	}
	if ex.SigningString != "" {
		out.Signature = []ui.Field{{Name: "scheme", Value: "Fintecture HTTP signature (draft-cavage)"}, {Name: "keyId", Value: ex.KeyID},
			{Name: "algorithm", Value: ex.Algorithm}, {Name: "headers", Value: strings.Join(ex.SignedHeaders, " ")}}
		if ex.Digest != "" {
			out.Signature = append(out.Signature, ui.Field{Name: "Digest", Value: ex.Digest})
		}
		for _, line := range strings.Split(ex.SigningString, "\n") {
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
