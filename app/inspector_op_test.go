package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payterm/payterm/ui"
)

// TestOPInspectorShowsTheSequence: after a payment at an OP bank the inspector shows OP's
// sequence — every step done; the payment's detached JWS (scheme, protected header, RS256, the
// wallet's kid); the answer's own x-jws-signature verified; the body with its personal data
// marked; the embedded bank's verdicts on the JWS (form, header, verifies), the code exchange
// and the submission — and none of the client's secrets (client secret, API key) or the payer's
// tokens.
func TestOPInspectorShowsTheSequence(t *testing.T) {
	clock := newSCAClock()
	cfg := opConfig(t)
	a := openApp(t, cfg, clock)
	defer a.Close()
	w := a.UIWallet()
	_, js := onboard(t, w, clock, twoPayees()[:1])
	ctx := context.Background()
	pp, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: opLink(t, w).ID, Amount: "12.50", Reference: "Invoice 42",
		NewPayee: ui.PayeeDraft{Name: "Kahvila Oy", IBAN: "FI21 1234 5600 0007 85"}})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := w.SubmitPayment(ctx, pp.ID, ui.SCAInput{PIN: ui.NewSecret(testPIN), TOTP: ui.NewSecret(clock.nextCode(t, js.totpSecret))})
	if err != nil {
		t.Fatal(err)
	}
	browsed := false
	last := drain(t, ch, func(ev ui.PaymentEvent) {
		if ev.Action != nil && !browsed {
			browsed = true
			if err := w.ContinuePayment(ctx, pp.ID, ui.BankInput{Kind: ui.ActionRedirect, Secret: ui.NewSecret(opBrowse(t, ev.Action.URL, "approve"))}); err != nil {
				t.Errorf("ContinuePayment: %v", err)
			}
		}
	})
	if last.Receipt == nil || !ui.PaymentPaid(last.Receipt.Status) {
		t.Fatalf("final event %+v", last)
	}

	in, err := w.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if in.Standard != "OP PSD2 Payment Initiation v1" || !strings.Contains(in.Signing, "detached JWS") || len(in.Steps) != len(opSequence) {
		t.Fatalf("inspection %q %q %d steps", in.Standard, in.Signing, len(in.Steps))
	}
	for _, st := range in.Steps {
		if st.State != ui.SeqDone {
			t.Errorf("step %q is %v after the payment", st.Name, st.State)
		}
	}
	create := in.Steps[2].Exchange
	if create == nil || create.Request != "POST /payments-psd2/v1/sepa-payments HTTP/1.1" || !strings.Contains(create.Response, "201") || create.InteractionID == "" {
		t.Fatalf("the payment exchange %+v", create)
	}
	sig := map[string]string{}
	for _, f := range create.Signature {
		sig[f.Name] = f.Value
	}
	app, err := opAppRecordFor(filepath.Join(a.DataDir(), "banks", "op", opAppDir, opAppRecord))
	if err != nil {
		t.Fatal(err)
	}
	kid := "payterm-" + app.ClientID
	if !strings.Contains(sig["scheme"], "detached JWS") || sig["alg"] != "RS256" || sig["kid"] != kid ||
		!strings.Contains(sig["protected header"], `"alg":"RS256"`) || !strings.Contains(sig["protected header"], kid) {
		t.Fatalf("the JWS shown: %+v", create.Signature)
	}
	body := map[string]ui.Field{}
	for _, f := range create.Body {
		body[f.Name] = f
	}
	if body["amountEUR"].Value != "12.50" || !body["payee.iban"].PII || !body["payee.name"].PII {
		t.Fatalf("the payment body: %+v", create.Body)
	}
	answerSigned := false
	for _, c := range create.Checks {
		answerSigned = answerSigned || (c.Name == "the answer's x-jws-signature" && c.OK && strings.Contains(c.Detail, "ES256"))
	}
	if !answerSigned {
		t.Fatalf("the answer's signature is not shown verified: %+v", create.Checks)
	}
	for _, h := range create.Headers {
		if (h.Name == "Authorization" || strings.EqualFold(h.Name, "x-api-key")) && (!h.Secret || !strings.Contains(h.Value, "[secret]")) {
			t.Fatalf("the header %+v is shown", h)
		}
	}
	verdicts := map[string]bool{}
	for _, v := range in.Verdicts {
		verdicts[v.Rule] = v.Passed
	}
	for _, want := range []string{
		in.Steps[2].Name + " · rule 7: x-jws-signature-form", in.Steps[2].Name + " · rule 8: jws-header", in.Steps[2].Name + " · rule 9: jws-verifies",
		in.Steps[4].Name + " · rule 19: authorization-code", in.Steps[5].Name + " · rule 21: submit-token",
	} {
		if passed, ok := verdicts[want]; !ok || !passed {
			t.Errorf("verdict %q: shown %v, passed %v", want, ok, passed)
		}
	}
	dump := fmt.Sprintf("%+v", in)
	access, refresh := keptOPTokens(t, a)
	for _, s := range append([]string{app.ClientSecret, app.APIKey}, append(access, refresh...)...) {
		if s != "" && strings.Contains(dump, s) {
			t.Errorf("the inspection holds a secret (%d bytes long)", len(s))
		}
	}
}
