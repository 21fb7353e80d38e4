package fintecture

import (
	"strings"
	"testing"
)

// The decoders and the callback parser read what a peer or a person chose: they must never
// panic, and what they accept must hold the checks the rest of the package relies on.

func FuzzDecodeSession(f *testing.F) {
	for _, s := range []string{`{"meta":{"session_id":"s1","url":"https://connect.fintecture.com/x"}}`,
		`{"meta":{"session_id":"s1","url":"http://127.0.0.1:8080/x"}}`, `{"meta":{"session_id":"a b","url":"https://x"}}`,
		`{"meta":{}}`, `null`, `{"meta":{"session_id":"s","url":"https://u@x"}} {}`, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSession(b)
		if err != nil {
			return
		}
		if !printableID(s.ID, maxIDLen) || checkPageURL(s.URL) != nil {
			t.Fatalf("accepted %+v", s)
		}
	})
}

func FuzzDecodePaymentStatus(f *testing.F) {
	for _, s := range []string{`{"meta":{"session_id":"s1","status":"payment_created"},"data":{"attributes":{"amount":"12.50","currency":"EUR"}}}`,
		`{"meta":{"session_id":"s1","status":"sca_required"}}`, `{"meta":{"session_id":"s1","status":"paid"}}`,
		`{"meta":{"session_id":"s1","status":"payment_created"},"data":{"attributes":{"amount":"1e3","currency":"EUR"}}}`,
		`{"meta":{"session_id":"s1","status":"payment_created"},"data":{"attributes":{"amount":12.5,"currency":"EUR"}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := DecodePaymentStatus(b)
		if err != nil {
			return
		}
		if _, ok := stateOf(ps.Status, ps.SessionID); !ok || !printableID(ps.SessionID, maxIDLen) {
			t.Fatalf("accepted %+v", ps)
		}
		if ps.Amount != nil && (!isCurrencyCode(ps.Currency) || ps.Amount.Minor() < 0) {
			t.Fatalf("accepted amount %+v", ps)
		}
	})
}

func FuzzDecodeToken(f *testing.F) {
	for _, s := range []string{`{"access_token":"t","token_type":"Bearer","expires_in":3600}`, `{"access_token":"t t","expires_in":3600}`,
		`{"access_token":"t","expires_in":0}`, `{"access_token":"t","expires_in":1e20}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := DecodeToken(b)
		if err != nil {
			return
		}
		if !printableToken(tok.AccessToken) || tok.ExpiresIn < 1 || tok.ExpiresIn > 86400 {
			t.Fatalf("accepted %+v", tok)
		}
	})
}

func FuzzDecodeAPIError(f *testing.F) {
	for _, s := range []string{`{"code":"invalid_request","log_id":"L1","errors":[{"message":"bad \u001b[2J"}]}`, `{"code":400}`, `[]`, ``} {
		f.Add(400, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, b []byte) {
		e := DecodeAPIError(status, b)
		if e.Code != "" && !printableID(e.Code, maxCodeLen) || e.LogID != "" && !printableID(e.LogID, maxIDLen) {
			t.Fatalf("accepted %+v", e)
		}
		if strings.ContainsAny(e.Detail, "\x1b\r\n\u202e") {
			t.Fatalf("detail not cleaned: %q", e.Detail)
		}
	})
}

func FuzzParseCallback(f *testing.F) {
	const redirect = "https://wallet.example/fintecture/back"
	for _, s := range []string{redirect + "?state=abc&session_id=s1&status=payment_created",
		redirect + "?state=abc&state=abc&session_id=s1&status=payment_created", "https://evil.example/fintecture/back?state=a&session_id=s&status=payment_created",
		redirect + "?state=%00&session_id=s1&status=payment_created", redirect + "?state=a&session_id=s%2F1&status=payment_created", "%zz", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		cb, err := ParseCallback(raw, redirect)
		if err != nil {
			if strings.Contains(err.Error(), raw) && len(raw) > 8 {
				t.Fatalf("error quotes the address: %v", err)
			}
			return
		}
		if !validState(cb.State) || !printableID(cb.SessionID, maxIDLen) {
			t.Fatalf("accepted %+v", cb)
		}
		if _, ok := statuses[cb.Status]; !ok {
			t.Fatalf("accepted status %q", cb.Status)
		}
	})
}
