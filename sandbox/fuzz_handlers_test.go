package sandbox

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// inProcess calls a host's handler directly with the client's certificate in the TLS state, so
// fuzzing reaches the handlers without a network round trip per input.
func inProcess(t testing.TB, c *tpp, h http.Handler, method, target, contentType, body string, hdr http.Header) int {
	blk, _ := pem.Decode(c.certPEM)
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", contentType)
	if req.Header.Get("x-fapi-interaction-id") == "" {
		req.Header.Set("x-fapi-interaction-id", uuid.NewString())
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// FuzzPARBody: arbitrary PAR bodies never panic the AS and never yield a request_uri unless
// they are a valid pushed request.
func FuzzPARBody(f *testing.F) {
	b := newBank(f, nil)
	c := newTPP(f, b)
	valid := c.parForm(c.requestObject(uuid.NewString(), consentPII(), testVerifier)).Encode()
	f.Add(valid)
	f.Add("request=a.b.c&client_assertion_type=x&client_assertion=y")
	f.Add("request=%ZZ")
	f.Add(strings.Repeat("a=b&", 100))
	as := b.asMux()
	f.Fuzz(func(t *testing.T, body string) {
		code := inProcess(t, c, as, http.MethodPost, "/par", "application/x-www-form-urlencoded", body, nil)
		if code != http.StatusOK && code != http.StatusBadRequest && code != http.StatusUnauthorized && code != http.StatusTooManyRequests {
			t.Fatalf("PAR answered %d", code)
		}
	})
}

// FuzzPaymentBody: arbitrary POST /payments bodies never panic the resource server and never
// create a payment unless valid.
func FuzzPaymentBody(f *testing.F) {
	b := newBank(f, nil)
	c := newTPP(f, b)
	cons := c.authorizedConsent(consentPII())
	f.Add(c.sign(c.paymentClaims(cons.id, "1.00", paymentPII(c, creditor(testIBAN, "A")))))
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJQUzI1NiIsImtpZCI6IngifQ.e30.")
	f.Add("....")
	rs := b.resourceMux()
	f.Fuzz(func(t *testing.T, body string) {
		h := paymentHeaders(uuid.NewString())
		h.Set("Authorization", "Bearer "+cons.access)
		code := inProcess(t, c, rs, http.MethodPost, resourcePath("payments"), "application/jwt", body, h)
		if code != http.StatusCreated && code != http.StatusBadRequest && code != http.StatusConflict {
			t.Fatalf("POST /payments answered %d", code)
		}
	})
}
