package specs

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

const (
	paymentRisk = "AERisk"
	consentRisk = "AEBankServiceInitiationRichAuthorizationRequests.AERisk"
)

const goodRisk = `{
  "DebtorIndicators": {
    "Authentication": {
      "AuthenticationChannel": "App",
      "KnowledgeFactor": {"IsUsed": true, "Type": "PIN"},
      "PossessionFactor": {"IsUsed": true, "Type": "OTPApp"},
      "ChallengeOutcome": "Pass",
      "AuthenticationFlow": "MFA",
      "AuthenticationValue": "eyJhbGciOiJFUzI1NiJ9.e30.c2ln",
      "ChallengeDateTime": "2026-11-22T05:00:00+04:00"
    },
    "DeviceInformation": {"DeviceType": "Desktop", "BindingDuration": "P30D", "BindingStatus": "Active"},
    "AccountRiskIndicators": {"TransactionHistory": {"LastDay": 0, "LastYear": 12}}
  },
  "TransactionIndicators": {"IsCustomerPresent": true, "PaymentProcess": {"CurrentSessionAttempts": 1}},
  "CreditorIndicators": {"IsCreditorPrePopulated": true, "TradingName": {"en": "Shop"}}
}`

func TestOfficialRiskSchemas(t *testing.T) {
	pay := Require(t, BankInitiation)
	consent := Require(t, AuthorizationEndpoints)

	if err := pay.Validate(paymentRisk, []byte(goodRisk)); err != nil {
		t.Fatalf("payment-time: good Risk rejected: %v", err)
	}
	if err := consent.Validate(consentRisk, []byte(goodRisk)); err != nil {
		t.Fatalf("consent-time: good Risk rejected: %v", err)
	}

	cases := []struct {
		name   string
		doc    *Doc
		schema string
		value  string
		path   string
		reason string
		accept bool // the file itself is lenient here
	}{
		{"extra root property", pay, paymentRisk, `{"Extra":1}`, "/", `property "Extra" is unsupported`, false},
		{"extra root property (consent)", consent, consentRisk, `{"Extra":1}`, "/", `property "Extra" is unsupported`, false},
		{"nested extra closed at consent time", consent, consentRisk,
			`{"DebtorIndicators":{"Authentication":{"Foo":"x"}}}`, "/DebtorIndicators/Authentication", `property "Foo" is unsupported`, false},
		{"nested extra open at payment time", pay, paymentRisk,
			`{"DebtorIndicators":{"Authentication":{"Foo":"x"}}}`, "", "", true},
		{"enum", pay, paymentRisk,
			`{"DebtorIndicators":{"Authentication":{"AuthenticationChannel":"Terminal"}}}`,
			"/DebtorIndicators/Authentication/AuthenticationChannel", "allowed values", false},
		{"date-time calendar", pay, paymentRisk,
			`{"DebtorIndicators":{"Authentication":{"ChallengeDateTime":"2026-02-30T00:00:00Z"}}}`,
			"/DebtorIndicators/Authentication/ChallengeDateTime", `format "date-time"`, false},
		{"duration", consent, consentRisk,
			`{"DebtorIndicators":{"DeviceInformation":{"BindingDuration":"30 days"}}}`,
			"/DebtorIndicators/DeviceInformation/BindingDuration", `format "duration"`, false},
		{"negative count", pay, paymentRisk,
			`{"DebtorIndicators":{"AccountRiskIndicators":{"TransactionHistory":{"LastDay":-1}}}}`,
			"/DebtorIndicators/AccountRiskIndicators/TransactionHistory/LastDay", "at least 0", false},
		{"attempts start at 1", pay, paymentRisk,
			`{"TransactionIndicators":{"PaymentProcess":{"CurrentSessionAttempts":0}}}`,
			"/TransactionIndicators/PaymentProcess/CurrentSessionAttempts", "at least 1", false},
		{"integer", pay, paymentRisk,
			`{"TransactionIndicators":{"PaymentProcess":{"TotalDuration":1.5}}}`,
			"/TransactionIndicators/PaymentProcess/TotalDuration", "integer", false},
		{"TradingName is an object", pay, paymentRisk,
			`{"CreditorIndicators":{"TradingName":"Shop"}}`, "/CreditorIndicators/TradingName", "must be an object", false},
		{"AccountType payment-time enum", pay, paymentRisk,
			`{"CreditorIndicators":{"AccountType":"CurrentAccount"}}`, "/CreditorIndicators/AccountType", "allowed values", false},
		{"AccountType consent-time enum", consent, consentRisk,
			`{"CreditorIndicators":{"AccountType":"Retail"}}`, "/CreditorIndicators/AccountType", "allowed values", false},
		{"GeoLocation needs both", pay, paymentRisk,
			`{"DebtorIndicators":{"GeoLocation":{"Latitude":"25.2"}}}`, "/DebtorIndicators/GeoLocation/Longitude", "is missing", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.doc.Validate(c.schema, []byte(c.value))
			if c.accept {
				if err != nil {
					t.Fatalf("the file accepts this, Validate must too: %v", err)
				}
				return
			}
			ve := asValidationError(t, err)
			if !ve.Has(c.path, c.reason) {
				t.Fatalf("want a problem at %s mentioning %q, got %v", c.path, c.reason, ve.Problems)
			}
		})
	}
}

func TestEveryProblemReported(t *testing.T) {
	pay := Require(t, BankInitiation)
	err := pay.Validate(paymentRisk, []byte(`{"A":1,"CreditorIndicators":{"IsVerifiedByTPP":"yes","AccountType":"Nope"}}`))
	ve := asValidationError(t, err)
	if len(ve.Problems) != 3 {
		t.Fatalf("want 3 problems, got %d: %v", len(ve.Problems), ve.Problems)
	}
}

func TestErrorNeverQuotesValue(t *testing.T) {
	pay := Require(t, BankInitiation)
	const secret = "S3CRET-PIN-483920"
	for _, v := range []string{
		`{"DebtorIndicators":{"Authentication":{"AuthenticationChannel":"` + secret + `"}}}`,
		`{"DebtorIndicators":{"Authentication":{"ChallengeDateTime":"` + secret + `"}}}`,
		`{"DebtorIndicators":{"Authentication":{"AuthenticationValue":{"x":"` + secret + `"}}}}`,
	} {
		err := pay.Validate(paymentRisk, []byte(v))
		if err == nil {
			t.Fatalf("accepted %s", v)
		}
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error text quotes the value: %v", err)
		}
	}
}

func TestUnusableInput(t *testing.T) {
	pay := Require(t, BankInitiation)
	for name, c := range map[string]struct{ schema, value string }{
		"unknown schema": {"NoSuchSchema", `{}`},
		"malformed":      {paymentRisk, `{"a":`},
		"trailing data":  {paymentRisk, `{} {}`},
		"empty":          {paymentRisk, ``},
	} {
		err := pay.Validate(c.schema, []byte(c.value))
		var ve *ValidationError
		if err == nil || errors.As(err, &ve) {
			t.Errorf("%s: want a plain error, got %v", name, err)
		}
	}
	if pay.HasSchema("NoSuchSchema") || !pay.HasSchema(paymentRisk) {
		t.Error("HasSchema is wrong")
	}
}

func TestValidateValueMarshals(t *testing.T) {
	pay := Require(t, BankInitiation)
	type auth struct {
		AuthenticationFlow string
	}
	type debtor struct{ Authentication auth }
	ok := struct{ DebtorIndicators debtor }{debtor{auth{"MFA"}}}
	if err := pay.ValidateValue(paymentRisk, ok); err != nil {
		t.Fatal(err)
	}
	bad := struct{ DebtorIndicators debtor }{debtor{auth{"SFA"}}}
	if err := pay.ValidateValue(paymentRisk, bad); err == nil {
		t.Fatal("SFA accepted")
	}
	if err := pay.ValidateValue(paymentRisk, make(chan int)); err == nil {
		t.Fatal("unmarshalable value accepted")
	}
}

func TestDiscriminatorAndNullable(t *testing.T) {
	doc, err := Load(fixture(t, "formats.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate("Pet", []byte(`{"Kind":"cat","Lives":9}`)); err != nil {
		t.Fatalf("cat rejected: %v", err)
	}
	for _, bad := range []string{`{"Kind":"cat"}`, `{"Kind":"cow"}`, `{"Lives":3}`, `{"Kind":"dog","Lives":3}`} {
		if err := doc.Validate("Pet", []byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if err := doc.Validate("Nullable", []byte(`{"Maybe":null}`)); err != nil {
		t.Errorf("nullable null rejected: %v", err)
	}
	if err := doc.Validate("Nullable", []byte(`{"Never":null}`)); err == nil {
		t.Error("null accepted where the schema is not nullable")
	}
}

func TestConcurrentValidate(t *testing.T) {
	pay := Require(t, BankInitiation)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := pay.Validate(paymentRisk, []byte(goodRisk)); err != nil {
				errs <- err
			}
			if err := pay.Validate(paymentRisk, []byte(`{"X":1}`)); err == nil {
				errs <- errors.New("extra property accepted")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func BenchmarkValidatePaymentRisk(b *testing.B) {
	pay := Require(b, BankInitiation)
	for b.Loop() {
		if err := pay.Validate(paymentRisk, []byte(goodRisk)); err != nil {
			b.Fatal(err)
		}
	}
}
