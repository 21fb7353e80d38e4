package app

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/payterm/payterm/ui"
)

// openPaymentPII decrypts the PII JWE of the latest POST /payments in a's trace exactly as the
// embedded sandbox does — with the bank's enc key from its data dir, go-jose directly, the
// inner JWS verified with the TPP's signing key — and returns the plaintext as inspector fields.
func openPaymentPII(t *testing.T, a *App) []ui.Field {
	t.Helper()
	ex, ok := a.trace.last("create payment")
	if !ok {
		t.Fatal("no POST /payments in the trace")
	}
	jwe := ""
	for _, p := range ex.Sent {
		if jwe = findString(p.Claims, "PersonalIdentifiableInformation"); jwe != "" {
			break
		}
	}
	if jwe == "" {
		t.Fatal("the payment request carries no PII JWE")
	}
	raw, err := os.ReadFile(filepath.Join(a.DataDir(), "sandbox", "enc-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(raw)
	if blk == nil {
		t.Fatal("enc-key.pem holds no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := jose.ParseEncrypted(jwe, []jose.KeyAlgorithm{jose.RSA_OAEP_256}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		t.Fatal(err)
	}
	inner, err := obj.Decrypt(k.(*rsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSigned(string(inner), []jose.SignatureAlgorithm{jose.PS256})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := jws.Verify(a.banks[0].id.SigningKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	return flatten("", m, nil)
}

// sealedOf is the Sealed section of the inspection's POST /payments step.
func sealedOf(t *testing.T, in ui.Inspection) []ui.Field {
	t.Helper()
	for _, s := range in.Steps {
		if s.Name == sequence[seqPost].name {
			if s.Exchange == nil {
				t.Fatal("the POST /payments step has no exchange")
			}
			return s.Exchange.Sealed
		}
	}
	t.Fatal("no POST /payments step")
	return nil
}

// assertSealedIsTheBanksPlaintext: on the sandbox the inspector's Sealed section is, field for
// field, what the bank decrypts; every field is marked PII.
func assertSealedIsTheBanksPlaintext(t *testing.T, a *App, in ui.Inspection, payee ui.PayeeDraft) {
	t.Helper()
	got, want := sealedOf(t, in), openPaymentPII(t, a)
	if len(got) == 0 || len(got) != len(want) {
		t.Fatalf("sealed shows %d fields, the bank decrypts %d", len(got), len(want))
	}
	seen := map[string]bool{}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Value != want[i].Value || !got[i].PII {
			t.Errorf("sealed field %d = %+v, the bank decrypts %s = %q", i, got[i], want[i].Name, want[i].Value)
		}
		seen[got[i].Value] = true
		if strings.HasPrefix(got[i].Name, "Risk.") {
			seen["Risk"] = true
		}
	}
	if !seen[payee.IBAN] || !seen[payee.Name] || !seen["Risk"] {
		t.Errorf("sealed lacks the payee's IBAN, name or the Risk block: %+v", got)
	}
}

func TestSealedLogBoundsAndMasks(t *testing.T) {
	l := newSealedLog(false)
	l.record("jwe-a", []byte(`{"Initiation":{"CreditorAccount":{"Identification":"AE070331234567890123456"}},"Risk":{"X":1}}`))
	f, ok := l.fields("jwe-a")
	if !ok || len(f) != 2 {
		t.Fatalf("fields: %v %+v", ok, f)
	}
	for _, x := range f {
		if x.Value != "[PII]" || !x.PII {
			t.Errorf("off the sandbox a sealed value is kept: %+v", x)
		}
	}
	l.record("not-json", []byte(`[1,2]`))
	if _, ok := l.fields("not-json"); ok {
		t.Error("a plaintext that is not an object was kept")
	}
	shown := newSealedLog(true)
	for i := range sealedKept + 5 {
		shown.record(string(rune('A'+i)), []byte(`{"n":1}`))
	}
	if _, ok := shown.fields("A"); ok {
		t.Error("the oldest plaintext outlived the bound")
	}
	if f, ok := shown.fields(string(rune('A' + sealedKept + 4))); !ok || f[0].Value != "1" {
		t.Errorf("the newest plaintext is missing: %v %+v", ok, f)
	}
}
