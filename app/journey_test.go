package app

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/payterm/payterm/sca"
	"github.com/payterm/payterm/ui"
)

// TestJourneyWithoutTerminal drives ui.Wallet over the real App from a fresh data dir: first
// run, onboarding, a settled payment, history, a wrong PIN, the inspector and support bundle,
// the idle lock, and a revocation after which the wallet refuses to pay.
func TestJourneyWithoutTerminal(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	cfg := testConfig(t)
	a := openApp(t, cfg, clock)
	defer a.Close()
	if !a.Registered() || a.ClientID() == "" {
		t.Fatal("a fresh data dir must register a TPP identity at the sandbox")
	}
	w := a.UIWallet()

	ov, err := w.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ov.Onboarded || ov.Active != nil || !ov.Sandbox || !strings.Contains(ov.SecretStore, "encrypted file") {
		t.Fatalf("first-run overview wrong: %+v", ov)
	}

	c, js := onboard(t, w, clock, twoPayees())
	if c.Status != ui.ConsentAuthorized || c.Model != ui.BeneficiaryList || len(c.Creditors) != 2 {
		t.Fatalf("consent after onboarding: %+v", c)
	}
	if st, err := a.Sandbox().ConsentStatus(c.ID); err != nil || st != "Authorized" {
		t.Fatalf("bank's consent status = %q, %v", st, err)
	}
	ov, err = w.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !ov.Onboarded || ov.Active == nil || ov.Active.ID != c.ID {
		t.Fatalf("overview after onboarding: %+v", ov)
	}

	payees, err := w.Payees(ctx, c.ID)
	if err != nil || len(payees) != 2 {
		t.Fatalf("payees: %v %+v", err, payees)
	}
	code := clock.nextCode(t, js.totpSecret)
	evs := pay(t, w, c.ID, payees[1].ID, "1,250.50", code)
	last := finalEvent(t, evs)
	if last.State != ui.StepDone || last.Err != nil || last.Receipt == nil {
		t.Fatalf("payment did not succeed: %+v", last)
	}
	r := last.Receipt
	if r.Status != ui.PaymentAcceptedCreditSettlementCompleted && r.Status != ui.PaymentAcceptedSettlementCompleted {
		t.Fatalf("receipt status %s, want settled", r.Status)
	}
	if r.PaymentID == "" || r.InteractionID == "" || r.Amount.Wire() != "1250.50" || r.Payee.Name != "مثال تجريبي" {
		t.Fatalf("receipt incomplete: %+v", r)
	}
	seen := map[ui.PaymentStep]bool{}
	for _, e := range evs {
		if e.State == ui.StepDone {
			seen[e.Step] = true
		}
	}
	for _, s := range []ui.PaymentStep{ui.StepSCA, ui.StepRisk, ui.StepSealPII, ui.StepSign, ui.StepPersist, ui.StepSend, ui.StepSettled} {
		if !seen[s] {
			t.Errorf("step %s never reported done", s)
		}
	}
	if st, err := a.Sandbox().PaymentStatus(r.PaymentID); err != nil || !strings.HasPrefix(st, "Accepted") {
		t.Fatalf("bank's payment status = %q, %v", st, err)
	}

	page, err := w.History(ctx, ui.HistoryQuery{Limit: 10})
	if err != nil || len(page.Rows) != 1 || page.Total != 1 || page.Rows[0].PaymentID != r.PaymentID {
		t.Fatalf("history: %v %+v", err, page)
	}
	oldest, err := w.History(ctx, ui.HistoryQuery{Oldest: true, Limit: 10})
	if err != nil || len(oldest.Rows) != 1 {
		t.Fatalf("oldest page: %v %+v", err, oldest)
	}
	d, err := w.Payment(ctx, page.Rows[0].ID)
	if err != nil || len(d.Timeline) < 3 || d.InteractionID == "" || d.ConsentID != c.ID || !strings.HasPrefix(d.Purpose, "TOF ") {
		t.Fatalf("payment detail: %v %+v", err, d)
	}

	// A wrong PIN: the SCA step fails with attempts left, nothing is sent.
	pp, err := w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: c.ID, PayeeID: payees[0].ID, Amount: "10", Purpose: "TOF"})
	if err != nil {
		t.Fatal(err)
	}
	if pp.Headroom.Used.DayCount != 2 {
		t.Fatalf("review headroom must count this payment: %+v", pp.Headroom.Used)
	}
	bad := finalEvent(t, submit(t, w, pp.ID, "730462", clock.nextCode(t, js.totpSecret)))
	var scaErr *ui.SCAError
	if bad.Step != ui.StepSCA || bad.State != ui.StepFailed || !errors.As(bad.Err, &scaErr) || scaErr.AttemptsLeft != 4 {
		t.Fatalf("wrong PIN: %+v", bad)
	}
	if page, _ := w.History(ctx, ui.HistoryQuery{}); len(page.Rows) != 1 {
		t.Fatalf("a failed SCA must not create a payment: %d rows", len(page.Rows))
	}

	// Limits: a payment above the per-payment limit is refused before SCA, with a sentence.
	_, err = w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: c.ID, PayeeID: payees[0].ID, Amount: "6000", Purpose: "TOF"})
	var prob *ui.Problem
	if !errors.As(err, &prob) || !strings.Contains(prob.What, "per-payment") {
		t.Fatalf("limit refusal: %v", err)
	}

	// Inspector: the sequence shows PAR and the payment, with the bank's verdicts.
	in, err := w.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !in.ShowPII || in.ConsentID != c.ID || len(in.Verdicts) == 0 {
		t.Fatalf("inspection: %+v", in)
	}
	var parOK, payOK bool
	for _, s := range in.Steps {
		if s.Name == "PAR" && s.State == ui.SeqDone && s.Exchange != nil && s.Exchange.InteractionID != "" {
			parOK = true
		}
		if s.Name == "POST /payments" && s.State == ui.SeqDone && s.Exchange != nil && len(s.Exchange.JWTClaims) > 0 {
			payOK = true
		}
		if strings.HasPrefix(s.Name, "SCA") {
			if s.Exchange == nil || len(s.Exchange.Checks) < 4 {
				t.Fatalf("the SCA step does not show the factors and the device-key signature: %+v", s.Exchange)
			}
			for _, c := range s.Exchange.Checks {
				if !c.OK {
					t.Errorf("SCA check failed: %+v", c)
				}
			}
		}
	}
	if !parOK || !payOK {
		t.Fatalf("sequence lacks PAR or the payment: %+v", in.Steps)
	}
	// The wrong-PIN payment above sent nothing, so the latest POST is the 1,250.50 one.
	assertSealedIsTheBanksPlaintext(t, a, in, twoPayees()[1])
	for _, v := range in.Verdicts {
		if !v.Passed {
			t.Errorf("the strict sandbox failed a check on what the wallet sent: %+v", v)
		}
	}
	bundle, err := w.ExportSupportBundle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(bundle)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("support bundle %s: %v %v", bundle, err, fi)
	}
	raw, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	var sb supportBundle
	if err := json.Unmarshal(raw, &sb); err != nil {
		t.Fatalf("support bundle is not JSON: %v", err)
	}
	requestObjects := 0
	for _, ex := range sb.Trace {
		if v, ok := ex.Form["request"]; ok {
			requestObjects++
			if len(v) != 1 || v[0] != "[PII]" {
				t.Fatalf("support bundle keeps the raw request object of %s: %q", ex.Op, v)
			}
		}
	}
	if !strings.Contains(string(raw), c.ID) || !strings.Contains(string(raw), r.InteractionID) || requestObjects == 0 {
		t.Fatal("support bundle lacks the consent id, the payment's interaction id or the PAR exchange")
	}
	for _, p := range twoPayees() {
		if strings.Contains(string(raw), p.IBAN) || strings.Contains(string(raw), p.Name) {
			t.Fatal("support bundle holds a payee's IBAN or name")
		}
	}

	// Idle lock: the PIN alone unlocks; a wrong one counts down in sca's counter, where the
	// wrong PIN at the payment above still stands (a right PIN alone does not clear a failed SCA).
	if err := w.Unlock(ctx, ui.NewSecret(testPIN)); err != nil {
		t.Fatalf("unlock with the right PIN: %v", err)
	}
	if err := w.Unlock(ctx, ui.NewSecret("999999")); !errors.As(err, &scaErr) || scaErr.AttemptsLeft != sca.MaxFailures-2 {
		t.Fatalf("unlock with a wrong PIN: %v", err)
	}

	// Revoke: the bank has it revoked, and the wallet refuses the next payment.
	if err := w.RevokeConsent(ctx, c.ID); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if st, _ := a.Sandbox().ConsentStatus(c.ID); st != "Revoked" {
		t.Fatalf("bank's consent status after revoke = %q", st)
	}
	_, err = w.PreparePayment(ctx, ui.PaymentDraft{ConsentID: c.ID, PayeeID: payees[0].ID, Amount: "10", Purpose: "TOF"})
	if !errors.As(err, &prob) || !strings.Contains(prob.What, "revoked") {
		t.Fatalf("payment after revoke: %v", err)
	}
	if ov, _ := w.Overview(ctx); ov.Active != nil {
		t.Fatalf("a revoked consent is still active: %+v", ov.Active)
	}
	if _, err := (tokenStore{a.store}).Load(ctx, c.ID); err == nil {
		t.Fatal("the refresh token survived the revocation")
	}

	// The strict bank found nothing wrong with anything the wallet sent in this whole journey.
	vs := a.Sandbox().RecentVerdicts(500)
	if len(vs) < 10 {
		t.Fatalf("only %d verdicts recorded", len(vs))
	}
	for _, v := range vs {
		if v.Failed() {
			for _, ch := range v.Checks {
				if !ch.Passed {
					t.Errorf("%s %s: rule %d %s failed: %s", v.Method, v.Path, ch.Rule, ch.Name, ch.Detail)
				}
			}
		}
	}
}
