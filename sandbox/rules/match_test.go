package rules

import (
	"testing"
	"time"
)

func decodedConsent(t *testing.T, creditors ...string) *ConsentPIIData {
	t.Helper()
	m := obj(t, consentPIIJSON)
	if len(creditors) == 0 {
		delete(m, "Initiation")
	} else {
		list := make([]any, len(creditors))
		for i, c := range creditors {
			list[i] = obj(t, c)
		}
		set(t, m, "Initiation.Creditor", list)
	}
	p, err := ConsentPII(mustJSON(t, m), testClientID, Options{})
	if err != nil {
		t.Fatalf("consent fixture: %v", err)
	}
	return p
}

func decodedPayment(t *testing.T, mut func(m map[string]any)) *PaymentPIIData {
	t.Helper()
	p, err := paymentPII(t, mut, Options{})
	if err != nil {
		t.Fatalf("payment fixture: %v", err)
	}
	return p
}

func TestMatchCreditorRule32(t *testing.T) {
	single := decodedConsent(t, creditorAJSON)
	multiple := decodedConsent(t, creditorBJSON, creditorAJSON)
	open := decodedConsent(t)
	payA := decodedPayment(t, nil)
	// CreditorAgent, Creditor.Name and CoP are not part of the match.
	payANoAgent := decodedPayment(t, func(m map[string]any) {
		del(t, m, "Initiation.CreditorAgent")
		set(t, m, "Initiation.Creditor.Name", "Someone Else")
	})
	for name, c := range map[string]struct {
		consent *ConsentPIIData
		payment *PaymentPIIData
	}{
		"single exact":          {single, payA},
		"single ignores agent":  {single, payANoAgent},
		"multiple second entry": {multiple, payA},
		"open any creditor":     {open, decodedPayment(t, func(m map[string]any) { set(t, m, "Initiation.CreditorAccount.Identification", ibanB) })},
	} {
		if err := MatchCreditor(c.consent, c.payment); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	mismatches := map[string]func(m map[string]any){
		"name spacing": func(m map[string]any) { set(t, m, "Initiation.CreditorAccount.Name.en", "Ivan  David England") },
		"name ar not en": func(m map[string]any) {
			set(t, m, "Initiation.CreditorAccount.Name", map[string]any{"ar": "Ivan David England"})
		},
		"extra ar name": func(m map[string]any) { set(t, m, "Initiation.CreditorAccount.Name.ar", "x") },
		"other IBAN":    func(m map[string]any) { set(t, m, "Initiation.CreditorAccount.Identification", ibanB) },
		"name case":     func(m map[string]any) { set(t, m, "Initiation.CreditorAccount.Name.en", "IVAN DAVID ENGLAND") },
	}
	for name, mut := range mismatches {
		t.Run("single "+name, func(t *testing.T) {
			// "other IBAN" must also be checked without an agent (BIC is bank 033 for both).
			wantViolation(t, MatchCreditor(single, decodedPayment(t, mut)), 32, CodeConsentBusinessRule, "Initiation.CreditorAccount")
		})
	}
	t.Run("multiple none matches", func(t *testing.T) {
		p := decodedPayment(t, func(m map[string]any) { set(t, m, "Initiation.CreditorAccount.Name.en", "Nobody") })
		wantViolation(t, MatchCreditor(multiple, p), 32, CodeConsentBusinessRule, "Initiation.CreditorAccount")
	})
	t.Run("nil payment", func(t *testing.T) {
		wantViolation(t, MatchCreditor(single, nil), 32, CodeConsentBusinessRule, "Initiation.CreditorAccount")
	})
}

func paymentRisk(t *testing.T, mut func(m map[string]any)) *Risk {
	t.Helper()
	p := decodedPayment(t, mut)
	return p.Risk
}

func TestRiskProvesSCA(t *testing.T) {
	const a = "Risk.DebtorIndicators.Authentication"
	maxAge := 5 * time.Minute
	if err := RiskProvesSCA(paymentRisk(t, nil), testNow, maxAge, Options{}); err != nil {
		t.Fatalf("valid SCA evidence: %v", err)
	}
	cases := []struct {
		name string
		mut  func(m map[string]any)
		path string
	}{
		{"flow Other", func(m map[string]any) { set(t, m, a+".AuthenticationFlow", "Other") }, a + ".AuthenticationFlow"},
		{"flow missing", func(m map[string]any) { del(t, m, a+".AuthenticationFlow") }, a + ".AuthenticationFlow"},
		{"outcome Fail", func(m map[string]any) { set(t, m, a+".ChallengeOutcome", "Fail") }, a + ".ChallengeOutcome"},
		{"outcome NotPerformed", func(m map[string]any) { set(t, m, a+".ChallengeOutcome", "NotPerformed") }, a + ".ChallengeOutcome"},
		{"one factor", func(m map[string]any) { del(t, m, a+".PossessionFactor") }, a},
		{"factor not used", func(m map[string]any) { set(t, m, a+".KnowledgeFactor.IsUsed", false) }, a},
		{"value missing", func(m map[string]any) { del(t, m, a+".AuthenticationValue") }, a + ".AuthenticationValue"},
		{"time missing", func(m map[string]any) { del(t, m, a+".ChallengeDateTime") }, a + ".ChallengeDateTime"},
		{"time too old", func(m map[string]any) { set(t, m, a+".ChallengeDateTime", "2026-11-22T09:50:00Z") }, a + ".ChallengeDateTime"},
		{"time in future", func(m map[string]any) { set(t, m, a+".ChallengeDateTime", "2026-11-22T10:05:00Z") }, a + ".ChallengeDateTime"},
		{"no Authentication", func(m map[string]any) { del(t, m, a) }, a},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := RiskProvesSCA(paymentRisk(t, c.mut), testNow, maxAge, Options{})
			wantViolation(t, err, 20, CodeConsentBusinessRule, c.path)
		})
	}
	// Inherence + knowledge is two categories too.
	r := paymentRisk(t, func(m map[string]any) {
		del(t, m, a+".PossessionFactor")
		set(t, m, a+".InherenceFactor", map[string]any{"IsUsed": true, "Type": "Fingerprint"})
	})
	if err := RiskProvesSCA(r, testNow, maxAge, Options{}); err != nil {
		t.Fatalf("knowledge + inherence: %v", err)
	}
	wantViolation(t, RiskProvesSCA(nil, testNow, maxAge, Options{}), 20, CodeConsentBusinessRule, a)
}

func TestPatchConsentRule37(t *testing.T) {
	p, err := PatchConsent([]byte(patchMessageJSON))
	if err != nil || p.RevokedBy != "TPP.InitiatedByUser" {
		t.Fatalf("valid PATCH: %v", err)
	}
	if p, err := PatchConsent([]byte(`{"Data":{"Status":"Revoked"},"Subscription":{"Webhook":{"Url":"https://x","IsActive":false}}}`)); err != nil || p.RevokedBy != "" || p.Subscription == nil {
		t.Fatalf("PATCH without RevokedBy: %v", err)
	}
	cases := map[string]struct{ body, path string }{
		"status Authorized": {`{"Data":{"Status":"Authorized"}}`, "Data.Status"},
		"status missing":    {`{"Data":{}}`, "Data.Status"},
		"revoked by LFI":    {`{"Data":{"Status":"Revoked","RevokedBy":"LFI"}}`, "Data.RevokedBy"},
		"unknown member":    {`{"Data":{"Status":"Revoked","Reason":"x"}}`, "Data.Reason"},
		"Data missing":      {`{}`, "Data"},
		"webhook no url":    {`{"Data":{"Status":"Revoked"},"Subscription":{"Webhook":{"IsActive":true}}}`, "Subscription.Webhook.Url"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := PatchConsent([]byte(c.body))
			wantViolation(t, err, 37, CodeBodyInvalidFormat, c.path)
		})
	}
	for _, s := range []string{"AwaitingAuthorization", "Authorized", "Suspended"} {
		if err := CanRevoke(s); err != nil {
			t.Errorf("CanRevoke(%s): %v", s, err)
		}
	}
	for _, s := range []string{"Revoked", "Rejected", "Expired", "Consumed", ""} {
		wantViolation(t, CanRevoke(s), 37, CodeConsentBusinessRule, "Data.Status")
	}
	// The signed PATCH envelope reuses rule 27's claims, relabelled.
	m := paymentClaimsFixture(t)
	delete(m, "exp")
	_, err = PaymentJWTClaims(mustJSON(t, m), testClientID, testIssuer, testNow, Options{})
	wantViolation(t, WithRule(err, 37), 37, CodeJWSInvalidClaim, "exp")
}

func TestCheckPKCERule24(t *testing.T) {
	// RFC 7636 appendix B.
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	if err := CheckPKCE(verifier, challenge); err != nil {
		t.Fatalf("RFC 7636 example rejected: %v", err)
	}
	wantViolation(t, CheckPKCE(verifier[:42], challenge), 24, OAuthInvalidGrant, "code_verifier")
	wantViolation(t, CheckPKCE(verifier+"!", challenge), 24, OAuthInvalidGrant, "code_verifier")
	wantViolation(t, CheckPKCE("A"+verifier[1:], challenge), 24, OAuthInvalidGrant, "code_verifier")
}
