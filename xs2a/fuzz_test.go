package xs2a

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/payterm/payterm/internal/safetext"
)

var fuzzBase, _ = url.Parse("https://api.bank.example/psd2")

// displayable collects every string a decoder hands on that a screen could show.
func checkClean(t *testing.T, what string, ss ...string) {
	t.Helper()
	for _, s := range ss {
		if !safetext.Clean(s) {
			t.Fatalf("%s: unsafe text %q", what, s)
		}
	}
}

func checkMessages(t *testing.T, ms []Message) {
	t.Helper()
	for _, m := range ms {
		checkClean(t, "message", m.Category, m.Code, m.Path, m.Text)
		if m.Code != "" && !codeRE.MatchString(m.Code) {
			t.Fatalf("code %q", m.Code)
		}
	}
}

func checkLinks(t *testing.T, l Links) {
	t.Helper()
	for n, v := range l {
		checkClean(t, "link", n, v.Href)
		u, err := url.Parse(v.Href)
		if err != nil || u.Scheme != "https" && !(browserLinks[n] && u.Scheme == "http" && isLoopback(u.Hostname())) {
			t.Fatalf("link %s = %q", n, v.Href)
		}
		if !browserLinks[n] && u.Host != fuzzBase.Host {
			t.Fatalf("API link %s leaves the bank's host: %q", n, v.Href)
		}
	}
}

func checkMethods(t *testing.T, ms []SCAMethod, chosen *SCAMethod, c *Challenge) {
	t.Helper()
	if chosen != nil {
		ms = append(ms, *chosen)
	}
	for _, m := range ms {
		checkClean(t, "method", m.ID, m.Type, m.Name, m.Explanation, m.Version)
	}
	if c != nil {
		checkClean(t, "challenge", c.OTPFormat, c.AdditionalInformation, c.ImageLink.Href)
	}
}

func seeds(f *testing.F) {
	f.Add([]byte(initiated))
	f.Add([]byte(`{"scaStatus":"PSU_IDENTIFIED","authorisationId":"a\u202e1","psuMessage":"x\u0000y","scaMethods":[{"authenticationMethodId":"m1","name":"\u009b31m"}],"challengeData":{"otpMaxLength":6,"imageLink":"/img"},"tppMessages":[{"category":"WARNING","code":"bad code","path":"a\nb","text":"\u001b]8;;"}],"_links":{"self":{"href":"https://api.bank.example/psd2/v1/x"}}}`))
	f.Add([]byte(`{"transactionStatus":"ACSC","fundsAvailable":false,"tppMessage":[{"code":"FUNDS_NOT_AVAILABLE","text":"no"}]}`))
	f.Add([]byte(`{"id":"5884127160","system":"ERA\u001b","status":400,"code":"FORMAT_ERROR","message":"m\u202e"}`))
	f.Add([]byte(`{"type":"t","title":"T","detail":"D\u0085","code":"C","additionalErrors":[{"title":"a","code":"b"}]}`))
	f.Add([]byte(`{"authorisationIds":["a","b"]}`))
}

func FuzzDecodeInitiation(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := decodeInitiation(b, fuzzBase, "REDIRECT", "")
		if err != nil {
			return
		}
		checkClean(t, "initiation", in.PaymentID, string(in.Status), string(in.SCAStatus), in.PSUMessage, in.Location)
		if _, err := ParseTransactionStatus(string(in.Status)); err != nil {
			t.Fatalf("status %q", in.Status)
		}
		checkMessages(t, in.Messages)
		checkLinks(t, in.Links)
		checkMethods(t, in.Methods, in.ChosenMethod, in.Challenge)
	})
}

func FuzzDecodeAuthorisation(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := decodeAuthorisation(b, fuzzBase, "", true)
		if err != nil {
			return
		}
		checkClean(t, "authorisation", a.AuthorisationID, string(a.SCAStatus), a.PSUMessage)
		if _, err := ParseSCAStatus(string(a.SCAStatus)); err != nil {
			t.Fatalf("scaStatus %q", a.SCAStatus)
		}
		checkMessages(t, a.Messages)
		checkLinks(t, a.Links)
		checkMethods(t, a.Methods, a.ChosenMethod, a.Challenge)
	})
}

func FuzzDecodeStatusPaymentCancelList(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, err := decodeStatus(b, fuzzBase); err == nil {
			checkClean(t, "status", string(s.Status), s.PSUMessage)
			checkMessages(t, s.Messages)
			checkLinks(t, s.Links)
		}
		if p, err := decodePayment(b); err == nil {
			checkClean(t, "payment", p.Currency, p.Amount, string(p.Status))
			if !AmountOK(p.Amount) {
				t.Fatalf("amount %q", p.Amount)
			}
		}
		if c, err := decodeCancellation(b, fuzzBase); err == nil {
			checkMessages(t, c.Messages)
			checkLinks(t, c.Links)
		}
		if ids, err := decodeAuthorisationList(b); err == nil {
			checkClean(t, "ids", ids...)
		}
	})
}

func FuzzDecodeError(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, shape := range []ErrorShape{ShapeNextGen, ShapeSB1} {
			for _, ct := range []string{"application/json", "application/problem+json"} {
				e := &BankError{Op: OpInitiate, HTTPStatus: 400, Shape: shape}
				decodeError(e, ct, b, fuzzBase)
				checkMessages(t, e.Messages)
				checkLinks(t, e.Links)
				checkClean(t, "error", e.BankID, e.System, e.Error())
			}
		}
	})
}

func FuzzParseSessionCallback(f *testing.F) {
	f.Add("psu-id=p1&tpp-session-id=s1")
	f.Add("message=%1b%5b31m")
	f.Fuzz(func(t *testing.T, q string) {
		v, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		s, err := ParseSessionCallback(v)
		if err != nil {
			checkClean(t, "callback error", err.Error())
			if d, ok := err.(*SessionDeniedError); ok {
				checkClean(t, "denied", d.Message)
			}
			return
		}
		checkClean(t, "session", s.PSUID, s.TPPSessionID.Reveal())
		if strings.ContainsAny(s.PSUID+s.TPPSessionID.Reveal(), " \r\n") {
			t.Fatal("space in a session value")
		}
	})
}

func TestMTLSClientPresentsTheCertificate(t *testing.T) {
	k, c := qsealc(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 || !r.TLS.PeerCertificates[0].Equal(c) {
			w.WriteHeader(403)
			return
		}
		w.WriteHeader(204)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	cl, err := NewMTLSClient(pemBytes, k, roots)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := cl.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Errorf("the bank did not see our certificate: %d", resp.StatusCode)
	}
	other, _ := qsealcOther(t)
	if _, err := NewMTLSClient(pemBytes, other, roots); err == nil {
		t.Error("a key that does not match the certificate was accepted")
	}
	if _, err := NewMTLSClient([]byte("no pem"), k, roots); err == nil {
		t.Error("no certificate accepted")
	}
}

func TestExchangeWithoutPII(t *testing.T) {
	cl, f, exs := newTestClient(t, Generic(), nil)
	call := Call{PSU: psu}
	call.PSU.ID = "PSU-1234"
	call.PSU.Token = "bearer-token-xyz"
	f.on("POST", prefix+"/v1/payments/sepa-credit-transfers", answer{status: 201, body: initiated})
	if _, err := cl.Send(ctx, mustBuild(t)(cl.BuildInitiate(sepaPayment(), call))); err != nil {
		t.Fatal(err)
	}
	ex := (*exs)[0]
	if s := fmtAny(ex); strings.Contains(s, "bearer-token-xyz") {
		t.Error("the bearer token reached the inspector")
	}
	if ex.RequestHeaders.Get("Authorization") != "Bearer "+redacted {
		t.Errorf("Authorization %q", ex.RequestHeaders.Get("Authorization"))
	}
	clean := ex.WithoutPII()
	s := fmtAny(clean)
	for _, pii := range []string{"DE40100100103307118608", "Merchant123", "PSU-1234", "192.168.8.78", "Ref 42"} {
		if strings.Contains(s, pii) {
			t.Errorf("WithoutPII keeps %q", pii)
		}
	}
	// The original still shows it (on the sandbox the inspector shows everything).
	if !strings.Contains(fmtAny(ex), "Merchant123") || !strings.Contains(ex.Protection.SigningString, "psu-id: PSU-1234") {
		t.Error("the unmasked exchange lost data")
	}
}

func FuzzDecodeOAuth(f *testing.F) {
	f.Add([]byte(`{"issuer":"https://api.bank.example","authorization_endpoint":"http://127.0.0.1:1/oauth/authorize","token_endpoint":"https://api.bank.example/oauth/token","response_types_supported":["code"]}`))
	f.Add([]byte(`{"access_token":"at","token_type":"Bearer","expires_in":300,"scope":"PIS:p1 \u001b[31m","refresh_token":"r\u202e"}`))
	f.Add([]byte(`{"error":"invalid_grant","error_description":"x\u0085y"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := decodeOAuthMetadata(b, "https://api.bank.example"+wellKnownOAuth); err == nil {
			checkClean(t, "metadata", m.Issuer, m.AuthorizationEndpoint, m.TokenEndpoint)
			if _, err := browserURL(m.AuthorizationEndpoint); err != nil || !strings.HasPrefix(m.TokenEndpoint, "https://") || m.Issuer != "https://api.bank.example" {
				t.Fatalf("metadata %+v", m)
			}
		}
		if tok, err := decodeToken(b, "PIS:p1"); err == nil {
			checkClean(t, "token", tok.AccessToken.Reveal(), tok.Scope, tok.RefreshToken.Reveal(), tok.TokenType)
			if !bearerOK(tok.AccessToken.Reveal()) {
				t.Fatalf("access token %q", tok.AccessToken.Reveal())
			}
		}
		e := &OAuthError{Op: OpOAuthToken, HTTPStatus: 400}
		decodeOAuthError(e, b)
		checkClean(t, "oauth error", e.Code, e.Description, e.Error())
	})
}

func FuzzParseOAuthCallback(f *testing.F) {
	f.Add("code=c1&state=s1")
	f.Add("error=access_denied&error_description=%1b%5b31m&state=s1")
	f.Add("code=c%0a1&state=s1&iss=https%3A%2F%2Fa")
	f.Fuzz(func(t *testing.T, q string) {
		v, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		code, err := ParseOAuthCallback(v, &OAuthAuthorization{State: "s1", Issuer: "https://a", Verifier: "v"})
		if err != nil {
			checkClean(t, "callback error", err.Error())
			var d *OAuthDeniedError
			if errors.As(err, &d) {
				checkClean(t, "denied", d.Code, d.Description)
			}
			return
		}
		if v.Get("state") != "s1" || !bearerOK(code.Reveal()) {
			t.Fatalf("accepted %q with state %q", code.Reveal(), v.Get("state"))
		}
	})
}
