package httpsig

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"html"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/payterm/payterm/internal/specs"
)

// appendixC is what draft-cavage-http-signatures-10 Appendix C prints, read from the draft
// itself so the expected values are the normative text's, not a copy.
type appendixC struct {
	key *rsa.PrivateKey
	// per test: the signing string and the header values, artwork line breaks removed
	signing map[string]string
	auth    map[string]string
	sig     map[string]string
}

func loadAppendixC(t *testing.T) appendixC {
	t.Helper()
	raw, err := os.ReadFile(specs.RequirePSD2File(t, specs.CavageDraft))
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	blk, _ := pem.Decode([]byte(text[strings.Index(text, "-----BEGIN RSA PRIVATE KEY-----"):]))
	if blk == nil {
		t.Fatal("no RSA private key in the draft's Appendix C")
	}
	key, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	out := appendixC{key: key, signing: map[string]string{}, auth: map[string]string{}, sig: map[string]string{}}
	art := regexp.MustCompile(`(?s)<artwork>(.*?)</artwork>`)
	for _, anchor := range []string{"default-test", "basic-test", "all-headers-test"} {
		start := strings.Index(text, `anchor="`+anchor+`"`)
		if start < 0 {
			t.Fatalf("section %s missing", anchor)
		}
		sec := text[start:]
		if end := strings.Index(sec[1:], "<section"); end > 0 {
			sec = sec[:end+1]
		}
		for i, m := range art.FindAllStringSubmatch(sec, -1) {
			body := strings.TrimSpace(html.UnescapeString(m[1]))
			switch {
			case i == 0:
				out.signing[anchor] = strings.Trim(body, "\n ")
			case strings.HasPrefix(body, "Authorization: "):
				out.auth[anchor] = strings.TrimPrefix(strings.ReplaceAll(body, "\n", ""), "Authorization: ")
			case strings.HasPrefix(body, "Signature: "):
				out.sig[anchor] = strings.TrimPrefix(strings.ReplaceAll(body, "\n", ""), "Signature: ")
			}
		}
	}
	return out
}

// The appendix's request.
func appendixRequest() (method, uri string, h http.Header, body []byte) {
	h = http.Header{}
	h.Set("Host", "example.com")
	h.Set("Date", "Sun, 05 Jan 2014 21:31:40 GMT")
	h.Set("Content-Type", "application/json")
	h.Set("Digest", "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=")
	h.Set("Content-Length", "18")
	return "POST", "/foo?param=value&pet=dog", h, []byte(`{"hello": "world"}`)
}

func TestAppendixC(t *testing.T) {
	c := loadAppendixC(t)
	cases := []struct {
		anchor  string
		headers []string
	}{
		{"default-test", []string{"date"}},
		{"basic-test", []string{"(request-target)", "host", "date"}},
		{"all-headers-test", []string{"(request-target)", "host", "date", "content-type", "digest", "content-length"}},
	}
	for _, tc := range cases {
		t.Run(tc.anchor, func(t *testing.T) {
			rules := make([]Rule, len(tc.headers))
			for i, n := range tc.headers {
				rules[i] = Required(n)
			}
			// DigestWithBody with no Digest algorithm: the appendix's Digest header is kept as is.
			s := &Signer{Profile: Profile{Name: "appendix-c", Headers: rules}, KeyID: "Test", Key: c.key}
			method, uri, h, body := appendixRequest()
			res, err := s.Sign(method, uri, h, body)
			if err != nil {
				t.Fatal(err)
			}
			if res.SigningString != c.signing[tc.anchor] {
				t.Errorf("signing string\n got %q\nwant %q", res.SigningString, c.signing[tc.anchor])
			}
			wantAuth := c.auth[tc.anchor]
			if wantAuth == "" {
				t.Fatal("appendix has no Authorization header for this test")
			}
			p, err := ParseSignature(strings.TrimPrefix(wantAuth, "Signature "))
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Signature; got != b64(p.Signature) {
				t.Errorf("signature\n got %s\nwant %s", got, b64(p.Signature))
			}
			// The header, byte for byte: the default test omits the headers parameter.
			var want string
			if tc.anchor == "default-test" {
				want = FormatParams("Test", Algorithm, nil, res.Signature)
			} else {
				want = res.Header
			}
			if sig := c.sig[tc.anchor]; sig != "" && sig != want {
				t.Errorf("Signature header\n got %s\nwant %s", want, sig)
			}
			if "Signature "+want != wantAuth && tc.anchor != "basic-test" {
				t.Errorf("Authorization header\n got Signature %s\nwant %s", want, wantAuth)
			}
			// The basic test prints ", signature=" with a space; everything else is equal.
			if tc.anchor == "basic-test" && "Signature "+strings.Replace(want, `",signature=`, `", signature=`, 1) != wantAuth {
				t.Errorf("Authorization header\n got Signature %s\nwant %s", want, wantAuth)
			}
			if _, err := Verify(method, uri, h, body, &c.key.PublicKey); err != nil {
				t.Errorf("own signature does not verify: %v", err)
			}
		})
	}
}
