package op

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The decoders and the callback parser read what a peer or a person chose: they must never
// panic, and what they accept must hold the checks the rest of the package relies on.

func FuzzDecodePayment(f *testing.F) {
	for _, s := range []string{
		`{"paymentId":"8efb669f","authorizationId":"934e82fc","status":"Unauthorized","amountEUR":"4.00","count":1,"paymentOrder":"SEPA","payee":{"iban":"FI4950009420028730"}}`,
		`{"paymentId":"p","authorizationId":"a","status":"Paid","amountEUR":"4.00"}`, `{"paymentId":"p","authorizationId":"a","status":"Authorized","amountEUR":"4.0"}`,
		`{"paymentId":"p/x","authorizationId":"a","status":"Authorized","amountEUR":"4"}`, `null`, "\xff", `{} {}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePayment(b)
		if err != nil {
			return
		}
		if _, ok := authStatuses[p.Status]; !ok || !printableID(p.PaymentID, maxIDLen) || !printableID(p.AuthorizationID, maxIDLen) || !p.AmountEUR.IsPositive() || p.Count < 1 {
			t.Fatalf("accepted %+v", p)
		}
	})
}

func FuzzDecodeSubmission(f *testing.F) {
	for _, s := range []string{`{"submissionId":"s-1","archiveId":"A1","status":"Accepted","created":"2026-12-07T10:00:00+02:00"}`,
		`{"submissionId":"s-1","status":"Done"}`, `{"submissionId":"s 1","status":"Pending"}`, `{"submissionId":"s","status":"Error","created":"yesterday"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSubmission(b)
		if err != nil {
			return
		}
		if _, ok := submissionStatuses[s.Status]; !ok || !printableID(s.SubmissionID, maxIDLen) {
			t.Fatalf("accepted %+v", s)
		}
	})
}

func FuzzDecodeToken(f *testing.F) {
	for _, s := range []string{`{"token_type":"bearer","access_token":"Axqx362","scope":"payments","status":"approved","expires_in":"86399"}`,
		`{"token_type":"bearer","access_token":"a","refresh_token":"r","id_token":"x.y.z","expires_in":3600}`,
		`{"token_type":"mac","access_token":"a","expires_in":1}`, `{"token_type":"bearer","access_token":"a b","expires_in":1}`,
		`{"token_type":"bearer","access_token":"a","expires_in":"1e3"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := DecodeToken(b)
		if err != nil {
			return
		}
		if !printableToken(tok.AccessToken, maxTokenLen) || tok.ExpiresIn < 1 || tok.ExpiresIn > 86400 ||
			(tok.RefreshToken != "" && !printableToken(tok.RefreshToken, maxTokenLen)) {
			t.Fatalf("accepted %+v", tok)
		}
	})
}

func FuzzDecodeAPIError(f *testing.F) {
	for _, s := range []string{`{"type":"BUSINESS","message":"Not enough \u001b[31m money","id":"sup-1"}`,
		`{"violations":[{"type":"EuroCents","path":"amountEUR","message":"bad"}],"id":"x"}`, `{"type":"Nope"}`, `[1]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e := DecodeAPIError(400, b)
		if e.Type != "" && e.Type.Words() == "" {
			t.Fatalf("undocumented type kept %q", e.Type)
		}
		if strings.ContainsAny(e.Message, "\x1b\r\n\u202e") || strings.ContainsAny(e.Error(), "\x1b\u202e") {
			t.Fatalf("uncleaned message %q", e.Message)
		}
	})
}

func FuzzParseCallback(f *testing.F) {
	const r = "https://wallet.example/op/back"
	for _, s := range []string{r + "?code=c1&state=s1", r + "?error=access_denied&state=s1", r + "#code=c&state=s", r + "?code=c&code=d&state=s",
		"https://evil.example/op/back?code=c&state=s", r + "?state=s", r + "?code=%00&state=s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cb, err := ParseCallback(s, r)
		if err != nil {
			if strings.Contains(err.Error(), "code=") {
				t.Fatalf("error quotes the address: %v", err)
			}
			return
		}
		if cb.State == "" || (cb.Error == "" && !printableToken(cb.Code, maxTokenLen)) {
			t.Fatalf("accepted %+v", cb)
		}
	})
}

func FuzzParseEuro(f *testing.F) {
	for _, s := range []string{"4.00", "4", "4.0", "04.00", "0.01", "0.00", "-1.00", "1e3", "12345678901.99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseEuro(s)
		if err != nil {
			return
		}
		if !a.IsPositive() || (a.Wire() != s && a.Wire() != s+".00") {
			t.Fatalf("%q read as %s", s, a.Wire())
		}
	})
}

func TestDecodeAPIErrorTypesInWords(t *testing.T) {
	e := DecodeAPIError(400, []byte(`{"violations":[{"type":"FinnishIban","path":"payer.iban","message":"Payer \u001b[2J IBAN must be Finnish"}],"id":"sup-9"}`))
	if e.Type != "FinnishIban" || e.Path != "payer.iban" || e.ID != "sup-9" || strings.Contains(e.Message, "\x1b") {
		t.Fatalf("%+v", e)
	}
	if !strings.Contains(e.Error(), "must be a Finnish IBAN") || strings.Contains(e.Error(), "Payer") {
		t.Fatalf("Error() %q", e.Error())
	}
	d := DecodeAPIError(409, []byte(`{"type":"DuplicatePayment","message":"dup"}`))
	if !errors.Is(d, ErrDuplicatePayment) || errors.Is(d, ErrInsufficientFunds) {
		t.Fatalf("%+v", d)
	}
	for _, ty := range []string{"EuroCents", "FinnishIban", "DuplicatePayment", "InsufficientFunds", "PaymentFail", "IllegalState", "MessageOrReference"} {
		if ErrorType(ty).Words() == "" {
			t.Fatalf("%s has no words", ty)
		}
	}
}

func TestPendingDeadlineIsHelsinkiMidnight(t *testing.T) {
	// 21:30 UTC on 7 Dec is 23:30 in Helsinki (UTC+2): the deadline is 22:00 UTC.
	at := time.Date(2026, 12, 7, 21, 30, 0, 0, time.UTC)
	if got := PendingDeadline(at).UTC(); !got.Equal(time.Date(2026, 12, 7, 22, 0, 0, 0, time.UTC)) {
		t.Fatalf("deadline %s", got)
	}
	// 22:30 UTC is already 8 Dec in Helsinki: the deadline is the next night.
	if got := PendingDeadline(at.Add(time.Hour)).UTC(); !got.Equal(time.Date(2026, 12, 8, 22, 0, 0, 0, time.UTC)) {
		t.Fatalf("deadline %s", got)
	}
	// Summer time (UTC+3).
	if got := PendingDeadline(time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)).UTC(); !got.Equal(time.Date(2026, 7, 1, 21, 0, 0, 0, time.UTC)) {
		t.Fatalf("summer deadline %s", got)
	}
}

func TestSubmissionIDIsStablePerPayment(t *testing.T) {
	a, b := SubmissionID("pay-1", 1), SubmissionID("pay-1", 1)
	if a != b || a == SubmissionID("pay-1", 2) || a == SubmissionID("pay-2", 1) || len(a) != 36 || !printableID(a, maxIDLen) {
		t.Fatalf("%s %s", a, b)
	}
}

func TestParseCallback(t *testing.T) {
	const r = "https://wallet.example/op/back"
	cb, err := ParseCallback(r+"?code=c-1&state=s-1", r)
	if err != nil || cb.Code != "c-1" || cb.State != "s-1" {
		t.Fatalf("%+v %v", cb, err)
	}
	cb, err = ParseCallback(r+"?error=access_denied&state=s-1", r)
	if err != nil || cb.Error != "access_denied" {
		t.Fatalf("%+v %v", cb, err)
	}
	for _, bad := range []string{"https://evil.example/op/back?code=c&state=s", r + "?code=c", r + "?state=s", r + "#code=c&state=s",
		r + "?code=c&state=s&state=t", "http://wallet.example/op/back?code=c&state=s", r + "/x?code=c&state=s"} {
		if _, err := ParseCallback(bad, r); err == nil {
			t.Fatalf("%s accepted", bad)
		}
	}
}

func FuzzDecodeAuthorization(f *testing.F) {
	for _, s := range []string{`{"authorizationId":"a-1","status":"Revoked","paymentIds":["p1","p2"]}`, `{"authorizationId":"a","status":"Gone"}`,
		`{"authorizationId":"a","status":"Authorized","paymentIds":["p 1"]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeAuthorization(b)
		if err != nil {
			return
		}
		if _, ok := authStatuses[a.Status]; !ok || !printableID(a.ID, maxIDLen) || len(a.PaymentIDs) > MaxBundle*10 {
			t.Fatalf("accepted %+v", a)
		}
	})
}

func FuzzDecodeForeignPayment(f *testing.F) {
	for _, s := range []string{
		`{"paymentId":"p1","authorizationId":"a1","status":"Authorized","amount":"125.50","currency":"USD","count":1,"paymentType":"ForeignPayment","paymentOrder":"HIGH","payee":{"bankAccount":{"id":"GB29NWBK60161331926819"}}}`,
		`{"paymentId":"p1","authorizationId":"a1","status":"Authorized","amount":"1","currency":"US","paymentType":"ForeignPayment"}`,
		`{"paymentId":"p1","authorizationId":"a1","status":"Authorized","amountEUR":"1.00","paymentType":"SepaPayment"}`, `[]`, "\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeForeignPayment(b)
		if err != nil {
			return
		}
		if _, ok := authStatuses[p.Status]; !ok || !printableID(p.PaymentID, maxIDLen) || !printableID(p.AuthorizationID, maxIDLen) ||
			!p.AmountEUR.IsPositive() || p.Count != 1 || len(p.Currency) != 3 || (p.PayeeIBAN != "" && !printableID(p.PayeeIBAN, 35)) {
			t.Fatalf("accepted %+v", p)
		}
	})
}

func FuzzDecodeForeignPayee(f *testing.F) {
	for _, s := range []string{
		`{"v":1,"bic":"CHASUS33","address":["1 Main Street","Springfield"],"country":"US"}`, `{"v":1,"bic":"CHASUS33XXX","country":"GB"}`,
		`{"v":2,"bic":"CHASUS33","country":"US"}`, `{"v":1,"bic":"CHASUS33","address":["a","b","c"],"country":"US"}`,
		`{"v":1,"bic":"CHASUS33","address":[" "],"country":"US"}`, `{"v":1,"bic":"chasus33","country":"US"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeForeignPayee(b)
		if err != nil {
			return
		}
		if !ValidBIC(p.BIC) || !countryCode(p.Country) || checkAddress(p.Address) != nil {
			t.Fatalf("accepted %+v", p)
		}
	})
}
