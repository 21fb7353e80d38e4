package httpsig

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	gofed "github.com/go-fed/httpsig"
)

func TestDigestVectors(t *testing.T) {
	for _, tc := range []struct {
		name string
		alg  DigestAlg
		body string
		want string
	}{
		// draft-cavage-10 Appendix C.
		{"cavage appendix C", SHA256, `{"hello": "world"}`, "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="},
		// RFC 9530 Appendix B (its values in the RFC 3230 spelling).
		{"rfc9530 full representation", SHA256, "{\"hello\": \"world\"}\n", "SHA-256=RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg="},
		{"rfc9530 empty content", SHA256, "", "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
		{"rfc9530 sha-512", SHA512, "{\"hello\": \"world\"}\n", "SHA-512=YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/WkppmM44T3qg=="},
		// psd2-providers.md §3.3 (start authorisation with body {}) and §2.6 (worked BG layout).
		{"sb1 empty object", SHA256, `{}`, "SHA-256=RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o="},
		{"bg worked layout", SHA256, `{"instructedAmount":{"currency":"EUR","amount":"12.50"},"debtorAccount":{"iban":"DE40100100103307118608"},"creditorName":"Merchant123","creditorAccount":{"iban":"DE02100100109307118603"},"remittanceInformationUnstructured":"Ref 42"}`, "SHA-256=XYlADToOb7FqB6Bdf0QmhAqyo0NEfthzsDVmSzZi/90="},
	} {
		got, err := Digest(tc.alg, []byte(tc.body))
		if err != nil || got != tc.want {
			t.Errorf("%s: Digest = %q, %v; want %q", tc.name, got, err, tc.want)
		}
		if err := CheckDigest(tc.want, []byte(tc.body)); err != nil {
			t.Errorf("%s: CheckDigest: %v", tc.name, err)
		}
		if err := CheckDigest(tc.want, []byte(tc.body+" ")); !errors.Is(err, ErrDigestMismatch) {
			t.Errorf("%s: CheckDigest of another body = %v, want ErrDigestMismatch", tc.name, err)
		}
	}
	if _, err := Digest("MD5", nil); err == nil {
		t.Error("MD5 accepted")
	}
	for _, bad := range []string{"", "SHA-256", "SHA-256=", "MD5=1B2M2Y8AsgTpgAmY7PhCfg==", "SHA-256=!!!", "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=,SHA-512=x"} {
		if err := CheckDigest(bad, nil); err == nil {
			t.Errorf("CheckDigest(%q) accepted", bad)
		}
	}
	// RFC 3230: the algorithm name is case-insensitive.
	if err := CheckDigest("sha-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", nil); err != nil {
		t.Errorf("lower-case algorithm refused: %v", err)
	}
}

// The §2.3 example of the draft, less its obs-fold line (Go cannot carry one).
func TestSigningStringRules(t *testing.T) {
	h := http.Header{}
	h.Set("Host", "example.org")
	h.Set("Date", "Tue, 07 Jun 2014 20:51:35 GMT")
	h["X-Example"] = []string{"  Example header with some whitespace.  "}
	h["X-Emptyheader"] = []string{""}
	h["Cache-Control"] = []string{"max-age=60", "must-revalidate"}
	got, err := SigningString([]string{"(request-target)", "host", "date", "cache-control", "x-emptyheader", "x-example"}, "GET", "/foo", h)
	if err != nil {
		t.Fatal(err)
	}
	want := "(request-target): get /foo\nhost: example.org\ndate: Tue, 07 Jun 2014 20:51:35 GMT\ncache-control: max-age=60, must-revalidate\nx-emptyheader: \nx-example: Example header with some whitespace."
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	// A non-canonical map key is found, but two spellings of one name are refused.
	h2 := http.Header{"PSU-ID": {"psu-1"}}
	if s, err := SigningString([]string{"psu-id"}, "", "", h2); err != nil || s != "psu-id: psu-1" {
		t.Errorf("non-canonical key: %q, %v", s, err)
	}
	h2["Psu-Id"] = []string{"psu-2"}
	if _, err := SigningString([]string{"psu-id"}, "", "", h2); err == nil {
		t.Error("two spellings of one header accepted")
	}
	for name, tc := range map[string]struct {
		names []string
		h     http.Header
	}{
		"missing":     {[]string{"date"}, http.Header{}},
		"upper":       {[]string{"Date"}, http.Header{"Date": {"x"}}},
		"line break":  {[]string{"x-a"}, http.Header{"X-A": {"a\r\nb"}}},
		"no names":    {nil, http.Header{}},
		"target bare": {[]string{"(request-target)"}, http.Header{}},
	} {
		method, uri := "", ""
		if name != "target bare" {
			method, uri = "GET", "/"
		}
		if _, err := SigningString(tc.names, method, uri, tc.h); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

var (
	keyOnce sync.Once
	key2048 *rsa.PrivateKey
)

func testKey(t testing.TB) *rsa.PrivateKey {
	keyOnce.Do(func() {
		var err error
		if key2048, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return key2048
}

func bgHeaders(withPSU bool) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Request-ID", "99391c7e-ad88-49ec-a2ad-99ddcb1f7721")
	h.Set("PSU-IP-Address", "192.168.8.78")
	h.Set("TPP-Redirect-URI", "https://tpp.example/cb?state=abc")
	h.Set("Date", "Sun, 22 Nov 2026 10:00:00 GMT")
	if withPSU {
		h.Set("PSU-ID", "PSU-1234")
	}
	return h
}

const bgBody = `{"instructedAmount":{"currency":"EUR","amount":"12.50"},"debtorAccount":{"iban":"DE40100100103307118608"},"creditorName":"Merchant123","creditorAccount":{"iban":"DE02100100109307118603"},"remittanceInformationUnstructured":"Ref 42"}`

func TestBerlinGroupProfile(t *testing.T) {
	k := testKey(t)
	s, err := NewSigner(BerlinGroup(), "SN=1a2b3c,CA=CN=Example%20QTSP%20CA,O=Example,C=DE", k)
	if err != nil {
		t.Fatal(err)
	}
	h := bgHeaders(false)
	res, err := s.Sign("POST", "/v1/payments/sepa-credit-transfers", h, []byte(bgBody))
	if err != nil {
		t.Fatal(err)
	}
	// psd2-providers.md §2.6's worked layout, line for line.
	want := "digest: SHA-256=XYlADToOb7FqB6Bdf0QmhAqyo0NEfthzsDVmSzZi/90=\nx-request-id: 99391c7e-ad88-49ec-a2ad-99ddcb1f7721\ntpp-redirect-uri: https://tpp.example/cb?state=abc\ndate: Sun, 22 Nov 2026 10:00:00 GMT"
	if res.SigningString != want {
		t.Errorf("signing string\n got %q\nwant %q", res.SigningString, want)
	}
	if h.Get("Digest") != "SHA-256=XYlADToOb7FqB6Bdf0QmhAqyo0NEfthzsDVmSzZi/90=" {
		t.Errorf("Digest header %q", h.Get("Digest"))
	}
	if !strings.HasPrefix(h.Get("Signature"), `keyId="SN=1a2b3c,CA=CN=Example%20QTSP%20CA,O=Example,C=DE",algorithm="rsa-sha256",headers="digest x-request-id tpp-redirect-uri date",signature="`) {
		t.Errorf("Signature header %q", h.Get("Signature"))
	}
	p, err := Verify("POST", "/v1/payments/sepa-credit-transfers", h, []byte(bgBody), &k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if p.KeyID != s.KeyID {
		t.Errorf("parsed keyId %q", p.KeyID)
	}
	// A changed body breaks the digest; a changed signed header breaks the signature.
	if _, err := Verify("POST", "/", h, []byte(bgBody+" "), &k.PublicKey); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("tampered body: %v", err)
	}
	h2 := h.Clone()
	h2.Set("X-Request-ID", "99391c7e-ad88-49ec-a2ad-99ddcb1f7722")
	if _, err := Verify("POST", "/", h2, []byte(bgBody), &k.PublicKey); err == nil {
		t.Error("tampered x-request-id verified")
	}
	// PSU-ID is signed when present, in the profile's place.
	h3 := bgHeaders(true)
	res, err = s.Sign("POST", "/v1/payments/sepa-credit-transfers", h3, []byte(bgBody))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Headers, " ") != "digest x-request-id psu-id tpp-redirect-uri date" {
		t.Errorf("headers %v", res.Headers)
	}
	// A GET has no body: BG still sends the digest of no bytes (Digest iff Signature).
	h4 := bgHeaders(false)
	if _, err := s.Sign("GET", "/v1/payments/x/status", h4, nil); err != nil || h4.Get("Digest") != "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" {
		t.Errorf("GET digest %q, %v", h4.Get("Digest"), err)
	}
	// A required header missing: nothing is set.
	h5 := bgHeaders(false)
	h5.Del("Date")
	if _, err := s.Sign("POST", "/", h5, nil); err == nil || h5.Get("Signature") != "" || h5.Get("Digest") != "" {
		t.Errorf("missing date: err %v, headers %v", err, h5)
	}
}

func TestSpareBank1Wrapping(t *testing.T) {
	k := testKey(t)
	s, err := NewSigner(SpareBank1(), "SN=1a2b3c,CA=CN=Example QTSP CA,O=Example,C=NO", k)
	if err != nil {
		t.Fatal(err)
	}
	h := bgHeaders(true)
	res, err := s.Sign("POST", "/v1/payments/sepa-credit-transfers/p1/authorisations", h, []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Header, "=?utf-8?B?") || !strings.HasSuffix(res.Header, "?=") {
		t.Fatalf("not wrapped: %q", res.Header)
	}
	if strings.Join(res.Headers, " ") != "date digest x-request-id psu-id tpp-redirect-uri" {
		t.Errorf("headers %v", res.Headers)
	}
	p, err := Verify("POST", "/", h, []byte(`{}`), &k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Wrapped || p.KeyID != "SN=1a2b3c,CA=CN=Example QTSP CA,O=Example,C=NO" {
		t.Errorf("parsed %+v", p)
	}
}

func TestFintectureProfile(t *testing.T) {
	k := testKey(t)
	s, err := NewSigner(Fintecture(), "app-id-123", k)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Date": {"Sun, 22 Nov 2026 10:00:00 GMT"}, "X-Request-Id": {"7a0e3c1e-4b1f-4c55-9b66-2f5d1d7c0a11"}}
	res, err := s.Sign("POST", "/pis/v2/connect?state=s1", h, []byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.SigningString, "(request-target): post /pis/v2/connect?state=s1\ndate: ") || strings.Join(res.Headers, " ") != "(request-target) date digest x-request-id" {
		t.Errorf("POST: %q %v", res.SigningString, res.Headers)
	}
	// A GET carries no body and so no digest.
	h2 := http.Header{"Date": {"Sun, 22 Nov 2026 10:00:00 GMT"}, "X-Request-Id": {"7a0e3c1e-4b1f-4c55-9b66-2f5d1d7c0a11"}, "Digest": {"stale"}}
	res, err = s.Sign("GET", "/pis/v2/payments/s1", h2, nil)
	if err != nil || h2.Get("Digest") != "" || strings.Join(res.Headers, " ") != "(request-target) date x-request-id" {
		t.Errorf("GET: %v %v %v", err, h2, res.Headers)
	}
	// The method and path are bound: another path does not verify.
	if _, err := Verify("GET", "/pis/v2/payments/s2", h2, nil, &k.PublicKey); err == nil {
		t.Error("signature verified for another path")
	}
}

func TestNewSignerRefuses(t *testing.T) {
	k := testKey(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for name, fn := range map[string]func() error{
		"small key":   func() error { _, err := NewSigner(BerlinGroup(), "id", small); return err },
		"nil key":     func() error { _, err := NewSigner(BerlinGroup(), "id", nil); return err },
		"quote keyId": func() error { _, err := NewSigner(BerlinGroup(), `SN=1,CA=CN=a\"b`, k); return err },
		"empty keyId": func() error { _, err := NewSigner(BerlinGroup(), "", k); return err },
		"no headers":  func() error { _, err := NewSigner(Profile{Name: "x"}, "id", k); return err },
		"upper name": func() error {
			_, err := NewSigner(Profile{Name: "x", Headers: []Rule{Required("Date")}}, "id", k)
			return err
		},
		"twice": func() error {
			_, err := NewSigner(Profile{Name: "x", Headers: []Rule{Required("date"), IfPresent("date")}}, "id", k)
			return err
		},
		"digest no alg": func() error {
			_, err := NewSigner(Profile{Name: "x", Headers: []Rule{Required("digest")}}, "id", k)
			return err
		},
	} {
		if fn() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseSignature(t *testing.T) {
	p, err := ParseSignature(`keyId="SN=9FA1,CA=CN=D-TRUST%20CA%202-1%202015,O=D-Trust%20GmbH,C=DE", algorithm="rsa-sha256",headers="digest x-request-id",signature="AQID",extra="x"`)
	if err != nil {
		t.Fatal(err)
	}
	if p.KeyID != "SN=9FA1,CA=CN=D-TRUST%20CA%202-1%202015,O=D-Trust%20GmbH,C=DE" || p.Algorithm != "rsa-sha256" || len(p.Headers) != 2 || !bytes.Equal(p.Signature, []byte{1, 2, 3}) {
		t.Errorf("parsed %+v", p)
	}
	if p, err := ParseSignature(`keyId="k",signature="AQID"`); err != nil || len(p.Headers) != 1 || p.Headers[0] != "date" {
		t.Errorf("default headers: %+v %v", p, err)
	}
	for _, bad := range []string{
		``, `keyId="k"`, `keyId="k",keyId="j",signature="AQID"`, `keyId=k,signature="AQID"`,
		`keyId="k",signature="!"`, `keyId="k" signature="AQID"`, `keyId="k,signature="AQID"`,
		`=?utf-8?Q?abc?=`, `=?koi8-r?B?a2V5SWQ9?=`, `=?utf-8?B?a2V5SWQ9`,
	} {
		if _, err := ParseSignature(bad); err == nil {
			t.Errorf("ParseSignature(%q) accepted", bad)
		}
	}
}

// testCert issues a certificate for key from a CA whose DN has a space-laden CN, an
// organizationIdentifier in a UTF8String (eIDAS QTSPs carry one) and a comma inside O.
func testCert(t testing.TB, serial int64, pub crypto.PublicKey) *x509.Certificate {
	t.Helper()
	caKey := testKey(t)
	oi, _ := asn1.MarshalWithParams("NTRNO-123456789", "utf8")
	caName := pkix.Name{
		Country:      []string{"NO"},
		Organization: []string{"Example Trust, AS"},
		CommonName:   "Example QTSP CA 2",
		ExtraNames:   []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{2, 5, 4, 97}, Value: asn1.RawValue{FullBytes: oi}}},
	}
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: caName, NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<33, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "payterm TPP"}, NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<33, 0)}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, pub, caKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCertKeyID(t *testing.T) {
	c := testCert(t, 0x9fa1, &testKey(t).PublicKey)
	// Go writes ExtraNames after the named attributes; RFC 2253 reverses the sequence.
	wantDN := `2.5.4.97=#0c0f4e54524e4f2d313233343536373839,CN=Example QTSP CA 2,O=Example Trust\, AS,C=NO`
	for _, tc := range []struct {
		st   KeyIDStyle
		want string
	}{
		{KeyIDStyle{DN: DNRaw}, "SN=9fa1,CA=" + wantDN},
		{KeyIDStyle{UpperHex: true, DN: DNRaw}, "SN=9FA1,CA=" + wantDN},
		{KeyIDStyle{DN: DNPercent20}, "SN=9fa1,CA=" + strings.ReplaceAll(wantDN, " ", "%20")},
	} {
		got, err := CertKeyID(c, tc.st)
		if err != nil || got != tc.want {
			t.Errorf("%+v: %q, %v\nwant %q", tc.st, got, err, tc.want)
		}
	}
	if _, err := CertKeyID(nil, KeyIDStyle{}); err == nil {
		t.Error("nil certificate accepted")
	}
	if _, err := IssuerRFC2253([]byte{0x30, 0x01}); err == nil {
		t.Error("garbage DN accepted")
	}
	if got := escapeRFC2253(` #a+b;"c\<>, `); got != `\ #a\+b\;\"c\\\<\>\,\ ` {
		t.Errorf("escape: %q", got)
	}
}

// TestGoFedVerifiesOurSignatures is the cross-check against an implementation written by
// others (github.com/go-fed/httpsig, BSD-3-Clause, a test-only dependency the sandbox does not
// use): its verifier must accept what our signer sends, over a real HTTP request.
func TestGoFedVerifiesOurSignatures(t *testing.T) {
	k := testKey(t)
	for _, tc := range []struct {
		name    string
		profile Profile
		method  string
		uri     string
		body    string
	}{
		{"bg post", BerlinGroup(), "POST", "/v1/payments/sepa-credit-transfers", bgBody},
		{"bg get", BerlinGroup(), "GET", "/v1/payments/sepa-credit-transfers/p1/status", ""},
		{"fintecture post", Fintecture(), "POST", "/pis/v2/connect?state=s1&x=a%20b", `{"a":1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSigner(tc.profile, "SN=1a2b3c,CA=CN=Example%20QTSP%20CA,O=Example,C=DE", k)
			if err != nil {
				t.Fatal(err)
			}
			h := bgHeaders(true)
			if _, err := s.Sign(tc.method, tc.uri, h, []byte(tc.body)); err != nil {
				t.Fatal(err)
			}
			verified := make(chan error, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				v, err := gofed.NewVerifier(r)
				if err == nil {
					err = v.Verify(&k.PublicKey, gofed.RSA_SHA256)
				}
				verified <- err
			}))
			defer srv.Close()
			req, _ := http.NewRequest(tc.method, srv.URL+tc.uri, strings.NewReader(tc.body))
			req.Header = h
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if err := <-verified; err != nil {
				t.Fatalf("go-fed/httpsig refuses our signature: %v", err)
			}
		})
	}
	// And it refuses a signature made over other bytes (the check can fail).
	s, _ := NewSigner(BerlinGroup(), "k", k)
	h := bgHeaders(false)
	if _, err := s.Sign("POST", "/", h, nil); err != nil {
		t.Fatal(err)
	}
	h.Set("X-Request-ID", "00000000-0000-4000-8000-000000000000")
	r := httptest.NewRequest("POST", "/", nil)
	r.Header = h
	v, err := gofed.NewVerifier(r)
	if err != nil {
		t.Fatal(err)
	}
	if v.Verify(&k.PublicKey, gofed.RSA_SHA256) == nil {
		t.Error("go-fed verified a tampered request: the cross-check proves nothing")
	}
}
