package risk

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/payterm/payterm/internal/specs"
)

const (
	consentSchema = "AEBankServiceInitiationRichAuthorizationRequests.AERisk"
	paymentSchema = "AERisk"
)

func TestConsentRiskPassesOfficialSchema(t *testing.T) {
	doc := specs.Require(t, specs.AuthorizationEndpoints)
	minimal := ConsentInput{Now: fixedNow}
	noSCA := fixedConsent()
	noSCA.SCA = nil
	openBeneficiary := fixedConsent()
	openBeneficiary.Payee = nil
	mobile := fixedConsent()
	mobile.Device.Type = DeviceMobile
	for name, in := range map[string]ConsentInput{
		"full": fixedConsent(), "minimal": minimal, "no SCA": noSCA,
		"open beneficiary": openBeneficiary, "mobile": mobile,
	} {
		r, err := ForConsent(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := doc.Validate(consentSchema, mustJSON(t, r)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestPaymentRiskPassesOfficialSchema(t *testing.T) {
	pay := specs.Require(t, specs.BankInitiation)
	consent := specs.Require(t, specs.AuthorizationEndpoints)
	retail := fixedPayment()
	retail.Payee.Kind = AccountRetail
	minimal := PaymentInput{Now: fixedNow, SCA: fixedSCA(), History: History{SessionAttempts: 1, Last24hAttempts: 1}}
	mobile := fixedPayment()
	mobile.Device.Type = DeviceMobile
	threeFactors := fixedPayment()
	threeFactors.SCA.Inherence = "Fingerprint"
	for name, in := range map[string]PaymentInput{
		"corporate": fixedPayment(), "retail": retail, "minimal": minimal, "mobile": mobile,
		"three factors": threeFactors,
	} {
		r, err := ForPayment(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b := mustJSON(t, r)
		if err := pay.Validate(paymentSchema, b); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		// The payment-time file leaves nested objects open; a strict bank
		// closes them (uae-spec §11 rule 20). The consent-time schema is
		// the closed version of the same fields, AccountType's enum apart.
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if ci, ok := m["CreditorIndicators"].(map[string]any); ok {
			delete(ci, "AccountType")
		}
		if err := consent.ValidateValue(consentSchema, m); err != nil {
			t.Errorf("%s: not valid with nested objects closed: %v", name, err)
		}
	}
}

// The schema check is not vacuous: the shapes are told apart.
func TestSchemasTellTheShapesApart(t *testing.T) {
	consent := specs.Require(t, specs.AuthorizationEndpoints)
	r, err := ForPayment(fixedPayment())
	if err != nil {
		t.Fatal(err)
	}
	if err := consent.Validate(consentSchema, mustJSON(t, r)); err == nil {
		t.Fatal("consent-time schema accepted AccountType=Corporate: the check would prove nothing")
	}
}

func TestChallengeTimeIsRFC3339UTC(t *testing.T) {
	r, err := ForPayment(fixedPayment())
	if err != nil {
		t.Fatal(err)
	}
	got := r.DebtorIndicators.Authentication.ChallengeDateTime
	if want := fixedNow.Add(-5 * time.Second).Format(time.RFC3339); got != want {
		t.Fatalf("ChallengeDateTime = %q, want %q", got, want)
	}
	if got := r.DebtorIndicators.DeviceInformation.DeviceLocalDateTime; got != "2026-11-22T05:40:00+04:00" {
		t.Fatalf("DeviceLocalDateTime = %q", got)
	}
}
