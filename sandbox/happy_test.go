package sandbox

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestHappyPath: PAR → consent page approve → token → payment → final status → revoke.
func TestHappyPath(t *testing.T) {
	b := newBank(t, nil)
	c := newTPP(t, b)
	cons := c.authorizedConsent(consentPII(creditor(testIBAN, "Ivan England")))

	key := uuid.NewString()
	r := c.pay(cons.access, key, c.paymentClaims(cons.id, "149.99", paymentPII(c, creditor(testIBAN, "Ivan England"))))
	if r.Status != http.StatusCreated {
		t.Fatalf("payment: %d %s", r.Status, r.Raw)
	}
	d := r.data()
	id, _ := d["PaymentId"].(string)
	if d["Status"] != "Pending" || id == "" || d["PaymentTransactionId"] != nil {
		t.Fatalf("201 data: %v", d)
	}
	if r.Header.Get("Location") != b.ResourceBaseURL()+"/payments/"+id || r.Header.Get("x-idempotency-key") != key {
		t.Fatalf("201 headers: %v", r.Header)
	}

	b.AdvanceClock(5 * time.Second)
	cc := c.clientCredentials()
	g := c.rs(http.MethodGet, "/payments/"+id, cc, nil, "")
	if g.Status != http.StatusOK || g.data()["Status"] != "AcceptedCreditSettlementCompleted" || g.data()["PaymentTransactionId"] == nil {
		t.Fatalf("final status: %d %v", g.Status, g.data())
	}

	gc := c.rs(http.MethodGet, "/payment-consents/"+cons.id, cc, nil, "")
	if gc.Status != http.StatusOK || gc.data()["Status"] != "Authorized" {
		t.Fatalf("consent: %d %v", gc.Status, gc.data())
	}
	if pc := gc.data()["PaymentConsumption"].(map[string]any); pc["CumulativeNumberOfPayments"] != float64(1) {
		t.Fatalf("consumption: %v", pc)
	}

	if rv := c.revoke(cc, cons.id); rv.Status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", rv.Status, rv.Raw)
	}
	if st, _ := b.ConsentStatus(cons.id); st != "Revoked" {
		t.Fatalf("status after revoke: %s", st)
	}
	if by, err := b.ConsentRevokedBy(cons.id); err != nil || by != "TPP.InitiatedByUser" {
		t.Fatalf("RevokedBy after the TPP's PATCH: %q, %v", by, err)
	}
	rf := c.postForm(c.disc.Token, c.tokenForm("refresh_token", "refresh_token", cons.refresh))
	if rf.Status != http.StatusBadRequest || rf.err() != "invalid_grant" {
		t.Fatalf("refresh after revoke: %d %v", rf.Status, rf.Body)
	}
	p2 := c.pay(cons.access, uuid.NewString(), c.paymentClaims(cons.id, "1.00", paymentPII(c, creditor(testIBAN, "Ivan England"))))
	if p2.Status != http.StatusBadRequest || p2.errorCode() != "Consent.Invalid" {
		t.Fatalf("payment after revoke: %d %s", p2.Status, p2.errorCode())
	}
}
