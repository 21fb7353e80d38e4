package rules

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
)

// Every decoder is fuzzed for two properties: it never panics, and every
// error it returns is a *Violation (or *DecodeError), never a raw error that
// would reach a client unlabelled. Accepted PII must survive a round trip.

func requireViolation(t *testing.T, err error) {
	t.Helper()
	if err != nil && AsViolation(err) == nil {
		t.Fatalf("error is not a *Violation: %v", err)
	}
}

func FuzzDecodeStrict(f *testing.F) {
	f.Add([]byte(consentPIIJSON))
	f.Add([]byte(`{"Name":"a","Name":"b"}`))
	f.Add([]byte(`{"Raw":{"x":true}} x`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v strictTarget
		err := DecodeStrict(data, &v, "")
		var de *DecodeError
		if err != nil && !errors.As(err, &de) {
			t.Fatalf("not a DecodeError: %v", err)
		}
		if err == nil && !json.Valid(data) {
			t.Fatal("accepted invalid JSON")
		}
	})
}

func FuzzConsentPII(f *testing.F) {
	f.Add([]byte(consentPIIJSON))
	f.Add([]byte(`{"Initiation":{"Creditor":[]},"Risk":{}}`))
	f.Add([]byte(`{"iss":"x","Risk":{"DebtorIndicators":{"SupplementaryData":{}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ConsentPII(data, testClientID, Options{})
		requireViolation(t, err)
		if err == nil {
			again, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ConsentPII(again, testClientID, Options{}); err != nil {
				t.Fatalf("accepted PII fails after a round trip: %v", err)
			}
		}
	})
}

func FuzzPaymentPII(f *testing.F) {
	f.Add([]byte(paymentPIIJSON))
	f.Add([]byte(`{"Initiation":{"DebtorAccount":{}},"Risk":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range []Options{{}, {OpenNestedPaymentRisk: true}} {
			p, err := PaymentPII(data, testClientID, opts)
			requireViolation(t, err)
			if err == nil {
				again, _ := json.Marshal(p)
				if _, err := PaymentPII(again, testClientID, opts); err != nil {
					t.Fatalf("accepted PII fails after a round trip: %v", err)
				}
			}
		}
	})
}

func FuzzPaymentRequest(f *testing.F) {
	f.Add([]byte(paymentMessageJSON))
	f.Add([]byte(`{"Data":{"Instruction":{"Amount":{"Amount":"0.00","Currency":"AED"}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := PaymentRequest(data, Options{})
		requireViolation(t, err)
		if err == nil && (!amountPattern.MatchString(p.Amount) || p.Currency != "AED" || !IsPurposeCode(p.PaymentPurposeCode)) {
			t.Fatalf("accepted an invalid instruction: %+v", p)
		}
	})
}

func FuzzPaymentJWTClaims(f *testing.F) {
	f.Add(mustJSON(f, paymentClaimsFixture(f)))
	f.Add([]byte(`{"iss":"tpp-client-1","exp":1e300,"nbf":-1,"message":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := PaymentJWTClaims(data, testClientID, testIssuer, testNow, Options{})
		requireViolation(t, err)
	})
}

func FuzzAuthorizationDetails(f *testing.F) {
	f.Add([]byte("[" + authorizationDetailJSON + "]"))
	f.Add([]byte(`[{"type":"x","consent":{"ControlParameters":{"ConsentSchedule":{"a":1}}}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := AuthorizationDetails(data, testNow, Options{})
		requireViolation(t, err)
		if err == nil && (!c.ExpirationDateTime.After(testNow) || !IsPurposeCode(c.PaymentPurposeCode)) {
			t.Fatalf("accepted an invalid consent: %+v", c)
		}
	})
}

func FuzzRequestObject(f *testing.F) {
	f.Add(mustJSON(f, requestObjectClaimsFixture(f)))
	f.Add([]byte(`{"aud":["x"],"scope":"openid"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := RequestObject(data, testClient(), testIssuer, testNow, Options{AllowLoopbackRedirects: true})
		requireViolation(t, err)
	})
}

func FuzzClientAssertion(f *testing.F) {
	f.Add(mustJSON(f, clientAssertionFixture(f)))
	f.Add([]byte(`{"iss":"a","sub":"a","aud":[1],"exp":1,"iat":2,"jti":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := ClientAssertion(data, testClientID, testIssuer, testNow, Options{})
		requireViolation(t, err)
	})
}

func FuzzPatchConsent(f *testing.F) {
	f.Add([]byte(patchMessageJSON))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := PatchConsent(data)
		requireViolation(t, err)
	})
}

func FuzzVerifyJWS(f *testing.F) {
	f.Add(sign(f, mustJSON(f, paymentClaimsFixture(f))))
	f.Add(craftJWS(`{"alg":"PS256","kid":"client-sig"}`, "{}"))
	f.Add("a.b.c.d.e")
	f.Fuzz(func(t *testing.T, s string) {
		_, _, err := VerifyJWS(s, clientKeyFor)
		requireViolation(t, err)
	})
}

func FuzzOpenPII(f *testing.F) {
	f.Add(sealedPII(f, consentPIIJSON))
	f.Add("eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIiwia2lkIjoiYmFuay1lbmMtMSJ9.a.b.c.d")
	f.Fuzz(func(t *testing.T, s string) {
		_, err := OpenPII(s, bankEncKeys(), clientKeyFor, Options{})
		requireViolation(t, err)
	})
}

func FuzzCheckIBAN(f *testing.F) {
	for _, s := range []string{ibanA, ibanB, "AE140260123456789012345", "AE07 0331"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckIBAN(s) == nil {
			if !uaeIBAN.MatchString(s) {
				t.Fatalf("accepted a non-UAE IBAN shape")
			}
			if CheckBIC("BOMLAEAD", s) == nil && s[4:7] != "033" {
				t.Fatal("BIC accepted for another bank code")
			}
		}
	})
}

func FuzzParseForm(f *testing.F) {
	f.Add(formCT, "request=a&client_assertion_type=b&client_assertion=c")
	f.Add("application/x-www-form-urlencoded; charset=utf-8", "request=a&request=b")
	f.Fuzz(func(t *testing.T, ct, body string) {
		vals, err := ParseForm(ct, []byte(body), PARParams, PARRequired)
		requireViolation(t, err)
		if err == nil {
			for _, r := range PARRequired {
				if vals[r] == "" {
					t.Fatalf("accepted a form without %s", r)
				}
			}
		}
	})
}

func FuzzPaymentHeaders(f *testing.F) {
	f.Add("pay-1", "93bac548-d2de-4546-b106-880a5018460d", "Sun, 22 Nov 2026 09:58:00 GMT", "203.0.113.7")
	f.Fuzz(func(t *testing.T, key, id, date, ip string) {
		h := http.Header{}
		h.Set(HeaderIdempotencyKey, key)
		h.Set(HeaderInteractionID, id)
		h.Set(HeaderAuthDate, date)
		h.Set(HeaderCustomerIP, ip)
		_, err := PaymentHeaders(h, testNow, Options{})
		requireViolation(t, err)
		if err == nil && len(key) > MaxIdempotencyKeyLength {
			t.Fatal("accepted a long idempotency key")
		}
	})
}
