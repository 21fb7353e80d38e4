package sandbox

import (
	"testing"

	"github.com/google/uuid"
)

// TestClaimFaultsAndUnavailable: wrong_iss and wrong_aud sign a genuine answer (published kid)
// with one bad claim, only on the answer that takes the fault (a replay returns the stored,
// correct one); unavailable answers 503 with Retry-After and processes nothing.
func TestClaimFaultsAndUnavailable(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))
	pii := func() map[string]any { return paymentPII(c, creditor(testIBAN, "Ivan England")) }

	for _, tc := range []struct {
		kind    FaultKind
		iss     string
		audLeak string
	}{
		{FaultWrongIss, b.Issuer() + "/", c.id},
		{FaultWrongAud, b.Issuer(), c.id + "-other"},
	} {
		if err := b.InjectFault(Fault{Kind: tc.kind, Count: 1}); err != nil {
			t.Fatal(err)
		}
		key := uuid.NewString()
		body := c.sign(c.paymentClaims(cons.id, "1.00", pii()))
		first := c.rs("POST", "/payments", cons.access, paymentHeaders(key), body) // verifies the signature
		aud, _ := first.Claims["aud"].([]any)
		if first.Status != 201 || first.Claims["iss"] != tc.iss || len(aud) != 1 || aud[0] != tc.audLeak {
			t.Fatalf("%s: %d iss %v aud %v", tc.kind, first.Status, first.Claims["iss"], first.Claims["aud"])
		}
		again := c.rs("POST", "/payments", cons.access, paymentHeaders(key), body)
		aud, _ = again.Claims["aud"].([]any)
		if again.Status != 201 || again.Claims["iss"] != b.Issuer() || len(aud) != 1 || aud[0] != c.id {
			t.Fatalf("%s: the replay is not the correct stored answer: iss %v aud %v", tc.kind, again.Claims["iss"], again.Claims["aud"])
		}
	}

	before := countPayments(b, cons.id)
	if err := b.InjectFault(Fault{Kind: FaultUnavailable, Count: 1, RetryAfter: 59}); err != nil {
		t.Fatal(err)
	}
	r := c.pay(cons.access, uuid.NewString(), c.paymentClaims(cons.id, "1.00", pii()))
	if r.Status != 503 || r.Header.Get("Retry-After") != "59" || r.errorCode() != "GenericRecoverableError" {
		t.Fatalf("unavailable: %d %v %s", r.Status, r.Header, r.errorCode())
	}
	if n := countPayments(b, cons.id); n != before {
		t.Fatalf("unavailable created a payment (%d → %d)", before, n)
	}
}
