package rules

import (
	"fmt"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

func sealedPII(t testing.TB, plain string) string {
	t.Helper()
	return seal(t, sign(t, []byte(plain)), sealOpts{})
}

func TestOpenPIIRule17(t *testing.T) {
	k := keys()
	plain, err := OpenPII(sealedPII(t, consentPIIJSON), bankEncKeys(), clientKeyFor, Options{})
	if err != nil || string(plain) != consentPIIJSON {
		t.Fatalf("valid PII not opened: %v", err)
	}
	if _, err := OpenPII(seal(t, sign(t, []byte(consentPIIJSON)), sealOpts{cty: "JWT"}), bankEncKeys(), clientKeyFor, Options{}); err != nil {
		t.Fatalf("cty JWT rejected: %v", err)
	}
	if _, err := OpenPII(seal(t, sign(t, []byte(consentPIIJSON)), sealOpts{cty: "jwt"}), bankEncKeys(), clientKeyFor, Options{}); err != nil {
		t.Fatalf("cty jwt (any case) rejected: %v", err)
	}
	jws := sign(t, []byte(consentPIIJSON))
	good := seal(t, jws, sealOpts{})
	parts := strings.Split(good, ".")
	tampered := strings.Join([]string{parts[0], parts[1], parts[2], "AAAA" + parts[3][4:], parts[4]}, ".")
	cases := []struct {
		name, jwe, code, path string
		opts                  Options
	}{
		{"JWS instead of JWE", jws, CodeJWEInvalidHeader, "", Options{}},
		{"RSA-OAEP (SHA-1)", seal(t, jws, sealOpts{alg: jose.RSA_OAEP}), CodeJWEInvalidHeader, "header.alg", Options{}},
		{"A128GCM", seal(t, jws, sealOpts{enc: jose.A128GCM}), CodeJWEInvalidHeader, "header.enc", Options{}},
		{"stale kid", seal(t, jws, sealOpts{kid: "bank-enc-0"}), CodeJWEInvalidHeader, "header.kid", Options{}},
		{"cty json", seal(t, jws, sealOpts{cty: "json"}), CodeJWEInvalidHeader, "header.cty", Options{}},
		{"cty JWT when rejected", seal(t, jws, sealOpts{cty: "JWT"}), CodeJWEInvalidHeader, "header.cty", Options{RejectJWECtyJWT: true}},
		{"zip", seal(t, jws, sealOpts{zip: true}), CodeJWEInvalidHeader, "header.zip", Options{}},
		{"jku header", seal(t, jws, sealOpts{hdrs: map[jose.HeaderKey]any{"jku": "https://evil/jwks"}}), CodeJWEInvalidHeader, "header.jku", Options{}},
		{"encrypted to another key", seal(t, jws, sealOpts{pub: &k.other.PublicKey}), CodeJWEDecryptionError, "", Options{}},
		{"tampered ciphertext", tampered, CodeJWEDecryptionError, "", Options{}},
		{"unsigned JSON inside", seal(t, consentPIIJSON, sealOpts{}), CodeJWSMalformed, "", Options{}},
		{"inner RS256", seal(t, signWith(t, []byte(consentPIIJSON), jose.RS256, k.client, clientSigKid, nil), sealOpts{}), CodeJWSInvalidHeader, "header.alg", Options{}},
		{"inner signed by another key", seal(t, signWith(t, []byte(consentPIIJSON), jose.PS256, k.other, clientSigKid, nil), sealOpts{}), CodeJWSInvalidSignature, "signature", Options{}},
		{"inner unknown kid", seal(t, signWith(t, []byte(consentPIIJSON), jose.PS256, k.client, "other-kid", nil), sealOpts{}), CodeJWSInvalidSignature, "header.kid", Options{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := OpenPII(c.jwe, bankEncKeys(), clientKeyFor, c.opts)
			wantViolation(t, err, 17, c.code, c.path)
		})
	}
}

func consentPII(t *testing.T, mut func(m map[string]any), opts Options) (*ConsentPIIData, error) {
	t.Helper()
	m := obj(t, consentPIIJSON)
	if mut != nil {
		mut(m)
	}
	return ConsentPII(mustJSON(t, m), testClientID, opts)
}

func TestConsentPIIPositive(t *testing.T) {
	p, err := consentPII(t, nil, Options{})
	if err != nil {
		t.Fatalf("valid consent PII rejected: %v", err)
	}
	if p.Beneficiary() != BeneficiarySingle || p.Risk == nil || *p.Initiation.DebtorAccount.Name.En != "Debtor Name" {
		t.Fatalf("decoded %+v", p)
	}
	// Registered claims are stripped; their times are never enforced.
	p, err = consentPII(t, func(m map[string]any) {
		m["iss"], m["sub"], m["aud"], m["jti"] = testClientID, testClientID, []any{testIssuer}, "j"
		m["iat"], m["exp"], m["nbf"] = unix(-1000e9*3600), unix(-999e9*3600), unix(-1000e9*3600)
	}, Options{})
	if err != nil {
		t.Fatalf("expired PII claims enforced: %v", err)
	}
	// Open beneficiary: no Creditor, no DebtorAccount.
	p, err = consentPII(t, func(m map[string]any) { delete(m, "Initiation") }, Options{})
	if err != nil || p.Beneficiary() != BeneficiaryOpen {
		t.Fatalf("open consent: %v", err)
	}
	p, err = consentPII(t, func(m map[string]any) {
		set(t, m, "Initiation.Creditor", []any{obj(t, creditorAJSON), obj(t, creditorBJSON)})
	}, Options{})
	if err != nil || p.Beneficiary() != BeneficiaryMultiple {
		t.Fatalf("multiple consent: %v", err)
	}
	p, err = consentPII(t, func(m map[string]any) { set(t, m, "Initiation.Creditor", []any{}) }, Options{AllowEmptyCreditorArray: true})
	if err != nil || p.Beneficiary() != BeneficiaryOpen {
		t.Fatalf("empty creditor array when allowed: %v", err)
	}
	// AccountType accepts the union of both enums at consent time.
	for _, at := range []string{"CurrentAccount", "Retail"} {
		if _, err := consentPII(t, func(m map[string]any) { set(t, m, "Risk.CreditorIndicators.AccountType", at) }, Options{}); err != nil {
			t.Fatalf("AccountType %s rejected: %v", at, err)
		}
	}
}

func TestConsentPIIRules18To20(t *testing.T) {
	eleven := func(m map[string]any) {
		list := make([]any, 11)
		for i := range list {
			list[i] = obj(t, creditorAJSON)
		}
		set(t, m, "Initiation.Creditor", list)
	}
	const c0 = "Initiation.Creditor[0]"
	cases := []struct {
		name string
		rule int
		code string
		mut  func(m map[string]any)
		path string
	}{
		{"iss of another client", 17, CodeJWSInvalidClaim, func(m map[string]any) { m["iss"] = "other" }, "iss"},
		{"aud number", 17, CodeJWSInvalidClaim, func(m map[string]any) { m["aud"] = 5 }, "aud"},
		{"unknown root member", 18, CodeResourceInvalidFormat, func(m map[string]any) { m["Data"] = map[string]any{} }, "Data"},
		{"unknown Initiation member", 18, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, "Initiation.InstructedAmount", "1.00") }, "Initiation.InstructedAmount"},
		{"payment shape creditor object", 18, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, "Initiation.Creditor", obj(t, creditorAJSON)) }, "Initiation.Creditor"},
		{"empty creditor array", 18, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, "Initiation.Creditor", []any{}) }, "Initiation.Creditor"},
		{"eleven creditors", 18, CodeResourceInvalidFormat, eleven, "Initiation.Creditor"},
		{"debtor IBAN checksum", 18, CodeResourceInvalidFormat, func(m map[string]any) {
			set(t, m, "Initiation.DebtorAccount.Identification", "AE140260123456789012345")
		}, "Initiation.DebtorAccount.Identification"},
		{"debtor scheme", 18, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, "Initiation.DebtorAccount.SchemeName", "AccountNumber") }, "Initiation.DebtorAccount.SchemeName"},
		{"debtor name missing", 18, CodeResourceInvalidFormat, func(m map[string]any) { del(t, m, "Initiation.DebtorAccount.Name") }, "Initiation.DebtorAccount.Name"},
		{"debtor name empty object", 18, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, "Initiation.DebtorAccount.Name", map[string]any{}) }, "Initiation.DebtorAccount.Name"},
		{"Risk missing", 18, CodeResourceInvalidFormat, func(m map[string]any) { delete(m, "Risk") }, "Risk"},
		{"duplicate key", 18, CodeResourceInvalidFormat, nil, "Initiation"},
		{"creditor scheme", 19, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, c0+".CreditorAccount.SchemeName", "AccountNumber") }, c0 + ".CreditorAccount.SchemeName"},
		{"creditor IBAN with spaces", 19, CodeResourceInvalidFormat, func(m map[string]any) {
			set(t, m, c0+".CreditorAccount.Identification", "AE07 0331 2345 6789 0123 456")
		}, c0 + ".CreditorAccount.Identification"},
		{"creditor IBAN lowercase", 19, CodeResourceInvalidFormat, func(m map[string]any) {
			set(t, m, c0+".CreditorAccount.Identification", strings.ToLower(ibanA))
		}, c0 + ".CreditorAccount.Identification"},
		{"creditor IBAN checksum", 19, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, c0+".CreditorAccount.Identification", "AE070331234567890123457") }, c0 + ".CreditorAccount.Identification"},
		{"creditor name missing", 19, CodeResourceInvalidFormat, func(m map[string]any) { del(t, m, c0+".CreditorAccount.Name") }, c0 + ".CreditorAccount.Name"},
		{"creditor name empty", 19, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, c0+".CreditorAccount.Name", map[string]any{"en": ""}) }, c0 + ".CreditorAccount.Name"},
		{"creditor name too long", 19, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, c0+".CreditorAccount.Name.en", strings.Repeat("a", 71)) }, c0 + ".CreditorAccount.Name.en"},
		{"creditor account missing", 19, CodeResourceInvalidFormat, func(m map[string]any) { del(t, m, c0+".CreditorAccount") }, c0 + ".CreditorAccount"},
		{"account type enum", 19, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, c0+".CreditorAccount.Type", "Person") }, c0 + ".CreditorAccount.Type"},
		{"BIC of another bank", 19, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, c0+".CreditorAgent.Identification", "ADCBAEAA") }, c0 + ".CreditorAgent.Identification"},
		{"BIC for unknown bank code", 19, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, c0+".CreditorAccount.Identification", ibanNoBIC) }, c0 + ".CreditorAgent.Identification"},
		{"agent scheme", 19, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, c0+".CreditorAgent.SchemeName", "IBAN") }, c0 + ".CreditorAgent.SchemeName"},
		{"CoP not a JWS", 19, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, c0+".ConfirmationOfPayeeResponse", "matched") }, c0 + ".ConfirmationOfPayeeResponse"},
		{"creditor party name too long", 19, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, c0+".Creditor.Name", strings.Repeat("a", 141)) }, c0 + ".Creditor.Name"},
		{"address country", 19, CodeResourceInvalidFormat, func(m map[string]any) {
			set(t, m, c0+".Creditor.PostalAddress", []any{map[string]any{"AddressType": "Business", "AddressLine": []any{"Street 1"}, "Country": "UAE"}})
		}, c0 + ".Creditor.PostalAddress[0].Country"},
		{"Risk supplementary data not empty", 20, CodeResourceInvalidFormat, func(m map[string]any) {
			set(t, m, "Risk.DebtorIndicators.SupplementaryData", map[string]any{"x": 1})
		}, "Risk.DebtorIndicators.SupplementaryData.x"},
		{"Risk nested unknown", 20, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, "Risk.DebtorIndicators.Authentication.Extra", true) }, "Risk.DebtorIndicators.Authentication.Extra"},
		{"Risk root unknown", 20, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, "Risk.Score", 1) }, "Risk.Score"},
		{"Risk channel enum", 20, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, "Risk.TransactionIndicators.Channel", "CLI") }, "Risk.TransactionIndicators.Channel"},
		{"Risk geolocation half", 20, CodeResourceInvalidFormat, func(m map[string]any) { del(t, m, "Risk.DebtorIndicators.GeoLocation.Longitude") }, "Risk.DebtorIndicators.GeoLocation.Longitude"},
		{"Risk account type", 20, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, "Risk.CreditorIndicators.AccountType", "Wallet") }, "Risk.CreditorIndicators.AccountType"},
		{"Risk TradingName string", 20, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, "Risk.CreditorIndicators.TradingName", "Shop") }, "Risk.CreditorIndicators.TradingName"},
		{"Risk challenge time format", 20, CodeResourceInvalidFormat, func(m map[string]any) {
			set(t, m, "Risk.DebtorIndicators.Authentication.ChallengeDateTime", "22/11/2026 10:00")
		}, "Risk.DebtorIndicators.Authentication.ChallengeDateTime"},
		{"Risk attempts below 1", 20, CodeResourceInvalidFormat, func(m map[string]any) {
			set(t, m, "Risk.TransactionIndicators.PaymentProcess.CurrentSessionAttempts", 0)
		}, "Risk.TransactionIndicators.PaymentProcess.CurrentSessionAttempts"},
		{"Risk binding duration", 20, CodeResourceInvalidFormat, func(m map[string]any) {
			set(t, m, "Risk.DebtorIndicators.DeviceInformation.BindingDuration", "30 days")
		}, "Risk.DebtorIndicators.DeviceInformation.BindingDuration"},
		{"Risk battery", 20, CodeResourceInvalidFormat, func(m map[string]any) {
			set(t, m, "Risk.DebtorIndicators.DeviceInformation.BatteryStatus", map[string]any{"Level": 101})
		}, "Risk.DebtorIndicators.DeviceInformation.BatteryStatus.Level"},
		{"Risk factor type", 20, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, "Risk.DebtorIndicators.Authentication.KnowledgeFactor.Type", "TOTP") }, "Risk.DebtorIndicators.Authentication.KnowledgeFactor.Type"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("rule %d %s", c.rule, c.name), func(t *testing.T) {
			var err error
			if c.mut == nil { // duplicate key needs raw text
				raw := strings.Replace(consentPIIJSON, `"Initiation": {`, `"Initiation": {}, "Initiation": {`, 1)
				_, err = ConsentPII([]byte(raw), testClientID, Options{})
			} else {
				_, err = consentPII(t, c.mut, Options{})
			}
			wantViolation(t, err, c.rule, c.code, c.path)
		})
	}
}

func paymentPII(t *testing.T, mut func(m map[string]any), opts Options) (*PaymentPIIData, error) {
	t.Helper()
	m := obj(t, paymentPIIJSON)
	if mut != nil {
		mut(m)
	}
	return PaymentPII(mustJSON(t, m), testClientID, opts)
}

func TestPaymentPIIRule31(t *testing.T) {
	p, err := paymentPII(t, nil, Options{})
	if err != nil || p.Initiation.CreditorAccount.Identification != ibanA {
		t.Fatalf("valid payment PII rejected: %v", err)
	}
	if _, err := paymentPII(t, func(m map[string]any) { set(t, m, "Risk.DebtorIndicators.DeviceInformation.Vendor", "x") }, Options{OpenNestedPaymentRisk: true}); err != nil {
		t.Fatalf("open nested payment Risk rejected: %v", err)
	}
	if _, err := paymentPII(t, func(m map[string]any) { del(t, m, "Initiation.CreditorAgent") }, Options{}); err != nil {
		t.Fatalf("payment without CreditorAgent rejected: %v", err)
	}
	cases := []struct {
		name string
		rule int
		code string
		mut  func(m map[string]any)
		path string
		opts Options
	}{
		{"DebtorAccount at payment time", 31, CodeResourceInvalidFormat, func(m map[string]any) {
			set(t, m, "Initiation.DebtorAccount", map[string]any{"SchemeName": "IBAN", "Identification": ibanC})
		}, "Initiation.DebtorAccount", Options{}},
		{"consent shape creditor array", 31, CodeResourceInvalidFormat, func(m map[string]any) {
			set(t, m, "Initiation.Creditor", []any{obj(t, creditorAJSON)})
		}, "Initiation.Creditor", Options{}},
		{"Initiation missing", 31, CodeResourceInvalidFormat, func(m map[string]any) { delete(m, "Initiation") }, "Initiation", Options{}},
		{"Risk missing", 31, CodeResourceInvalidFormat, func(m map[string]any) { delete(m, "Risk") }, "Risk", Options{}},
		{"root unknown", 31, CodeResourceInvalidFormat, func(m map[string]any) { m["Amount"] = "1.00" }, "Amount", Options{}},
		{"iss other client", 31, CodeJWSInvalidClaim, func(m map[string]any) { m["iss"] = "other" }, "iss", Options{}},
		{"CreditorAccount missing", 31, CodeResourceInvalidFormat, func(m map[string]any) { del(t, m, "Initiation.CreditorAccount") }, "Initiation.CreditorAccount", Options{}},
		{"creditor IBAN checksum", 19, CodeResourceInvalidFormat, func(m map[string]any) {
			set(t, m, "Initiation.CreditorAccount.Identification", "AE070331234567890123457")
		}, "Initiation.CreditorAccount.Identification", Options{}},
		{"BIC mismatch", 19, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, "Initiation.CreditorAgent.Identification", "EBILAEADXXX") }, "Initiation.CreditorAgent.Identification", Options{}},
		{"nested Risk closed by default", 20, CodeResourceInvalidFormat, func(m map[string]any) {
			set(t, m, "Risk.DebtorIndicators.DeviceInformation.Vendor", "x")
		}, "Risk.DebtorIndicators.DeviceInformation.Vendor", Options{}},
		{"Risk root closed even when open", 20, CodeResourceInvalidFormat, func(m map[string]any) { set(t, m, "Risk.Score", 1) }, "Risk.Score", Options{OpenNestedPaymentRisk: true}},
		{"Risk enum checked even when open", 20, CodeResourceInvalidFormat, func(m map[string]any) {
			set(t, m, "Risk.DebtorIndicators.Authentication.AuthenticationFlow", "SFA")
		}, "Risk.DebtorIndicators.Authentication.AuthenticationFlow", Options{OpenNestedPaymentRisk: true}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("rule %d %s", c.rule, c.name), func(t *testing.T) {
			_, err := paymentPII(t, c.mut, c.opts)
			wantViolation(t, err, c.rule, c.code, c.path)
		})
	}
	t.Run("sealed end to end", func(t *testing.T) {
		plain, err := OpenPII(sealedPII(t, paymentPIIJSON), bankEncKeys(), clientKeyFor, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := PaymentPII(plain, testClientID, Options{}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRiskValidators(t *testing.T) {
	var r Risk
	if err := DecodeStrict([]byte(paymentRiskJSON), &r, "Risk"); err != nil {
		t.Fatal(err)
	}
	if err := PaymentRisk(&r); err != nil {
		t.Fatalf("valid payment Risk: %v", err)
	}
	if err := ConsentRisk(&r); err != nil {
		t.Fatalf("AccountType union at consent time: %v", err)
	}
	wantViolation(t, ConsentRisk(nil), 20, CodeResourceInvalidFormat, "Risk")
	r.TransactionIndicators.ChannelType = ptr("Kiosk")
	wantViolation(t, PaymentRisk(&r), 20, CodeResourceInvalidFormat, "Risk.TransactionIndicators.ChannelType")
}
