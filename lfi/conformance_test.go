package lfi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/payterm/payterm/internal/specs"
)

// The signed envelopes lfi emits (payment request, consent PATCH) validate against the
// official v2.1 schemas. The message content is built by the wallet and consent packages
// and validated there; here a spec-shaped message proves the envelope around it.
func TestEmittedEnvelopesMatchOfficialSchemas(t *testing.T) {
	doc := specs.Require(t, specs.BankInitiation)
	b := newStubLFI(t)
	c := newStubClient(t, b, &recorder{}, nil)

	jwe, err := c.SealPII(context.Background(), benchPII)
	if err != nil {
		t.Fatal(err)
	}
	msg := fmt.Appendf(nil, `{"Data":{"ConsentId":"b8f42378-10ac-46a1-8d20-4e020484216d","Instruction":{"Amount":{"Amount":"149.99","Currency":"AED"}},`+
		`"PersonalIdentifiableInformation":%q,"PaymentPurposeCode":"MWP","OpenFinanceBilling":{"Type":"PushP2P"}}}`, jwe)
	body, err := c.SignPayment(msg)
	if err != nil {
		t.Fatal(err)
	}
	v, err := VerifyCompact(body, &tppKey.PublicKey, VerifyOptions{Now: testNow, Issuer: "client-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate("AEPaymentRequestSigned", v.Payload); err != nil {
		t.Errorf("payment request: %v", err)
	}

	calls := 0
	b.tokenRoute("cc", &calls)
	var patch []byte
	b.route("PATCH", "/open-finance/payment/v2.1/payment-consents/c-1", func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		if v, err := VerifyCompact(raw, &tppKey.PublicKey, VerifyOptions{Now: testNow}); err == nil {
			patch = v.Payload
		}
		w.WriteHeader(204)
	})
	if _, err := c.RevokeConsent(context.Background(), "c-1", RevokedByTPPInitiatedUser); err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate("AEPatchPaymentConsentSigned", patch); err != nil {
		t.Errorf("consent PATCH: %v", err)
	}
	// The validator is not vacuous: an envelope without nbf is refused.
	if err := doc.Validate("AEPaymentRequestSigned", []byte(`{"iss":"c","exp":1,"message":{"Data":{}}}`)); err == nil {
		t.Error("schema accepted an envelope without nbf")
	}
}
