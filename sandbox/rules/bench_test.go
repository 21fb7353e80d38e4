package rules

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"testing"
)

// The rule engine's cost per payment is reported against the RSA work a payment
// unavoidably needs on the bank side (1 RSA-OAEP decrypt of the PII key, 2 RSA-PSS
// verifies: body and PII). Compare ns/op of the two benchmarks from the same run:
//
//	go test -run '^$' -bench 'PaymentRules|RSAFloor|StrictDecode|JSONBaseline' -benchtime 200x ./sandbox/rules/

func BenchmarkRSAFloor(b *testing.B) {
	k := keys()
	msg := sha256.Sum256([]byte("payment"))
	sig, err := rsa.SignPSS(rand.Reader, k.client, crypto.SHA256, msg[:], nil)
	if err != nil {
		b.Fatal(err)
	}
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &k.bank.PublicKey, make([]byte, 32), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := rsa.DecryptOAEP(sha256.New(), nil, k.bank, ct, nil); err != nil {
			b.Fatal(err)
		}
		for range 2 {
			if err := rsa.VerifyPSS(&k.client.PublicKey, crypto.SHA256, msg[:], sig, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkPaymentRules runs every rules check of one POST /payments.
func BenchmarkPaymentRules(b *testing.B) {
	claims := paymentClaimsFixture(b)
	consent, err := ConsentPII([]byte(consentPIIJSON), testClientID, Options{})
	if err != nil {
		b.Fatal(err)
	}
	claims["message"].(map[string]any)["Data"].(map[string]any)["PersonalIdentifiableInformation"] = sealedPII(b, paymentPIIJSON)
	body := sign(b, mustJSON(b, claims))
	h := goodHeaders()
	b.ResetTimer()
	for range b.N {
		if _, err := PaymentHeaders(h, testNow, Options{}); err != nil {
			b.Fatal(err)
		}
		sb, err := VerifyPaymentBody(body, clientKeyFor, testClientID, testIssuer, testNow, Options{})
		if err != nil {
			b.Fatal(err)
		}
		pr, err := PaymentRequest(sb.Message, Options{})
		if err != nil {
			b.Fatal(err)
		}
		plain, err := OpenPII(pr.PIIJWE, bankEncKeys(), clientKeyFor, Options{})
		if err != nil {
			b.Fatal(err)
		}
		pii, err := PaymentPII(plain, testClientID, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := RiskProvesSCA(pii.Risk, testNow, 300e9, Options{}); err != nil {
			b.Fatal(err)
		}
		if err := MatchCreditor(consent, pii); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStrictDecode and BenchmarkJSONBaseline: the strict decoder's cost over plain
// encoding/json on the largest shape (payment PII with a full Risk block).
func BenchmarkStrictDecode(b *testing.B) {
	data := []byte(paymentPIIJSON)
	for range b.N {
		var p paymentPIIPayload
		if err := DecodeStrict(data, &p, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONBaseline(b *testing.B) {
	data := []byte(paymentPIIJSON)
	for range b.N {
		var p paymentPIIPayload
		if err := json.Unmarshal(data, &p); err != nil {
			b.Fatal(err)
		}
	}
}
