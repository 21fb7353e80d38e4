package rules

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func TestVerifyJWSRule27(t *testing.T) {
	k := keys()
	payload := mustJSON(t, paymentClaimsFixture(t))
	got, kid, err := VerifyJWS(sign(t, payload), clientKeyFor)
	if err != nil || kid != clientSigKid || string(got) != string(payload) {
		t.Fatalf("valid JWS: %v", err)
	}
	if _, _, err := VerifyJWS(signWith(t, payload, jose.PS256, k.client, clientSigKid, map[jose.HeaderKey]any{"typ": "JWT"}), clientKeyFor); err != nil {
		t.Fatalf("typ JWT rejected: %v", err)
	}
	good := sign(t, payload)
	parts := strings.Split(good, ".")
	cases := []struct {
		name, compact, code, path string
	}{
		{"JSON body", string(payload), CodeJWSMalformed, ""},
		{"JWE body", seal(t, good, sealOpts{}), CodeJWSMalformed, ""},
		{"bad base64 header", "!!!." + parts[1] + "." + parts[2], CodeJWSMalformed, "header"},
		{"header not JSON", craftJWS(`alg`, "{}"), CodeJWSMalformed, "header"},
		{"duplicate header member", craftJWS(`{"alg":"PS256","alg":"none","kid":"client-sig"}`, "{}"), CodeJWSMalformed, "header"},
		{"bad base64 payload", parts[0] + ".***." + parts[2], CodeJWSMalformed, ""},
		{"RS256", signWith(t, payload, jose.RS256, k.client, clientSigKid, nil), CodeJWSInvalidHeader, "header.alg"},
		{"ES256 claimed", craftJWS(`{"alg":"ES256","kid":"client-sig"}`, "{}"), CodeJWSInvalidHeader, "header.alg"},
		{"no kid", signWith(t, payload, jose.PS256, k.client, "", nil), CodeJWSInvalidHeader, "header.kid"},
		{"jku", signWith(t, payload, jose.PS256, k.client, clientSigKid, map[jose.HeaderKey]any{"jku": "https://evil"}), CodeJWSInvalidHeader, "header.jku"},
		{"crit b64", craftJWS(`{"alg":"PS256","kid":"client-sig","b64":false,"crit":["b64"]}`, "{}"), CodeJWSInvalidHeader, "header.b64"},
		{"unknown kid", signWith(t, payload, jose.PS256, k.client, "rotated", nil), CodeJWSInvalidSignature, "header.kid"},
		{"enc key", signWith(t, payload, jose.PS256, k.client, "client-enc", nil), CodeJWSInvalidSignature, "header.kid"},
		{"wrong key", signWith(t, payload, jose.PS256, k.other, clientSigKid, nil), CodeJWSInvalidSignature, "signature"},
		{"tampered payload", parts[0] + "." + strings.TrimRight(parts[1], "=") + "e30." + parts[2], CodeJWSInvalidSignature, "signature"},
		{"too large", strings.Repeat("a", MaxJOSELength+1), CodeJWSMalformed, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := VerifyJWS(c.compact, clientKeyFor)
			wantViolation(t, err, 27, c.code, c.path)
		})
	}
}

func TestPaymentJWTClaimsRule27(t *testing.T) {
	b, err := VerifyPaymentBody(sign(t, mustJSON(t, paymentClaimsFixture(t))), clientKeyFor, testClientID, testIssuer, testNow, Options{})
	if err != nil || len(b.Message) == 0 || !b.ExpiresAt.Equal(testNow.Add(290e9)) {
		t.Fatalf("valid body: %v", err)
	}
	m := paymentClaimsFixture(t)
	m["aud"] = testIssuer
	if _, err := PaymentJWTClaims(mustJSON(t, m), testClientID, testIssuer, testNow, Options{AcceptStringAud: true}); err != nil {
		t.Fatalf("string aud with AcceptStringAud: %v", err)
	}
	m = paymentClaimsFixture(t)
	delete(m, "aud")
	m["jti"] = "j-1"
	if b, err := PaymentJWTClaims(mustJSON(t, m), testClientID, testIssuer, testNow, Options{}); err != nil || b.JTI != "j-1" {
		t.Fatalf("aud is optional, jti allowed: %v", err)
	}
	cases := []struct {
		name, code string
		mut        func(m map[string]any)
		path       string
	}{
		{"iss other", CodeJWSInvalidClaim, func(m map[string]any) { m["iss"] = "other" }, "iss"},
		{"iss missing", CodeJWSInvalidClaim, func(m map[string]any) { delete(m, "iss") }, "iss"},
		{"sub other", CodeJWSInvalidClaim, func(m map[string]any) { m["sub"] = "other" }, "sub"},
		{"exp missing", CodeJWSInvalidClaim, func(m map[string]any) { delete(m, "exp") }, "exp"},
		{"nbf missing", CodeJWSInvalidClaim, func(m map[string]any) { delete(m, "nbf") }, "nbf"},
		{"nbf future", CodeJWSInvalidClaim, func(m map[string]any) { m["nbf"] = unix(120e9); m["exp"] = unix(300e9) }, "nbf"},
		{"expired", CodeJWSInvalidClaim, func(m map[string]any) { m["nbf"] = unix(-400e9); m["exp"] = unix(-60e9); m["iat"] = unix(-400e9) }, "exp"},
		{"exp minus nbf over 600", CodeJWSInvalidClaim, func(m map[string]any) { m["exp"] = unix(600e9) }, "exp"},
		{"exp minus iat over 600", CodeJWSInvalidClaim, func(m map[string]any) { m["iat"] = unix(-400e9); m["nbf"] = unix(0); m["exp"] = unix(300e9) }, "exp"},
		{"exp before nbf", CodeJWSInvalidClaim, func(m map[string]any) { m["nbf"] = unix(0); m["exp"] = unix(0) }, "exp"},
		{"iat future", CodeJWSInvalidClaim, func(m map[string]any) { m["iat"] = unix(120e9) }, "iat"},
		{"aud other", CodeJWSInvalidClaim, func(m map[string]any) { m["aud"] = []any{"https://rs.example"} }, "aud"},
		{"aud string", CodeJWSInvalidClaim, func(m map[string]any) { m["aud"] = testIssuer }, "aud"},
		{"unknown claim", CodeJWSInvalidClaim, func(m map[string]any) { m["scope"] = "payments" }, "scope"},
		{"exp string", CodeJWSInvalidClaim, func(m map[string]any) { m["exp"] = "later" }, "exp"},
		{"message missing (Data at top)", CodeBodyInvalidFormat, func(m map[string]any) { delete(m, "message") }, "message"},
		{"message null", CodeBodyInvalidFormat, func(m map[string]any) { m["message"] = nil }, "message"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := paymentClaimsFixture(t)
			c.mut(m)
			_, err := VerifyPaymentBody(sign(t, mustJSON(t, m)), clientKeyFor, testClientID, testIssuer, testNow, Options{})
			wantViolation(t, err, 27, c.code, c.path)
		})
	}
	t.Run("payload not an object", func(t *testing.T) {
		_, err := PaymentJWTClaims([]byte(`"x"`), testClientID, testIssuer, testNow, Options{})
		wantViolation(t, err, 27, CodeJWSMalformed, "")
	})
}

func paymentMessage(t *testing.T, mut func(m map[string]any)) (*PaymentInstruction, error) {
	t.Helper()
	m := obj(t, paymentMessageJSON)
	if mut != nil {
		mut(m)
	}
	return PaymentRequest(mustJSON(t, m), Options{})
}

func TestPaymentRequestRules27To31(t *testing.T) {
	p, err := paymentMessage(t, nil)
	if err != nil || p.Amount != "149.99" || p.Currency != "AED" || p.ConsentID != testConsentID || p.BillingType != "PushP2P" || p.PIIJWE == "" {
		t.Fatalf("valid message: %v %+v", err, p)
	}
	cases := []struct {
		name string
		rule int
		mut  func(m map[string]any)
		path string
	}{
		{"unknown Data member", 27, func(m map[string]any) { set(t, m, "Data.Creditor", map[string]any{}) }, "Data.Creditor"},
		{"unknown Amount member", 27, func(m map[string]any) { set(t, m, "Data.Instruction.Amount.Precision", 2) }, "Data.Instruction.Amount.Precision"},
		{"amount as number", 27, func(m map[string]any) { set(t, m, "Data.Instruction.Amount.Amount", 149.99) }, "Data.Instruction.Amount.Amount"},
		{"Data missing", 27, func(m map[string]any) { delete(m, "Data") }, "Data"},
		{"billing missing", 27, func(m map[string]any) { del(t, m, "Data.OpenFinanceBilling") }, "Data.OpenFinanceBilling"},
		{"ConsentId missing", 27, func(m map[string]any) { del(t, m, "Data.ConsentId") }, "Data.ConsentId"},
		{"ConsentId too long", 27, func(m map[string]any) { set(t, m, "Data.ConsentId", strings.Repeat("a", 129)) }, "Data.ConsentId"},
		{"amount without decimals", 30, func(m map[string]any) { set(t, m, "Data.Instruction.Amount.Amount", "150") }, "Data.Instruction.Amount.Amount"},
		{"amount three decimals", 30, func(m map[string]any) { set(t, m, "Data.Instruction.Amount.Amount", "1.005") }, "Data.Instruction.Amount.Amount"},
		{"amount zero", 30, func(m map[string]any) { set(t, m, "Data.Instruction.Amount.Amount", "0.00") }, "Data.Instruction.Amount.Amount"},
		{"amount negative", 30, func(m map[string]any) { set(t, m, "Data.Instruction.Amount.Amount", "-1.00") }, "Data.Instruction.Amount.Amount"},
		{"currency USD", 30, func(m map[string]any) { set(t, m, "Data.Instruction.Amount.Currency", "USD") }, "Data.Instruction.Amount.Currency"},
		{"currency lowercase", 30, func(m map[string]any) { set(t, m, "Data.Instruction.Amount.Currency", "aed") }, "Data.Instruction.Amount.Currency"},
		{"CurrencyRequest", 30, func(m map[string]any) {
			set(t, m, "Data.CurrencyRequest", map[string]any{"ExtendedPurpose": "x", "CurrencyOfTransfer": "USD"})
		}, "Data.CurrencyRequest"},
		{"billing type", 30, func(m map[string]any) { set(t, m, "Data.OpenFinanceBilling.Type", "P2P") }, "Data.OpenFinanceBilling.Type"},
		{"merchant id short", 30, func(m map[string]any) { set(t, m, "Data.OpenFinanceBilling.MerchantId", "M1") }, "Data.OpenFinanceBilling.MerchantId"},
		{"purpose not AANI", 15, func(m map[string]any) { set(t, m, "Data.PaymentPurposeCode", "XYZ") }, "Data.PaymentPurposeCode"},
		{"PII missing", 31, func(m map[string]any) { del(t, m, "Data.PersonalIdentifiableInformation") }, "Data.PersonalIdentifiableInformation"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("rule %d %s", c.rule, c.name), func(t *testing.T) {
			_, err := paymentMessage(t, c.mut)
			wantViolation(t, err, c.rule, CodeBodyInvalidFormat, c.path)
		})
	}
}

func goodHeaders() http.Header {
	h := http.Header{}
	h.Set(HeaderIdempotencyKey, "pay-2026-11-22-0001")
	h.Set(HeaderInteractionID, "93bac548-d2de-4546-b106-880a5018460d")
	h.Set(HeaderAuthDate, testNow.Add(-2*time.Minute).Format(http.TimeFormat))
	h.Set(HeaderCustomerIP, "203.0.113.7")
	h.Set(HeaderCustomerUserAgent, "payterm/0.1")
	return h
}

func TestPaymentHeadersRule28(t *testing.T) {
	if w, err := PaymentHeaders(goodHeaders(), testNow, Options{}); err != nil || len(w) != 0 {
		t.Fatalf("valid headers: %v %v", w, err)
	}
	h := goodHeaders()
	h.Set(HeaderAuthDate, "Sun, 22 Nov 2026 09:58:00 UTC")
	h.Set(HeaderCustomerIP, "2001:db8::1")
	h.Del(HeaderCustomerUserAgent)
	if w, err := PaymentHeaders(h, testNow, Options{}); err != nil || len(w) != 1 {
		t.Fatalf("UTC date, IPv6, missing UA should pass with one warning: %v %v", w, err)
	}
	cases := []struct {
		name, header, value string
		remove, dup         bool
	}{
		{"key missing", HeaderIdempotencyKey, "", true, false},
		{"key empty", HeaderIdempotencyKey, "", false, false},
		{"key 41 chars", HeaderIdempotencyKey, strings.Repeat("k", 41), false, false},
		{"key with space", HeaderIdempotencyKey, "pay 1", false, false},
		{"key with tab", HeaderIdempotencyKey, "pay\t1", false, false},
		{"key twice", HeaderIdempotencyKey, "other", false, true},
		{"interaction id missing", HeaderInteractionID, "", true, false},
		{"interaction id not uuid", HeaderInteractionID, "req-1", false, false},
		{"interaction id urn form", HeaderInteractionID, "urn:uuid:93bac548-d2de-4546-b106-880a5018460d", false, false},
		{"auth date missing", HeaderAuthDate, "", true, false},
		{"auth date RFC 3339", HeaderAuthDate, "2026-11-22T09:58:00Z", false, false},
		{"auth date numeric zone", HeaderAuthDate, "Sun, 22 Nov 2026 09:58:00 +0000", false, false},
		{"auth date future", HeaderAuthDate, testNow.Add(time.Hour).Format(http.TimeFormat), false, false},
		{"auth date wrong weekday", HeaderAuthDate, "Mon, 22 Nov 2026 09:58:00 GMT", false, false},
		{"ip missing", HeaderCustomerIP, "", true, false},
		{"ip hostname", HeaderCustomerIP, "localhost", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := goodHeaders()
			switch {
			case c.remove:
				h.Del(c.header)
			case c.dup:
				h.Add(c.header, c.value)
			default:
				h.Set(c.header, c.value)
			}
			_, err := PaymentHeaders(h, testNow, Options{})
			wantViolation(t, err, 28, CodeBodyInvalidFormat, c.header)
		})
	}
	if k, err := IdempotencyKey(goodHeaders()); err != nil || k != "pay-2026-11-22-0001" {
		t.Fatalf("IdempotencyKey: %q %v", k, err)
	}
	h = goodHeaders()
	h.Set(HeaderIdempotencyKey, "a b")
	_, err := IdempotencyKey(h)
	wantViolation(t, err, 28, CodeBodyInvalidFormat, HeaderIdempotencyKey)
}
