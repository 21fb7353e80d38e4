package lfi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/internal/safetext"
)

// Every decoder of bank input is fuzzed: none may panic, and what they accept must satisfy
// the invariants callers rely on. One of them (issue 11): nothing displayable that a decoder
// keeps — ids, codes, statuses, kids, links — holds a control character, a bidi control or
// invalid UTF-8 (safetext.Clean), and the error strings of a refused or failed answer are clean
// too. Free text (Errors[].Message, RejectReasonCode[].Message) is kept as the bank sent it and
// cleaned where it is shown; BankError.Error leaves it out.

// requireDisplayable fails when any of vals is not clean text.
func requireDisplayable(t *testing.T, what string, vals ...string) {
	t.Helper()
	for _, v := range vals {
		if !safetext.Clean(v) {
			t.Fatalf("%s: %q is not displayable", what, v)
		}
	}
}

func mustMarshal(f *testing.F, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func FuzzDecodePayment(f *testing.F) {
	f.Add(mustMarshal(f, paymentMessage("p-1")))
	rej := paymentMessage("p-2")
	rej["Data"].(map[string]any)["Status"] = "Rejected"
	rej["Data"].(map[string]any)["RejectReasonCode"] = []any{map[string]any{"Code": "AANI.AM04", "Message": "Insufficient funds"}}
	f.Add(mustMarshal(f, rej))
	f.Add([]byte(`{"Data":{"PaymentId":"x"}}`))
	f.Add([]byte(`{}{}`))
	f.Add(mustMarshal(f, paymentMessage("p-1\u009b2J\u202e")))
	f.Fuzz(func(t *testing.T, msg []byte) {
		p, err := decodePayment(msg)
		if err != nil {
			requireDisplayable(t, "error", err.Error())
			return
		}
		requireDisplayable(t, "payment", p.PaymentID, p.ConsentID, string(p.Status), p.PaymentTransactionID, p.DebtorReference,
			p.BillingType, p.Self, p.ConsentURL, p.PaymentPurposeCode, p.Amount.Amount, p.Amount.Currency)
		for _, r := range p.RejectReasons {
			requireDisplayable(t, "reject code", r.Code)
			if len(r.Message) > maxBankText+len("…") {
				t.Fatalf("reject message kept unbounded (%d bytes)", len(r.Message))
			}
		}
		if checkID("id", p.PaymentID, 40) != nil {
			t.Fatalf("accepted PaymentId %q", p.PaymentID)
		}
		if p.PaymentID == "" || len(p.PaymentID) > 40 || p.Status == "" || !amountRe.MatchString(p.Amount.Amount) || p.Self == "" {
			t.Fatalf("accepted an invalid payment: %+v", p)
		}
		if p.Status == PaymentRejected && len(p.RejectReasons) == 0 {
			t.Fatal("Rejected without a reason accepted")
		}
	})
}

func FuzzDecodeConsent(f *testing.F) {
	f.Add(mustMarshal(f, consentMessage("c-1")))
	f.Add([]byte(`{"Data":{"ConsentId":"c","Status":"Authorized"},"Links":{"Self":"x"}}`))
	f.Add([]byte(`{"Data":{"ControlParameters":{"ConsentSchedule":null}}}`))
	f.Add(mustMarshal(f, consentMessage("c-1\u009d0;T\u009c")))
	f.Fuzz(func(t *testing.T, msg []byte) {
		c, err := decodeConsent(msg)
		if err != nil {
			requireDisplayable(t, "error", err.Error())
			return
		}
		requireDisplayable(t, "consent", c.ConsentID, c.BaseConsentID, string(c.Status), c.RevokedBy, c.Self, c.PaymentPurposeCode)
		requireDisplayable(t, "consent lists", append(append([]string(nil), c.Permissions...), c.PaymentURLs...)...)
		if c.ConsentID == "" || c.Status == "" || c.ExpirationDateTime.IsZero() || c.Self == "" {
			t.Fatalf("accepted an invalid consent: %+v", c)
		}
	})
}

func FuzzDecodeToken(f *testing.F) {
	f.Add([]byte(`{"access_token":"a","token_type":"Bearer","expires_in":600,"refresh_token":"r"}`))
	f.Add([]byte(`{"access_token":"a","token_type":"bearer"}`))
	f.Add(append([]byte(`{"access_token":"a","token_type":"Bearer","authorization_details":[{"type":"t","consent":`), append(mustMarshal(f, consentMessage("c")), []byte(`}]}`)...)...))
	f.Add([]byte(`{"access_token":"a","token_type":"Bearer","expires_in":-1}`))
	f.Add(append([]byte(`{"access_token":"a","token_type":"Bearer","authorization_details":[{"type":"t","consent":`), append(mustMarshal(f, consentMessage("c\u009b1")), []byte(`}]}`)...)...))
	f.Add([]byte(`{"access_token":"a\u001b]52;c;QUUw\u0007","token_type":"Bear\u202eer"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		tr, err := decodeToken(body)
		if err != nil {
			requireDisplayable(t, "error", err.Error())
			return
		}
		for _, ad := range tr.AuthorizationDetails {
			if c := ad.Consent; c != nil {
				requireDisplayable(t, "token's consent", c.ConsentID, c.BaseConsentID, string(c.Status), c.RevokedBy, c.Self, c.PaymentPurposeCode)
			}
		}
		if !validToken(tr.AccessToken.Reveal()) || tr.ExpiresIn <= 0 || tr.TokenType != "Bearer" {
			t.Fatalf("accepted an invalid token response")
		}
	})
}

func FuzzDecodePAR(f *testing.F) {
	f.Add([]byte(`{"request_uri":"urn:ietf:params:oauth:request_uri:x","expires_in":90}`))
	f.Add([]byte(`{"request_uri":"","expires_in":90}`))
	f.Add([]byte(`{"request_uri":"u","expires_in":1e9}`))
	f.Add([]byte(`{"request_uri":"u\u009d0;T\u009c","expires_in":"\u001b[2J"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := decodePAR(body)
		if err != nil {
			requireDisplayable(t, "error", err.Error())
			return
		}
		if r.RequestURI == "" || r.ExpiresIn <= 0 || r.ExpiresIn > 3600 {
			t.Fatalf("accepted an invalid PAR response: %+v", r)
		}
	})
}

func FuzzDecodeDiscovery(f *testing.F) {
	f.Add([]byte(`{"issuer":"https://i","authorization_endpoint":"https://a/auth","pushed_authorization_request_endpoint":"https://as/par","token_endpoint":"https://as/token","jwks_uri":"https://k/jwks"}`))
	f.Add([]byte(`{"issuer":"https://i","token_endpoint":"javascript:alert(1)"}`))
	f.Add([]byte(`{"issuer":"https://i\u001b]2;T\u0007","token_endpoint":"https://as/\u202etoken"}`))
	f.Add([]byte(`{"issuer":"https://i","authorization_endpoint":"https://a/auth","pushed_authorization_request_endpoint":"https://as/par","token_endpoint":"https://as/\u009b2Jtoken","jwks_uri":"https://k/jwks"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := decodeDiscovery(body, "https://i")
		if err != nil {
			requireDisplayable(t, "error", err.Error())
			return
		}
		// The inspector shows the address of every call, and the endpoints are those addresses.
		requireDisplayable(t, "discovery", d.Issuer, d.AuthorizationEndpoint, d.PushedAuthorizationRequestEndpoint, d.TokenEndpoint, d.JWKSURI)
		if d.Issuer != "https://i" || !strings.HasPrefix(d.TokenEndpoint, "https://") || !strings.HasPrefix(d.JWKSURI, "https://") ||
			!strings.HasPrefix(d.PushedAuthorizationRequestEndpoint, "https://") {
			t.Fatalf("accepted an invalid discovery document: %+v", d)
		}
	})
}

func FuzzParseJWKS(f *testing.F) {
	testKeys(f)
	f.Add(mustMarshal(f, map[string]any{"keys": []any{
		map[string]any{"kty": "RSA", "kid": "s", "use": "sig", "alg": "PS256", "n": "AQAB", "e": "AQAB"},
	}}))
	set, _ := json.Marshal(map[string]any{"keys": []any{}})
	f.Add(set)
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"","y":""}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ks, err := parseJWKS(body)
		if err != nil {
			return
		}
		for kid, k := range ks.sig {
			if kid == "" || k.N.BitLen() < minRSABits {
				t.Fatal("accepted a weak or kid-less signing key")
			}
			requireDisplayable(t, "signing kid", kid)
		}
		for _, k := range ks.enc {
			if k.KeyID == "" || k.Key.N.BitLen() < minRSABits {
				t.Fatal("accepted a weak or kid-less encryption key")
			}
			requireDisplayable(t, "encryption kid", k.KeyID)
		}
	})
}

func FuzzDecodeErrors(f *testing.F) {
	f.Add([]byte(`{"Errors":[{"Code":"JWS.InvalidSignature","Message":"m","Path":"p"}]}`))
	f.Add([]byte(`{"Errors":[]}`))
	f.Add([]byte(`{"Errors":[{"Code":"bank.example\u001b]52;c;QUUw\u0007","Message":"m\u009b","Path":"\u202e"}]}`))
	f.Add([]byte(`{"Errors":[{"Code":"GenericError","Message":"\u001b[2J","Url":"https://x/\u009b"}]}`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		items, err := decodeErrors(msg)
		if err != nil {
			requireDisplayable(t, "error", err.Error())
			return
		}
		if len(items) == 0 || len(items) > 100 || items[0].Code == "" {
			t.Fatal("accepted an invalid error body")
		}
		for _, it := range items {
			requireDisplayable(t, "error item", it.Code, it.Path, it.URL)
			if !bankErrorCodeRe.MatchString(it.Code) {
				t.Fatalf("accepted code %q", it.Code)
			}
		}
		be := &BankError{Op: "x", HTTPStatus: 400, Errors: items, InteractionID: "iid"}
		if len(be.Error()) > 100*200 {
			t.Fatal("error string unbounded")
		}
		requireDisplayable(t, "BankError", be.Error(), be.Code())
	})
}

func FuzzVerifyCompact(f *testing.F) {
	testKeys(f)
	f.Add(signWith(f, bankSig, "k1", map[string]any{"exp": testNow.Add(time.Minute).Unix(), "message": map[string]any{}}))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Add("....")
	f.Fuzz(func(t *testing.T, jws string) {
		v, err := VerifyCompact([]byte(jws), &bankSig.PublicKey, VerifyOptions{Now: testNow})
		if err != nil {
			requireDisplayable(t, "error", err.Error())
			return
		}
		requireDisplayable(t, "kid", v.KeyID)
		if v.KeyID == "" || v.Expiry.IsZero() || !testNow.Before(v.Expiry.Add(clockLeeway)) {
			t.Fatalf("accepted without kid or a live exp: %+v", v)
		}
	})
}

func FuzzCheckClaims(f *testing.F) {
	f.Add([]byte(`{"exp":1795341700,"iss":"b","message":{"a":1}}`))
	f.Add([]byte(`{"exp":1e300}`))
	f.Add([]byte(`{"exp":1795341700.5,"nbf":"x"}`))
	f.Add([]byte(`{"exp":1795341700,"iss":"b\u001b]52;c;QUUw\u0007","aud":["\u202e"]}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		v, err := checkClaims(payload, VerifyOptions{Now: testNow, Issuer: "b", Audience: "client-1"})
		if err != nil {
			requireDisplayable(t, "error", err.Error())
			return
		}
		requireDisplayable(t, "verified iss", v.Issuer) // the inspector's verification line
		if v.Issuer != "b" || !testNow.Before(v.Expiry.Add(clockLeeway)) {
			t.Fatalf("accepted claims: %+v", v)
		}
	})
}

func FuzzIdempotencyLookup(f *testing.F) {
	f.Add([]byte(`{"Data":{},"Links":{"Self":"https://rs/open-finance/payment/v2.1/payments/p-1"}}`), true)
	f.Add([]byte(`{"Links":{"Self":"https://rs/payments/../../x"}}`), false)
	f.Fuzz(func(t *testing.T, body []byte, wrapped bool) {
		v := &Verified{Payload: body}
		if wrapped {
			v.Message = body
		}
		self, err := decodeIdempotencyLookup(v)
		if err != nil {
			return
		}
		id, err := paymentIDFromSelf(self)
		if err != nil {
			return
		}
		if checkID("id", id, 40) != nil || strings.ContainsAny(id, "/?#") {
			t.Fatalf("unsafe payment id %q from %q", id, self)
		}
	})
}

func FuzzHeaders(f *testing.F) {
	f.Add("max-age=900", "120")
	f.Add("no-store", "Sun, 22 Nov 2026 10:01:00 GMT")
	f.Fuzz(func(t *testing.T, cc, ra string) {
		h := http.Header{"Cache-Control": {cc}, "Retry-After": {ra}}
		if d := cacheTTL(h); d < 0 || d > maxCacheTTL {
			t.Fatalf("cacheTTL(%q) = %v", cc, d)
		}
		if d := retryAfter(h, testNow); d < 0 || d > 24*time.Hour {
			t.Fatalf("retryAfter(%q) = %v", ra, d)
		}
	})
}

func FuzzDecodeJOSEForDisplay(f *testing.F) {
	f.Add("eyJhbGciOiJQUzI1NiJ9.eyJQZXJzb25hbElkZW50aWZpYWJsZUluZm9ybWF0aW9uIjoiYS5iLmMuZC5lIn0.sig")
	f.Add("a.b.c.d.e")
	f.Fuzz(func(t *testing.T, s string) {
		parts := decodeJOSEWithNested("x", s)
		for _, p := range parts {
			_ = maskPaths(deepCopy(p.Claims).(map[string]any), p.PIIPaths)
		}
	})
}

func FuzzVerifyIDToken(f *testing.F) {
	testKeys(f)
	f.Add(goodIDToken(f, idtClaims()))
	f.Add(goodIDToken(f, with(func(c map[string]any) { c["aud"] = []string{idtClient, "x"}; c["azp"] = idtClient })))
	f.Add(unsignedIDToken(f, map[string]any{"alg": "none", "kid": idtGoodKid}, idtClaims()))
	f.Add("eyJhbGciOiJQUzI1NiIsImtpZCI6ImJhbmstc2lnLTEifQ.e30.")
	f.Add("a.b.c.d.e")
	keys := idtKeys(f)
	f.Fuzz(func(t *testing.T, compact string) {
		tok, err := VerifyIDToken(compact, keys, idtOptions())
		if err != nil {
			var ie *IDTokenError
			if errors.As(err, &ie) && (strings.Contains(err.Error(), idtNonce) || len(err.Error()) > 200) {
				t.Fatalf("error echoes the token or is unbounded: %q", err)
			}
			requireDisplayable(t, "error", err.Error())
			return
		}
		checkAcceptedIDToken(t, tok)
	})
}

// FuzzCheckIDTokenClaims fuzzes the claim checks behind the signature (a signed token cannot
// be mutated by the fuzzer and still verify).
func FuzzCheckIDTokenClaims(f *testing.F) {
	f.Add(mustMarshal(f, idtClaims()))
	f.Add(mustMarshal(f, with(func(c map[string]any) { c["aud"] = []any{idtClient, 1} })))
	f.Add(mustMarshal(f, with(func(c map[string]any) { c["s_hash"] = LeftHalfHash(idtState); c["exp"] = "1e3" })))
	f.Add([]byte(`{"iss":null,"nonce":{"a":1}}`))
	f.Add([]byte(`{}{}`))
	f.Add(mustMarshal(f, with(func(c map[string]any) { c["iss"] = "https://x\u001b]2;T\u0007"; c["sub"] = "\u202e" })))
	f.Fuzz(func(t *testing.T, payload []byte) {
		tok, err := checkIDTokenClaims(payload, idtOptions())
		if err != nil {
			if !errors.Is(err, ErrIDTokenInvalid) {
				t.Fatalf("claims error is not an IDTokenError: %v", err)
			}
			requireDisplayable(t, "error", err.Error())
			return
		}
		checkAcceptedIDToken(t, tok)
		var m map[string]any
		if json.Unmarshal(payload, &m) != nil || m["nonce"] != idtNonce {
			t.Fatalf("accepted claims without our nonce: %s", payload)
		}
	})
}

func checkAcceptedIDToken(t *testing.T, tok *IDToken) {
	t.Helper()
	if tok.Issuer != idtIssuer || tok.Subject == "" || len(tok.Subject) > maxSubLen || !contains(tok.Audience, idtClient) {
		t.Fatalf("accepted an id_token with a wrong iss, sub or aud: %+v", tok)
	}
	if distinct(tok.Audience) > 1 && tok.AuthorizedParty != idtClient {
		t.Fatalf("accepted several audiences without our azp: %+v", tok)
	}
	if !testNow.Before(tok.Expiry.Add(clockLeeway)) || tok.IssuedAt.After(testNow.Add(clockLeeway)) ||
		tok.IssuedAt.Before(testNow.Add(-maxIDTokenAge-clockLeeway)) {
		t.Fatalf("accepted an id_token outside its time window: %+v", tok)
	}
}

func FuzzDecodeCoPConfirmation(f *testing.F) {
	f.Add([]byte(`{"Data":{"NameMatchIndicator":"ConfirmationOfPayee.Partial","MaskedName":"Fat**a"},"Links":{"Self":"https://x"},"Meta":{}}`))
	f.Add([]byte(`{"Data":{"NameMatchIndicator":"ConfirmationOfPayee.Yes"},"Links":{"Self":"https://x"}}`))
	f.Add([]byte(`{"Data":{"NameMatchIndicator":"ConfirmationOfPayee.No","MaskedName":"\u202e\u001b[2J"},"Links":{"Self":"s"}}`))
	f.Add([]byte(`{"Data":{"NameMatchIndicator":"ConfirmationOfPayee.Partial","MaskedName":""},"Links":{"Self":"s"}}{}`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		m, masked, err := decodeCoPConfirmation(msg)
		if err != nil {
			requireDisplayable(t, "error", err.Error())
			return
		}
		requireDisplayable(t, "confirmation", string(m), masked)
		if m != CoPMatchYes && m != CoPMatchPartial && m != CoPMatchNo {
			t.Fatalf("accepted indicator %q", m)
		}
		if len([]rune(masked)) > 140 || (masked != "" && strings.TrimSpace(masked) == "") {
			t.Fatalf("accepted MaskedName %q", masked)
		}
	})
}

func FuzzDecodeCoPDiscovery(f *testing.F) {
	f.Add([]byte(`{"Data":{"DiscoveryEndpointUrl":"https://lfi/.well-known/openid-configuration","ResourceServerUrl":"https://rs/cop"},"Links":{"Self":"https://hub/d"},"Meta":{}}`))
	f.Add([]byte(`{"Data":{"DiscoveryEndpointUrl":"http://lfi","ResourceServerUrl":"https://rs/\u001b"},"Links":{"Self":"x"}}`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		src, err := decodeCoPDiscovery(msg)
		if err != nil {
			requireDisplayable(t, "error", err.Error())
			return
		}
		requireDisplayable(t, "discovery", src.DiscoveryEndpointURL, src.ResourceServerURL)
		for _, u := range []string{src.DiscoveryEndpointURL, src.ResourceServerURL} {
			if !strings.HasPrefix(u, "https://") || len(u) > 500 || checkLink("u", u) != nil {
				t.Fatalf("accepted URL %q", u)
			}
		}
	})
}
