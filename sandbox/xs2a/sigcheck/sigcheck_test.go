package sigcheck

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// specFile reads a file of ../shared/specs/psd2 (skipped when absent, failed under
// PAYTERM_REQUIRE_E2E=1).
func specFile(t *testing.T, name string) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(here), "..", "..", "..", "..", "shared", "specs", "psd2")
	if d := os.Getenv("PAYTERM_PSD2_SPECS_DIR"); d != "" {
		dir = d
	}
	raw, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		if os.Getenv("PAYTERM_REQUIRE_E2E") == "1" {
			t.Fatalf("spec file %s: %v", name, err)
		}
		t.Skipf("spec file %s not found (%v); it lives in ../shared/specs/psd2", name, err)
	}
	return string(raw)
}

// appendixC pulls the draft's test key and the three expected Signature values out of the
// XML, so the test compares against the normative text itself.
func appendixC(t *testing.T) (*rsa.PublicKey, map[string]string) {
	t.Helper()
	x := specFile(t, "draft-cavage-http-signatures-10.xml")
	blk, _ := pem.Decode([]byte(x[strings.Index(x, "-----BEGIN PUBLIC KEY-----"):]))
	if blk == nil {
		t.Fatal("no public key in Appendix C")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?s)<section anchor="(default-test|basic-test|all-headers-test)".*?Signature:? (keyId=.*?)</artwork>`)
	out := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(x, -1) {
		out[m[1]] = strings.Join(strings.Fields(strings.ReplaceAll(m[2], "\n", " ")), " ")
	}
	if len(out) != 3 {
		t.Fatalf("found %d of the 3 Appendix C signatures", len(out))
	}
	return k.(*rsa.PublicKey), out
}

func appendixRequest() (http.Header, []byte) {
	h := http.Header{}
	h.Set("Date", "Sun, 05 Jan 2014 21:31:40 GMT")
	h.Set("Content-Type", "application/json")
	h.Set("Digest", "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=")
	h.Set("Content-Length", "18")
	return h, []byte(`{"hello": "world"}`)
}

func TestDraftCavageAppendixC(t *testing.T) {
	pub, sigs := appendixC(t)
	h, body := appendixRequest()
	wantStrings := map[string]string{
		"default-test":     "date: Sun, 05 Jan 2014 21:31:40 GMT",
		"basic-test":       "(request-target): post /foo?param=value&pet=dog\nhost: example.com\ndate: Sun, 05 Jan 2014 21:31:40 GMT",
		"all-headers-test": "(request-target): post /foo?param=value&pet=dog\nhost: example.com\ndate: Sun, 05 Jan 2014 21:31:40 GMT\ncontent-type: application/json\ndigest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\ncontent-length: 18",
	}
	for name, header := range sigs {
		t.Run(name, func(t *testing.T) {
			p, err := Parse(header, false)
			if err != nil {
				t.Fatal(err)
			}
			if p.KeyID != "Test" || p.Algorithm != "rsa-sha256" {
				t.Fatalf("params %+v", p)
			}
			ss, err := SigningString("POST", "/foo?param=value&pet=dog", "example.com", h, p.Headers)
			if err != nil {
				t.Fatal(err)
			}
			if ss != wantStrings[name] {
				t.Fatalf("signing string\n%q\nwant\n%q", ss, wantStrings[name])
			}
			if err := Verify(pub, p.Algorithm, ss, p.Signature); err != nil {
				t.Fatalf("the appendix's own signature does not verify: %v", err)
			}
			// One changed byte of the signed data breaks it.
			if err := Verify(pub, p.Algorithm, strings.Replace(ss, "2014", "2015", 1), p.Signature); err == nil {
				t.Fatal("a changed signing string verified")
			}
		})
	}
	if d, err := CheckDigest("SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", body); err != nil || d != "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=" {
		t.Fatalf("appendix digest: %q %v", d, err)
	}
}

// TestRFC9530Examples checks the digest computation against RFC 9530's worked values (the
// hash is the same; only the header syntax differs from the RFC 3230 form BG uses).
func TestRFC9530Examples(t *testing.T) {
	doc := specFile(t, "rfc9530-digest-fields.md")
	for _, c := range []struct {
		body, rfcValue string
	}{
		{"{\"hello\": \"world\"}\n", "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"},
		{"", "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"},
	} {
		if !strings.Contains(doc, c.rfcValue) {
			t.Fatalf("RFC 9530 no longer prints %s", c.rfcValue)
		}
		b64 := strings.TrimSuffix(strings.TrimPrefix(c.rfcValue, "sha-256=:"), ":")
		got, err := Digest("SHA-256", []byte(c.body))
		if err != nil || got != "SHA-256="+b64 {
			t.Fatalf("digest of %q = %s, want SHA-256=%s", c.body, got, b64)
		}
		if _, err := CheckDigest("sha-256="+b64, []byte(c.body)); err != nil {
			t.Fatalf("lowercase algorithm name (RFC 3230 is case-insensitive): %v", err)
		}
		if _, err := CheckDigest(c.rfcValue, []byte(c.body)); err == nil || !strings.Contains(err.Error(), "RFC 9530") {
			t.Fatalf("the structured form in a Digest header must be refused with a reason: %v", err)
		}
	}
	// RFC 9530 §2 prints the SHA-512 of the same LF-terminated body, wrapped over two lines
	// (RFC 8792 '\' wrapping).
	first, second := "sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCs\\\n", "  yRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:"
	if !strings.Contains(doc, first+second) {
		t.Fatal("RFC 9530 no longer prints the sha-512 example")
	}
	b64 := strings.TrimPrefix(first, "sha-512=:")[:len(first)-len("sha-512=:")-2] + strings.TrimSuffix(strings.TrimSpace(second), ":")
	if _, err := CheckDigest("SHA-512="+b64, []byte("{\"hello\": \"world\"}\n")); err != nil {
		t.Fatalf("SHA-512: %v", err)
	}
}

func TestCheckDigestRefuses(t *testing.T) {
	body := []byte(`{}`)
	for _, v := range []string{"", "SHA-256", "SHA-256=", "MD5=mZFLkyvTelC5g8XnyQrpOw==", "SHA-256=RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o",
		"SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "SHA-256=RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=, SHA-512=AAAA"} {
		if _, err := CheckDigest(v, body); err == nil {
			t.Errorf("%q accepted", v)
		}
	}
	if _, err := CheckDigest("SHA-256=RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=", body); err != nil {
		t.Fatalf("the research note's {} digest: %v", err)
	}
}

func TestParseRFC2047(t *testing.T) {
	inner := `keyId="SN=1A,CA=CN=Example QTSP CA,O=Example,C=NO",algorithm="rsa-sha256",headers="date digest x-request-id",signature="AAAA"`
	wrapped := "=?utf-8?B?" + b64(inner) + "?="
	p, err := Parse(wrapped, true)
	if err != nil || !p.Wrapped || p.KeyID != "SN=1A,CA=CN=Example QTSP CA,O=Example,C=NO" || len(p.Headers) != 3 {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := Parse(wrapped, false); err == nil {
		t.Fatal("wrapped accepted where the profile refuses it")
	}
}

func TestMatchKeyIDStyles(t *testing.T) {
	dn := "CN=payterm Sandbox QTSP CA,O=payterm Sandbox Trust,C=DE"
	pct := strings.ReplaceAll(dn, " ", "%20")
	cases := []struct {
		keyID string
		style KeyIDStyle
		ok    bool
	}{
		{"SN=9FA1,CA=" + pct, KeyIDStyle{"upper", true}, true},
		{"SN=9fa1,CA=" + pct, KeyIDStyle{"upper", true}, false},
		{"SN=9fa1,CA=" + pct, KeyIDStyle{"lower", true}, true},
		{"SN=9fA1,CA=" + pct, KeyIDStyle{"any", true}, true},
		{"SN=9FA1,CA=" + dn, KeyIDStyle{"any", true}, false},
		{"SN=9FA1,CA=" + dn, KeyIDStyle{"any", false}, true},
		{"SN=9FA1,CA=" + pct, KeyIDStyle{"any", false}, false},
		{"SN=09FA1,CA=" + pct, KeyIDStyle{"any", true}, false},
		{"9FA1," + pct, KeyIDStyle{"any", true}, false},
	}
	for _, c := range cases {
		if err := MatchKeyID(c.keyID, "9fa1", dn, c.style); (err == nil) != c.ok {
			t.Errorf("%s %+v: %v", c.keyID, c.style, err)
		}
	}
}
