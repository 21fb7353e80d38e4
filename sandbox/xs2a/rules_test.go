package xs2a

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// One negative test per rule (README.md "Rules"): each sends one mistake and asserts the
// status, the error code and that the verdict names that rule as the one that failed.

func bgBank(t *testing.T, mod ...func(*Config)) (*testBank, *tpp) {
	b := newTestBank(t, ProfileBG(), mod...)
	return b, newTPP(t, b, 0)
}

const sctPath = "/v1/payments/sepa-credit-transfers"

func TestRule01QWAC(t *testing.T) {
	b, c := bgBank(t)
	t.Run("no client certificate", func(t *testing.T) {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: b.RootCAs()}}
		defer tr.CloseIdleConnections()
		c2 := *c
		c2.client = &http.Client{Transport: tr}
		expectRule(t, b, c2.do("POST", sctPath, bodyBG, opts{}), 401, "CERTIFICATE_MISSING", RuleQWAC)
	})
	t.Run("QSealC presented as the transport certificate", func(t *testing.T) {
		seal, _ := pem.Decode([]byte(c.reg.QSealCPEM))
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: b.RootCAs(), Certificates: []tls.Certificate{{Certificate: [][]byte{seal.Bytes}, PrivateKey: c.sealKey}}}}
		defer tr.CloseIdleConnections()
		c2 := *c
		c2.client = &http.Client{Transport: tr}
		expectRule(t, b, c2.do("POST", sctPath, bodyBG, opts{}), 401, "CERTIFICATE_INVALID", RuleQWAC)
	})
	t.Run("a replaced certificate stops working", func(t *testing.T) {
		old := *c
		tk, sk := testKey(4), testKey(5)
		if _, err := b.Register(TPPRegistration{ID: c.reg.TPPID, Name: "Test TPP 0", RedirectURIs: []string{testRedirect}, TransportKey: &tk.PublicKey, SigningKey: &sk.PublicKey}); err != nil {
			t.Fatal(err)
		}
		old.client.Transport.(*http.Transport).CloseIdleConnections()
		expectRule(t, b, old.do("POST", sctPath, bodyBG, opts{}), 401, "CERTIFICATE_INVALID", RuleQWAC)
	})
}

func TestRule01QWACExpiredOnTheBanksClock(t *testing.T) {
	b, c := bgBank(t)
	b.clock.Add(2*365*24*time.Hour + 48*time.Hour)
	expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{}), 401, "CERTIFICATE_EXPIRED", RuleQWAC)
}

func TestRule02RequestIDIsAUUID(t *testing.T) {
	b, c := bgBank(t)
	expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{requestID: "req-1"}), 400, "FORMAT_ERROR", RuleRequestID)
	r := c.do("POST", sctPath, bodyBG, opts{requestID: "req-2"})
	if r.hdr.Get("X-Request-ID") == "req-2" || !uuidRE.MatchString(r.hdr.Get("X-Request-ID")) {
		t.Fatalf("a malformed X-Request-ID is not echoed; a fresh UUID is: %q", r.hdr.Get("X-Request-ID"))
	}
}

func TestRule03RequestIDReplay(t *testing.T) {
	b, c := bgBank(t)
	first := c.initiate(opts{})
	expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{requestID: first.reqID}), 400, "FORMAT_ERROR", RuleRequestIDReplay)
	b.clock.Add(24*time.Hour + time.Second) // the window passed
	if r := c.do("GET", c.pathOf(first.link("status")), nil, opts{requestID: first.reqID}); r.status != 200 {
		t.Fatalf("after the window: %d %s", r.status, r.body)
	}
}

func TestRule04SignaturePresent(t *testing.T) {
	b, c := bgBank(t)
	expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{unsigned: true}), 401, "SIGNATURE_MISSING", RuleSignaturePresent)
}

func TestRule05DigestIffSignature(t *testing.T) {
	b, c := bgBank(t)
	expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{digest: "-", signed: []string{"x-request-id", "date", "tpp-redirect-uri"}}), 400, "FORMAT_ERROR", RuleDigestIffSignature)
	// Digest without Signature, at a bank where signing is optional.
	prof := ProfileBG()
	prof.RequireSignature = false
	b2 := newTestBank(t, prof)
	c2 := newTPP(t, b2, 0)
	r := c2.do("POST", sctPath, bodyBG, opts{unsigned: true, hdr: map[string]string{"Digest": "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}})
	expectRule(t, b2, r, 400, "FORMAT_ERROR", RuleDigestIffSignature)
}

func TestRule06DigestMatchesBody(t *testing.T) {
	b, c := bgBank(t)
	t.Run("body changed after signing", func(t *testing.T) {
		r := c.do("POST", sctPath, bodyBG, opts{after: func(r *http.Request) {
			changed := strings.Replace(string(bodyBG), "123.50", "923.50", 1)
			r.Body = ioNopCloser(changed)
			r.ContentLength = int64(len(changed))
		}})
		expectRule(t, b, r, 400, "FORMAT_ERROR", RuleDigestMatches)
		v, _ := b.VerdictFor(r.reqID)
		if v.Signature == nil || v.Signature.ComputedDigest == v.Signature.ReceivedDigest || !strings.HasPrefix(v.Signature.ComputedDigest, "SHA-256=") {
			t.Fatalf("the verdict shows both digests: %+v", v.Signature)
		}
	})
	t.Run("RFC 9530 form in a Digest header", func(t *testing.T) {
		expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{digest: "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"}), 400, "FORMAT_ERROR", RuleDigestMatches)
	})
	t.Run("MD5", func(t *testing.T) {
		expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{digest: "MD5=HUXZLQLMuI/KZ5KDcJPcOA=="}), 400, "FORMAT_ERROR", RuleDigestMatches)
	})
}

func TestRule07DatePresent(t *testing.T) {
	b, c := bgBank(t)
	r := c.do("POST", sctPath, bodyBG, opts{after: func(r *http.Request) { r.Header.Set("Date", "2026-11-22T10:00:00Z") }})
	expectRule(t, b, r, 400, "FORMAT_ERROR", RuleDatePresent)
}

func TestRule08DateWithinSkew(t *testing.T) {
	b, c := bgBank(t)
	old := b.Now().Add(-31 * time.Second)
	expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{date: &old}), 400, "TIMESTAMP_INVALID", RuleDateSkew)
	edge := b.Now().Add(-30 * time.Second)
	if r := c.do("POST", sctPath, bodyBG, opts{date: &edge}); r.status != 201 {
		t.Fatalf("30 s is within the skew: %d %s", r.status, r.body)
	}
}

func TestRule09SigningCertificatePresent(t *testing.T) {
	b, c := bgBank(t)
	expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{cert: "-"}), 401, "CERTIFICATE_MISSING", RuleSigCertPresent)
}

func TestRule10SigningCertificateValid(t *testing.T) {
	b, c := bgBank(t)
	t.Run("PEM instead of base64 DER", func(t *testing.T) {
		expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{cert: strings.ReplaceAll(c.reg.QSealCPEM, "\n", "")}), 401, "CERTIFICATE_INVALID", RuleSigCertValid)
	})
	t.Run("a certificate of another CA", func(t *testing.T) {
		other := newTestBank(t, ProfileBG())
		oc := newTPP(t, other, 1)
		expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{cert: oc.sealB64}), 401, "CERTIFICATE_INVALID", RuleSigCertValid)
	})
	t.Run("the QWAC as signing certificate", func(t *testing.T) {
		q, _ := pem.Decode([]byte(c.reg.QWACPEM))
		expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{cert: base64.StdEncoding.EncodeToString(q.Bytes)}), 401, "CERTIFICATE_INVALID", RuleSigCertValid)
	})
	t.Run("expired", func(t *testing.T) {
		expired := expiredSeal(t, b, c)
		expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{cert: expired}), 401, "CERTIFICATE_EXPIRED", RuleSigCertValid)
	})
}

func TestRule11SigningCertificateOfTheSameTPP(t *testing.T) {
	b, c := bgBank(t)
	other := newTPP(t, b, 1)
	r := c.do("POST", sctPath, bodyBG, opts{cert: other.sealB64})
	expectRule(t, b, r, 401, "CERTIFICATE_INVALID", RuleSigCertSameTPP)
}

func TestRule12SignatureParses(t *testing.T) {
	b, c := bgBank(t)
	for name, v := range map[string]string{
		"not name=value":        "garbage",
		"unquoted":              `keyId=abc,algorithm="rsa-sha256",signature="AAAA"`,
		"unknown parameter":     `keyId="a",algorithm="rsa-sha256",created="1",signature="AAAA"`,
		"RFC 2047 at a BG bank": "=?utf-8?B?a2V5SWQ9ImEiLHNpZ25hdHVyZT0iQUFBQSI=?=",
		"signature not base64":  `keyId="a",algorithm="rsa-sha256",signature="***"`,
		"duplicate keyId":       `keyId="a",keyId="b",signature="AAAA"`,
	} {
		t.Run(name, func(t *testing.T) {
			r := c.do("POST", sctPath, bodyBG, opts{after: func(r *http.Request) { r.Header.Set("Signature", v) }})
			expectRule(t, b, r, 401, "SIGNATURE_INVALID", RuleSignatureParses)
		})
	}
}

func TestRule13KeyID(t *testing.T) {
	b, c := bgBank(t)
	seal := certOf(t, c.reg.QSealCPEM)
	raw := "SN=" + strings.ToUpper(serialHex(seal)) + ",CA=" + issuerDN(seal)
	for name, k := range map[string]string{
		"raw DN at a BG bank":   raw,
		"another serial":        "SN=9FA1,CA=" + strings.ReplaceAll(issuerDN(seal), " ", "%20"),
		"the subject, not CA":   "SN=" + serialHex(seal) + ",CA=" + strings.ReplaceAll(seal.Subject.String(), " ", "%20"),
		"the serial in decimal": "SN=" + seal.SerialNumber.String() + ",CA=" + strings.ReplaceAll(issuerDN(seal), " ", "%20"),
	} {
		t.Run(name, func(t *testing.T) {
			expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{keyID: k}), 401, "SIGNATURE_INVALID", RuleKeyID)
		})
	}
	t.Run("lowercase serial accepted by BG, refused by BOG", func(t *testing.T) {
		lower := "SN=" + serialHex(seal) + ",CA=" + strings.ReplaceAll(issuerDN(seal), " ", "%20")
		if r := c.do("POST", sctPath, bodyBG, opts{keyID: lower}); r.status != 201 {
			t.Fatalf("BG, lowercase: %d %s", r.status, r.body)
		}
		bog := newTestBank(t, ProfileBOG())
		bc := newTPP(t, bog, 0)
		bs := certOf(t, bc.reg.QSealCPEM)
		lower = "SN=" + strings.ToLower(serialHex(bs)) + ",CA=" + strings.ReplaceAll(issuerDN(bs), " ", "%20")
		if strings.ToLower(serialHex(bs)) == strings.ToUpper(serialHex(bs)) {
			t.Skip("serial has no letters")
		}
		path, body := productPath(bog.prof)
		expectRule(t, bog, bc.do("POST", path, body, opts{keyID: lower}), 401, "SIGNATURE_INVALID", RuleKeyID)
	})
	t.Run("%20 DN at SpareBank 1", func(t *testing.T) {
		sb := newTestBank(t, ProfileSB1())
		sc := newTPP(t, sb, 0)
		ss := certOf(t, sc.reg.QSealCPEM)
		path, body := productPath(sb.prof)
		r := sc.do("POST", path, body, opts{keyID: "SN=" + serialHex(ss) + ",CA=" + strings.ReplaceAll(issuerDN(ss), " ", "%20")})
		expectRule(t, sb, r, 401, "SIGNATURE_INVALID", RuleKeyID)
	})
}

func TestRule14Algorithm(t *testing.T) {
	b, c := bgBank(t)
	for _, alg := range []string{"hmac-sha256", "rsa-sha1", "hs2019", "RSA-SHA256"} {
		expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{alg: alg}), 401, "SIGNATURE_INVALID", RuleAlgorithm)
	}
	if r := c.do("POST", sctPath, bodyBG, opts{hashSHA512: true}); r.status != 201 {
		t.Fatalf("rsa-sha512: %d %s", r.status, r.body)
	}
}

func TestRule15MandatorySignedHeaders(t *testing.T) {
	b, c := bgBank(t)
	expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{signed: []string{"digest", "x-request-id", "date"}}), 401, "SIGNATURE_INVALID", RuleSignedHeaders) // tpp-redirect-uri present, unsigned
	c.psuID = "PSU-1"
	expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{signed: []string{"digest", "x-request-id", "tpp-redirect-uri"}}), 401, "SIGNATURE_INVALID", RuleSignedHeaders)
	// SpareBank 1 needs date signed.
	sb := newTestBank(t, ProfileSB1())
	sc := newTPP(t, sb, 0)
	path, body := productPath(sb.prof)
	expectRule(t, sb, sc.do("POST", path, body, opts{signed: []string{"digest", "x-request-id", "tpp-redirect-uri"}}), 401, "SIGNATURE_INVALID", RuleSignedHeaders)
}

func TestRule16NoOtherSignedHeaders(t *testing.T) {
	b, c := bgBank(t)
	r := c.do("POST", sctPath, bodyBG, opts{signed: []string{"digest", "x-request-id", "tpp-redirect-uri", "date", "psu-ip-address"}})
	expectRule(t, b, r, 401, "SIGNATURE_INVALID", RuleNoExtraHeaders)
}

func TestRule17SignatureVerifies(t *testing.T) {
	b, c := bgBank(t)
	t.Run("bad signature bytes", func(t *testing.T) {
		r := c.do("POST", sctPath, bodyBG, opts{badSig: true})
		expectRule(t, b, r, 401, "SIGNATURE_INVALID", RuleSignatureVerifies)
		if v, _ := b.VerdictFor(r.reqID); v.Signature == nil || !strings.Contains(v.Signature.SigningString, "x-request-id: "+r.reqID) {
			t.Fatalf("the verdict shows the signing string: %+v", v.Signature)
		}
	})
	t.Run("a signed header changed after signing", func(t *testing.T) {
		r := c.do("POST", sctPath, bodyBG, opts{after: func(r *http.Request) { r.Header.Set("TPP-Redirect-URI", testRedirect+"?x=1") }})
		expectRule(t, b, r, 401, "SIGNATURE_INVALID", RuleSignatureVerifies)
	})
	t.Run("PSU-ID values are redacted in the verdict", func(t *testing.T) {
		c2 := *c
		c2.psuID = "PSU-secret-person"
		r := c2.do("POST", sctPath, bodyBG, opts{badSig: true})
		v, _ := b.VerdictFor(r.reqID)
		if strings.Contains(v.Signature.SigningString, "secret-person") || !strings.Contains(v.Signature.SigningString, "psu-id: [redacted]") {
			t.Fatalf("psu-id leaked: %q", v.Signature.SigningString)
		}
	})
}

func TestRule18PSUIPAddress(t *testing.T) {
	b, c := bgBank(t)
	expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{noPSUIP: true}), 400, "FORMAT_ERROR", RulePSUIPAddress)
	expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{hdr: map[string]string{"PSU-IP-Address": "::1"}}), 400, "FORMAT_ERROR", RulePSUIPAddress)
}

func TestRule19ServiceAndProduct(t *testing.T) {
	b, c := bgBank(t)
	expectRule(t, b, c.do("POST", "/v1/bulk-payments/sepa-credit-transfers", bodyBG, opts{}), 405, "SERVICE_INVALID", RuleServiceProduct)
	expectRule(t, b, c.do("POST", "/v1/payments/domestic", bodyBG, opts{}), 404, "PRODUCT_UNKNOWN", RuleServiceProduct)
}

func TestRule20BodyJSON(t *testing.T) {
	b, c := bgBank(t)
	for name, body := range map[string]string{
		"unknown field":   strings.Replace(string(bodyBG), `"creditorName"`, `"creditorNickname":"x","creditorName"`, 1),
		"duplicate key":   strings.Replace(string(bodyBG), `"creditorName":"Merchant123"`, `"creditorName":"Merchant123","creditorName":"Other"`, 1),
		"no creditorName": strings.Replace(string(bodyBG), `"creditorName":"Merchant123",`, ``, 1),
		"no debtor":       strings.Replace(string(bodyBG), `"debtorAccount":{"iban":"DE40100100103307118608"},`, ``, 1),
		"two values":      string(bodyBG) + `{}`,
		"amount a number": strings.Replace(string(bodyBG), `"123.50"`, `123.50`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			expectRule(t, b, c.do("POST", sctPath, []byte(body), opts{}), 400, "FORMAT_ERROR", RuleBodyJSON)
		})
	}
	t.Run("not JSON", func(t *testing.T) {
		expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{hdr: map[string]string{"Content-Type": "application/xml"}}), 415, "FORMAT_ERROR", RuleBodyJSON)
	})
}

func TestRule21Amount(t *testing.T) {
	b, c := bgBank(t)
	for name, amt := range map[string]string{
		"unanchored pattern match": `"12.5001"`, "comma": `"12,50"`, "three decimals in EUR": `"12.505"`, "negative": `"-1.00"`,
		"zero": `"0.00"`, "15 digits": `"123456789012345"`, "leading dot": `".5"`,
	} {
		t.Run(name, func(t *testing.T) {
			body := strings.Replace(string(bodyBG), `"123.50"`, amt, 1)
			expectRule(t, b, c.do("POST", sctPath, []byte(body), opts{}), 400, "FORMAT_ERROR", RuleAmount)
		})
	}
	t.Run("currency the product does not take", func(t *testing.T) {
		body := strings.Replace(string(bodyBG), `"EUR"`, `"USD"`, 1)
		expectRule(t, b, c.do("POST", sctPath, []byte(body), opts{}), 400, "FORMAT_ERROR", RuleAmount)
	})
}

func TestRule22Accounts(t *testing.T) {
	b, c := bgBank(t)
	for name, repl := range map[string][2]string{
		"IBAN check digits":   {"DE02100100109307118603", "DE03100100109307118603"},
		"IBAN length":         {"DE02100100109307118603", "DE0210010010930711860"},
		"IBAN with spaces":    {"DE02100100109307118603", "DE02 1001 0010 9307 1186 03"},
		"non-SEPA IBAN (SCT)": {"DE02100100109307118603", "GE29NB0000000101904917"},
		"two identifiers":     {`{"iban":"DE02100100109307118603"}`, `{"iban":"DE02100100109307118603","bban":"100100109307118603"}`},
	} {
		t.Run(name, func(t *testing.T) {
			body := strings.Replace(string(bodyBG), repl[0], repl[1], 1)
			expectRule(t, b, c.do("POST", sctPath, []byte(body), opts{}), 400, "FORMAT_ERROR", RuleAccounts)
		})
	}
	t.Run("SpareBank 1 BBAN mod-11", func(t *testing.T) {
		sb := newTestBank(t, ProfileSB1(), func(c *Config) { c.AutoApprove = true })
		sc := newTPP(t, sb, 0)
		sc.sb1Session(t)
		path, body := productPath(sb.prof)
		bad := strings.Replace(string(body), "12345678903", "12345678904", 1)
		expectRule(t, sb, sc.do("POST", path, []byte(bad), opts{}), 400, "FORMAT_ERROR", RuleAccounts)
	})
}

func TestRule23TextLengths(t *testing.T) {
	b, c := bgBank(t)
	for name, repl := range map[string][2]string{
		"creditorName 71":       {`"Merchant123"`, `"` + strings.Repeat("n", 71) + `"`},
		"creditorName empty":    {`"Merchant123"`, `""`},
		"remittance 141":        {`"Ref Number Merchant"`, `"` + strings.Repeat("r", 141) + `"`},
		"control character":     {`"Merchant123"`, `"Merchant\u0007"`},
		"endToEndId 36":         {`"creditorName"`, `"endToEndIdentification":"` + strings.Repeat("e", 36) + `","creditorName"`},
		"creditorAgent not BIC": {`"creditorName"`, `"creditorAgent":"DEUT","creditorName"`},
	} {
		t.Run(name, func(t *testing.T) {
			body := strings.Replace(string(bodyBG), repl[0], repl[1], 1)
			expectRule(t, b, c.do("POST", sctPath, []byte(body), opts{}), 400, "FORMAT_ERROR", RuleTexts)
		})
	}
	t.Run("140 characters pass", func(t *testing.T) {
		body := strings.Replace(string(bodyBG), `"Ref Number Merchant"`, `"`+strings.Repeat("é", 140)+`"`, 1)
		if r := c.do("POST", sctPath, []byte(body), opts{}); r.status != 201 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}

func TestRule24RedirectURI(t *testing.T) {
	b, c := bgBank(t)
	expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{hdr: map[string]string{"TPP-Redirect-URI": ""}}), 400, "FORMAT_ERROR", RuleRedirectURI)
	expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{hdr: map[string]string{"TPP-Redirect-URI": "https://evil.example/cb"}}), 400, "FORMAT_ERROR", RuleRedirectURI)
	expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{hdr: map[string]string{"TPP-Nok-Redirect-URI": "https://tpp.example/other"}}), 400, "FORMAT_ERROR", RuleRedirectURI)
	if r := c.do("POST", sctPath, bodyBG, opts{hdr: map[string]string{"TPP-Redirect-URI": "http://127.0.0.1:4711/cb?state=x"}}); r.status != 201 {
		t.Fatalf("loopback on another port: %d %s", r.status, r.body)
	}
}

func TestRule25PSUSession(t *testing.T) {
	sb := newTestBank(t, ProfileSB1(), func(c *Config) { c.AutoApprove = true })
	sc := newTPP(t, sb, 0)
	path, body := productPath(sb.prof)
	r := sc.do("POST", path, body, opts{})
	expectRule(t, sb, r, 401, "PSU_CREDENTIALS_INVALID", RulePSUSession)
	if r.str("system") != "ERA-PSD2" || !strings.HasPrefix(r.link("scaRedirect"), sb.BrowserURL()+"/session/") {
		t.Fatalf("ERA error with scaRedirect: %s", r.body)
	}
	users := sc.do("GET", "/v1/users", nil, opts{})
	expectRule(t, sb, users, 401, "PSU_CREDENTIALS_INVALID", RulePSUSession)
	if users.link("scaRedirect") == "" {
		t.Fatalf("GET /v1/users without a session: %s", users.body)
	}
	sc.sb1Session(t)
	if ok := sc.do("GET", "/v1/users", nil, opts{}); ok.status != 204 {
		t.Fatalf("GET /v1/users with a session: %d %s", ok.status, ok.body)
	}
	other := newTPP(t, sb, 1)
	other.psuID, other.session = sc.psuID, sc.session
	expectRule(t, sb, other.do("POST", path, body, opts{}), 401, "PSU_CREDENTIALS_INVALID", RulePSUSession)
	sb.clock.Add(time.Hour)
	expectRule(t, sb, sc.do("POST", path, body, opts{}), 401, "PSU_CREDENTIALS_INVALID", RulePSUSession)
	// A session the bank ended (EndSessions: the payer logged out) is refused the same way.
	sc.sb1Session(t)
	if ok := sc.do("GET", "/v1/users", nil, opts{}); ok.status != 204 {
		t.Fatalf("GET /v1/users with a new session: %d %s", ok.status, ok.body)
	}
	if n, err := sb.EndSessions(); n != 1 || err != nil {
		t.Fatalf("EndSessions ended %d: %v", n, err)
	}
	expectRule(t, sb, sc.do("POST", path, body, opts{}), 401, "PSU_CREDENTIALS_INVALID", RulePSUSession)
}

func TestRule26LogicalDuplicate(t *testing.T) {
	sb := newTestBank(t, ProfileSB1(), func(c *Config) { c.AutoApprove = true })
	sc := newTPP(t, sb, 0)
	sc.sb1Session(t)
	sc.initiate(opts{})
	path, body := productPath(sb.prof)
	expectRule(t, sb, sc.do("POST", path+"?allowLogicalDuplicate=false", body, opts{}), 400, "PAYMENT_FAILED", RuleLogicalDuplicate)
}

func TestRule27ResourceOwner(t *testing.T) {
	b, c := bgBank(t)
	r := c.initiate(opts{})
	other := newTPP(t, b, 1)
	expectRule(t, b, other.do("GET", c.pathOf(r.link("status")), nil, opts{}), 404, "RESOURCE_UNKNOWN", RuleResourceOwner)
	expectRule(t, b, c.do("GET", "/v1/payments/instant-sepa-credit-transfers/"+r.str("paymentId")+"/status", nil, opts{}), 404, "RESOURCE_UNKNOWN", RuleResourceOwner)
}

func TestRule28AuthorisationFitsItsState(t *testing.T) {
	b, c := bgBank(t)
	c.psuID = "PSU-1"
	r := c.initiate(opts{hdr: map[string]string{"TPP-Redirect-Preferred": "false"}})
	start := c.do("POST", c.pathOf(r.link("startAuthorisationWithPsuAuthentication")), nil, opts{})
	auth := c.pathOf(start.link("scaStatus"))
	expectRule(t, b, c.do("PUT", auth, []byte(`{"scaAuthenticationData":"123456"}`), opts{}), 409, "STATUS_INVALID", RuleAuthUpdate)
	expectRule(t, b, c.do("PUT", auth, []byte(`{"psuData":{"password":"12345"},"scaAuthenticationData":"1"}`), opts{}), 400, "FORMAT_ERROR", RuleAuthUpdate)
	expectRule(t, b, c.do("POST", c.pathOf(r.link("startAuthorisationWithPsuAuthentication")), nil, opts{}), 409, "STATUS_INVALID", RuleAuthUpdate)
}

func TestRule29CredentialsAndAttempts(t *testing.T) {
	b, c := bgBank(t)
	c.psuID = "PSU-1"
	r := c.initiate(opts{hdr: map[string]string{"TPP-Redirect-Preferred": "false"}})
	start := c.do("POST", c.pathOf(r.link("startAuthorisationWithPsuAuthentication")), nil, opts{})
	auth := c.pathOf(start.link("scaStatus"))
	for i := 1; i <= 5; i++ {
		expectRule(t, b, c.do("PUT", auth, []byte(`{"psuData":{"password":"wrong"}}`), opts{}), 401, "PSU_CREDENTIALS_INVALID", RuleCredentials)
	}
	if g := c.do("GET", auth, nil, opts{}); g.str("scaStatus") != "failed" {
		t.Fatalf("after 5 wrong passwords: %s", g.body)
	}
	if s, _ := b.PaymentStatus(r.str("paymentId")); s != "RJCT" {
		t.Fatalf("payment %s", s)
	}
	expectRule(t, b, c.do("PUT", auth, []byte(`{"psuData":{"password":"12345"}}`), opts{}), 409, "STATUS_INVALID", RuleAuthUpdate)
}

func TestRule30SCAMethodOffered(t *testing.T) {
	b, c := bgBank(t)
	c.psuID = "PSU-1"
	r := c.initiate(opts{hdr: map[string]string{"TPP-Redirect-Preferred": "false"}})
	start := c.do("POST", c.pathOf(r.link("startAuthorisationWithPsuAuthentication")), []byte(`{"psuData":{"password":"12345"}}`), opts{})
	expectRule(t, b, c.do("PUT", c.pathOf(start.link("scaStatus")), []byte(`{"authenticationMethodId":"CHIP_OTP"}`), opts{}), 400, "SCA_METHOD_UNKNOWN", RuleSCAMethod)
}

func TestRule31SCATimeout(t *testing.T) {
	b, c := bgBank(t)
	r := c.initiate(opts{})
	b.clock.Add(5 * time.Minute)
	if g := c.do("GET", c.pathOf(r.link("scaStatus")), nil, opts{}); g.str("scaStatus") != "failed" {
		t.Fatalf("sca after the timeout: %s", g.body)
	}
	if g := c.do("GET", c.pathOf(r.link("status")), nil, opts{}); g.str("transactionStatus") != "RJCT" {
		t.Fatalf("payment after the timeout: %s", g.body)
	}
	resp, err := browser(t, b).Get(r.link("scaRedirect"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("the page after the timeout: %d", resp.StatusCode)
	}
}

func TestRule32CancellationOfAFinalPayment(t *testing.T) {
	b, c := bgBank(t, func(c *Config) { c.AutoApprove = true })
	r := c.initiate(opts{})
	followAuto(t, b, r.link("scaRedirect"))
	b.clock.Add(10 * time.Second)
	expectRule(t, b, c.do("DELETE", c.pathOf(r.link("self")), nil, opts{}), 400, "RESOURCE_BLOCKED", RuleCancellation)
}

func TestRule33ConfirmationCode(t *testing.T) {
	b, c := bgBank(t, func(c *Config) { c.RequireConfirmation = true })
	r := c.initiate(opts{})
	decide(t, b, r.link("scaRedirect"), true, nil)
	expectRule(t, b, c.do("PUT", c.pathOf(r.link("scaStatus")), []byte(`{"confirmationCode":"1"}`), opts{}), 400, "FORMAT_ERROR", RuleConfirmation)
}

func TestRule34OAuthAuthorizeRequest(t *testing.T) {
	b := newTestBank(t, ProfileBOG())
	c := newTPP(t, b, 0)
	r := c.initiate(opts{})
	good := url.Values{"response_type": {"code"}, "client_id": {c.reg.TPPID}, "redirect_uri": {testRedirect}, "scope": {"PIS:" + r.str("paymentId")},
		"state": {"s"}, "code_challenge": {strings.Repeat("A", 43)}, "code_challenge_method": {"S256"}}
	for name, mut := range map[string]func(url.Values){
		"unregistered redirect_uri": func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") },
		"no PKCE":                   func(q url.Values) { q.Del("code_challenge") },
		"plain PKCE":                func(q url.Values) { q.Set("code_challenge_method", "plain") },
		"no state":                  func(q url.Values) { q.Del("state") },
		"another payment":           func(q url.Values) { q.Set("scope", "PIS:nope") },
		"token response type":       func(q url.Values) { q.Set("response_type", "token") },
		"extra parameter":           func(q url.Values) { q.Set("nonce", "x") },
	} {
		t.Run(name, func(t *testing.T) {
			q := url.Values{}
			for k, v := range good {
				q[k] = append([]string(nil), v...)
			}
			mut(q)
			req, _ := http.NewRequest("GET", b.BrowserURL()+"/oauth/authorize?"+q.Encode(), nil)
			id := newUUID()
			req.Header.Set("X-Request-ID", id)
			resp, err := browser(t, b).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			v, _ := b.VerdictFor(id)
			if resp.StatusCode != 400 || v.FailedRule() != RuleOAuthAuthorize {
				t.Fatalf("%d, rule %d", resp.StatusCode, v.FailedRule())
			}
		})
	}
}

func TestRule35OAuthTokenRequest(t *testing.T) {
	b := newTestBank(t, ProfileBOG())
	c := newTPP(t, b, 0)
	r := c.initiate(opts{})
	md := b.OAuthMetadataURL()
	_ = md
	verifier := strings.Repeat("v", 50)
	q := url.Values{"response_type": {"code"}, "client_id": {c.reg.TPPID}, "redirect_uri": {testRedirect}, "scope": {"PIS:" + r.str("paymentId")},
		"state": {"s"}, "code_challenge": {s256(verifier)}, "code_challenge_method": {"S256"}}
	back := decide(t, b, b.BrowserURL()+"/oauth/authorize?"+q.Encode(), true, nil)
	code := back.Query().Get("code")
	post := func(form url.Values) int {
		resp, err := c.client.Post(b.APIURL()+"/oauth/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// RFC 8705 §2: with tls_client_auth the client_id is sent. Refused before the code is read,
	// so the code stays usable.
	if st := post(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect}, "code_verifier": {verifier}}); st != 400 {
		t.Fatalf("no client_id: %d", st)
	}
	if v := b.RecentVerdicts(1)[0]; v.FailedRule() != RuleOAuthToken || v.Code != "invalid_request" {
		t.Fatalf("no client_id verdict %+v", v)
	}
	if st := post(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect}, "code_verifier": {verifier},
		"client_id": {"someone-else"}}); st != 401 {
		t.Fatalf("another client_id: %d", st)
	}
	if st := post(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect}, "code_verifier": {strings.Repeat("w", 50)},
		"client_id": {c.reg.TPPID}}); st != 400 {
		t.Fatalf("wrong verifier: %d", st)
	}
	// The failed attempt used the code up.
	if st := post(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect}, "code_verifier": {verifier},
		"client_id": {c.reg.TPPID}}); st != 400 {
		t.Fatalf("used code: %d", st)
	}
	v := b.RecentVerdicts(1)[0]
	if v.FailedRule() != RuleOAuthToken || v.Code != "invalid_grant" {
		t.Fatalf("verdict %+v", v)
	}
	if s, _ := b.AuthorisationStatus(r.link("scaStatus")[strings.LastIndex(r.link("scaStatus"), "/")+1:]); s == "finalised" {
		t.Fatal("a refused token request finalised the authorisation")
	}
}

func TestRule37BearerToken(t *testing.T) {
	b := newTestBank(t, ProfileBOG())
	c := newTPP(t, b, 0)
	r := c.initiate(opts{})
	id := r.str("paymentId")
	status, tok, _ := oauthFlow(t, b, c, id, true)
	if status != 200 {
		t.Fatalf("token: %d", status)
	}
	good := "Bearer " + tok["access_token"].(string)
	path := c.pathOf(r.link("status"))
	with := func(auth string) opts { return opts{hdr: map[string]string{"Authorization": auth}} }
	if g := c.do("GET", path, nil, opts{}); g.status != 200 {
		t.Fatalf("no token (optional in the BG file): %d %s", g.status, g.body)
	}
	if g := c.do("GET", path, nil, with(good)); g.status != 200 {
		t.Fatalf("the payment's token: %d %s", g.status, g.body)
	}
	expectRule(t, b, c.do("GET", path, nil, with("Bearer not-a-token")), 401, "TOKEN_INVALID", RuleBearerToken)
	expectRule(t, b, c.do("GET", path, nil, with("Basic "+tok["access_token"].(string))), 401, "TOKEN_INVALID", RuleBearerToken)
	// The token of one payment is not good for another.
	r2 := c.initiate(opts{})
	expectRule(t, b, c.do("GET", c.pathOf(r2.link("status")), nil, with(good)), 401, "TOKEN_INVALID", RuleBearerToken)
	b.clock.Add(tokenLifetime)
	expectRule(t, b, c.do("GET", path, nil, with(good)), 401, "TOKEN_EXPIRED", RuleBearerToken)
}

func TestRule36QueryAndPreferenceHeaders(t *testing.T) {
	b, c := bgBank(t)
	expectRule(t, b, c.do("POST", sctPath+"?allowLogicalDuplicate=true", bodyBG, opts{}), 400, "FORMAT_ERROR", RuleQuery) // only SpareBank 1 knows it
	expectRule(t, b, c.do("POST", sctPath, bodyBG, opts{hdr: map[string]string{"TPP-Redirect-Preferred": "yes"}}), 400, "FORMAT_ERROR", RuleQuery)
}
