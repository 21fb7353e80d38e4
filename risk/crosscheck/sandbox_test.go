package crosscheck

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/payterm/payterm/risk"
	"github.com/payterm/payterm/sandbox/rules"
)

var now = time.Date(2026, 11, 22, 1, 40, 0, 0, time.UTC)

const fakeJWS = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImZpeHR1cmUifQ.eyJmaXh0dXJlIjp0cnVlfQ.Zml4dHVyZS1zaWduYXR1cmU"

func sca() risk.SCAFacts {
	return risk.SCAFacts{
		ChallengeTime: now.Add(-10 * time.Second), Outcome: risk.OutcomePass,
		AuthenticationValue: fakeJWS, Knowledge: risk.KnowledgePIN, Possession: risk.PossessionOTPApp,
	}
}

func device() risk.Device {
	return risk.Device{
		Type: risk.DeviceDesktop, OS: "Linux", OSVersion: "Debian GNU/Linux 12 (bookworm)",
		Language: "en-AE", TimeZone: time.FixedZone("GST", 4*3600),
		BindingID: "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", BoundAt: now.Add(-72 * time.Hour),
		BindingStatus: risk.BindingActive,
	}
}

func history() risk.History {
	return risk.History{
		OnboardedAt: now.Add(-90 * 24 * time.Hour), SessionAttempts: 1, Last24hAttempts: 1,
		TransactionsLastDay: 0, TransactionsLastYear: 7,
	}
}

// A fictitious creditor; the IBAN is the spec's sample that passes mod-97.
var creditor = map[string]any{
	"CreditorAccount": map[string]any{
		"SchemeName": "IBAN", "Identification": "AE070331234567890123456",
		"Name": map[string]any{"en": "Fixture Payee"},
	},
}

func TestPaymentRiskPassesSandboxChecks(t *testing.T) {
	payee := risk.Payee{Kind: risk.AccountRetail, PrePopulated: true, TradingNameEN: "Fixture Shop"}
	r, err := risk.ForPayment(risk.PaymentInput{
		Now: now, Started: now.Add(-time.Minute), SCA: sca(), Device: device(),
		App: risk.App{Version: "v0.1.0", PackageName: "github.com/payterm/payterm"}, History: history(), Payee: payee,
	})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := json.Marshal(map[string]any{"Initiation": creditor, "Risk": r})
	if err != nil {
		t.Fatal(err)
	}
	// Strict options: nested Risk objects closed.
	data, err := rules.PaymentPII(plain, "client-1", rules.Options{})
	if err != nil {
		t.Fatalf("sandbox refuses the payment PII: %v", err)
	}
	if err := rules.RiskProvesSCA(data.Risk, now, 5*time.Minute, rules.Options{}); err != nil {
		t.Fatalf("sandbox MFA check refuses the Risk block: %v", err)
	}
	// The check is not vacuous: an old challenge is refused.
	if err := rules.RiskProvesSCA(data.Risk, now.Add(10*time.Minute), 5*time.Minute, rules.Options{}); err == nil {
		t.Fatal("sandbox accepted a 10-minute-old challenge")
	}
}

func TestConsentRiskPassesSandboxChecks(t *testing.T) {
	s := sca()
	payee := risk.Payee{PrePopulated: false, ConfirmedByCoP: true}
	r, err := risk.ForConsent(risk.ConsentInput{Now: now, SCA: &s, Device: device(), History: history(), Payee: &payee})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := json.Marshal(map[string]any{"Initiation": map[string]any{"Creditor": []any{creditor}}, "Risk": r})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rules.ConsentPII(plain, "client-1", rules.Options{}); err != nil {
		t.Fatalf("sandbox refuses the consent PII: %v", err)
	}
}
