package sigcheck

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add(`keyId="SN=9FA1,CA=CN=D-TRUST%20CA%202-1%202015,O=D-Trust%20GmbH,C=DE",algorithm="rsa-sha256",headers="Digest X-Request-ID",signature="AAAA"`, false)
	f.Add("=?utf-8?B?a2V5SWQ9ImEiLHNpZ25hdHVyZT0iQUFBQSI=?=", true)
	f.Add(`keyId="a", signature="AAAA",`, false)
	f.Fuzz(func(t *testing.T, v string, allow2047 bool) {
		p, err := Parse(v, allow2047)
		if err != nil {
			return
		}
		if p.KeyID == "" || len(p.Signature) == 0 || len(p.Headers) == 0 {
			t.Fatalf("accepted without keyId, signature or headers: %+v", p)
		}
		for _, h := range p.Headers {
			if h != strings.ToLower(h) || h == "" {
				t.Fatalf("header name not lowercased: %q", h)
			}
		}
		if p.Wrapped && !allow2047 {
			t.Fatal("unwrapped an RFC 2047 value where it is refused")
		}
	})
}

func FuzzCheckDigest(f *testing.F) {
	f.Add("SHA-256=RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=", []byte(`{}`))
	f.Add("sha-512=AAAA, SHA-256=BBBB", []byte("x"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		if _, err := CheckDigest(header, body); err != nil {
			return
		}
		s256, s512 := sha256.Sum256(body), sha512.Sum512(body)
		for _, part := range strings.Split(header, ",") {
			alg, val, _ := strings.Cut(strings.TrimSpace(part), "=")
			want := base64.StdEncoding.EncodeToString(s256[:])
			if strings.EqualFold(alg, "SHA-512") {
				want = base64.StdEncoding.EncodeToString(s512[:])
			} else if !strings.EqualFold(alg, "SHA-256") {
				t.Fatalf("accepted algorithm %q", alg)
			}
			if val != want {
				t.Fatalf("accepted a wrong %s digest", alg)
			}
		}
	})
}
