package consent

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/internal/specs"
	"github.com/payterm/payterm/lfi"
)

// Schema names in the official OpenAPI files.
const (
	schemaPAR         = "AEPushedAuthorizationRequestsV21.PushedAuthorizationRequestBody"
	schemaRAR         = "AEBankServiceInitiationRichAuthorizationRequestsV21.AEBankServiceInitiationAuthorizationDetailsProperties"
	schemaConsentPII  = "AEBankServiceInitiationRichAuthorizationRequests.AEDomesticPaymentPII"
	schemaPaymentPII  = "AEBankServiceInitiation.AEDomesticPaymentPIIProperties"
	urlEncodedJWTType = "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer" // the OpenAPI enum spells it encoded
)

// validateClaims checks request-object claims through the PAR body schema, whose "request"
// property describes the claims (closed: additionalProperties:false).
func validateClaims(t *testing.T, doc *specs.Doc, claims json.RawMessage) error {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"client_assertion_type": urlEncodedJWTType,
		"client_assertion":      "eyJhbGciOiJQUzI1NiJ9.e30.c2ln",
		"request":               claims,
	})
	if err != nil {
		t.Fatal(err)
	}
	return doc.Validate(schemaPAR, body)
}

var sealOnce sync.Once
var sealSigner *lfi.Signer
var sealKey *rsa.PrivateKey

// realJWE seals pii with lfi's real sealer, so the PersonalIdentifiableInformation string we
// validate is the exact shape we send.
func realJWE(t *testing.T, pii []byte) string {
	t.Helper()
	sealOnce.Do(func() {
		sig, _ := tppKeys(t)
		var err error
		if sealSigner, err = lfi.NewSigner(sig, "tpp-sig"); err != nil {
			panic(err)
		}
		if sealKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	jwe, err := lfi.SealPII(sealSigner, lfi.EncryptionKey{KeyID: "bank-enc", Key: &sealKey.PublicKey}, pii)
	if err != nil {
		t.Fatal(err)
	}
	return jwe
}

// TestConformanceBuilders validates every builder's output, in every beneficiary model and with
// every optional field, against the official schemas.
func TestConformanceBuilders(t *testing.T) {
	auth := specs.Require(t, specs.AuthorizationEndpoints)
	bankInit := specs.Require(t, specs.BankInitiation)

	full := CreditorInput{
		IBAN: validIBAN, AccountName: Name{EN: "Ivan David England", AR: "إيفان"}, TradingName: &Name{EN: "Ivan's Shop"},
		AccountType: CreditorMerchant, PartyName: "Ivan England",
		Agent:               &CreditorAgentInput{SchemeName: "BICFI", Identification: "MEBLAEAD", Name: "Sandbox Bank"},
		ConfirmationOfPayee: "eyJhbGciOiJQUzI1NiJ9.eyJ4IjoxfQ.c2ln",
	}
	models := map[string]ConsentPIIInput{
		"open":             {Model: OpenBeneficiary, Risk: testRisk},
		"open+debtor":      {Model: OpenBeneficiary, Debtor: &DebtorAccountInput{IBAN: validIBAN, Name: &Name{EN: "Me"}}, Risk: testRisk},
		"single":           {Model: SingleBeneficiary, Creditors: []CreditorInput{testCreditor(t, 1)}, Risk: testRisk},
		"single full":      {Model: SingleBeneficiary, Creditors: []CreditorInput{full}, Risk: testRisk},
		"multiple":         {Model: MultipleBeneficiaries, Creditors: []CreditorInput{testCreditor(t, 1), testCreditor(t, 2)}, Risk: testRisk},
		"multiple+debtor":  {Model: MultipleBeneficiaries, Creditors: []CreditorInput{full, testCreditor(t, 3)}, Debtor: &DebtorAccountInput{IBAN: validIBAN, Name: &Name{AR: "إيفان"}}, Risk: testRisk},
		"other agent type": {Model: SingleBeneficiary, Creditors: []CreditorInput{{IBAN: validIBAN, AccountName: Name{AR: "إيفان"}, Agent: &CreditorAgentInput{SchemeName: "Other", Identification: "033"}}}, Risk: testRisk},
	}
	for name, in := range models {
		t.Run(name, func(t *testing.T) {
			pii, err := BuildConsentPII(in)
			if err != nil {
				t.Fatal(err)
			}
			if err := auth.Validate(schemaConsentPII, pii.JSON); err != nil {
				t.Errorf("consent PII: %v", err)
			}
			for i, c := range pii.Creditors { // the same creditor, flat, at payment time
				if err := bankInit.ValidateValue(schemaPaymentPII, map[string]any{"Initiation": c, "Risk": json.RawMessage(`{}`)}); err != nil {
					t.Errorf("creditor %d as payment PII: %v", i, err)
				}
			}
			p := testParams()
			p.Permissions = []Permission{ReadAccountsDetail, ReadBalances, ReadRefundAccount}
			p.BaseConsentID = "0b7e4ac6-5b1d-4b80-9c3c-1f0f6e2a9d11"
			ad, err := BuildAuthorizationDetails(p, realJWE(t, pii.JSON), testNow)
			if err != nil {
				t.Fatal(err)
			}
			if err := auth.ValidateValue(schemaRAR, ad[0]); err != nil {
				t.Errorf("authorization_details[0]: %v", err)
			}
			in := testRequestInput(t)
			in.AuthorizationDetails, in.Scope = ad, Scope(p.Permissions)
			claims, err := NewRequestObjectClaims(in)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := json.Marshal(claims)
			if err := validateClaims(t, auth, raw); err != nil {
				t.Errorf("request object claims: %v", err)
			}
		})
	}
}

// TestConformanceValidatorBites proves the schema check can fail: the mistakes §12 of the
// digest lists are rejected by the same validation the tests above pass.
func TestConformanceValidatorBites(t *testing.T) {
	auth := specs.Require(t, specs.AuthorizationEndpoints)
	claims, err := NewRequestObjectClaims(testRequestInput(t))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(claims)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	m["iat"] = 1
	withIat, _ := json.Marshal(m)
	if validateClaims(t, auth, withIat) == nil {
		t.Error("an iat claim passed the closed request schema")
	}
	delete(m, "iat")
	m["aud"] = []string{"https://auth1.bank.example"}
	audArray, _ := json.Marshal(m)
	if validateClaims(t, auth, audArray) == nil {
		t.Error("an aud array passed")
	}
	pii, _ := BuildConsentPII(ConsentPIIInput{Model: OpenBeneficiary, Risk: testRisk})
	withCurrency := strings.Replace(string(pii.JSON), `{"Risk"`, `{"CurrencyRequest":{},"Risk"`, 1)
	if auth.Validate(schemaConsentPII, []byte(withCurrency)) == nil {
		t.Error("an unknown PII member passed")
	}
}

// recordingBank keeps what the flow really sent, for schema validation.
type recordingBank struct {
	Bank
	mu       sync.Mutex
	piis     [][]byte
	requests []string
}

func (r *recordingBank) SealPII(ctx context.Context, pii []byte) (string, error) {
	r.mu.Lock()
	r.piis = append(r.piis, append([]byte(nil), pii...))
	r.mu.Unlock()
	return r.Bank.SealPII(ctx, pii)
}

func (r *recordingBank) PushAuthorizationRequest(ctx context.Context, jws string) (string, time.Duration, error) {
	r.mu.Lock()
	r.requests = append(r.requests, jws)
	r.mu.Unlock()
	return r.Bank.PushAuthorizationRequest(ctx, jws)
}

// TestConformanceWhatWeSend validates the payloads of real onboardings against the sandbox:
// the request object's claims (decoded from the signed JWS that went to /par), its
// authorization_details and the consent PII plaintext.
func TestConformanceWhatWeSend(t *testing.T) {
	auth := specs.Require(t, specs.AuthorizationEndpoints)
	env := newSandboxEnv(t, true)
	rec := &recordingBank{Bank: env.lb}
	cfg := env.config()
	cfg.Bank = rec
	reqs := []OnboardingRequest{env.request(t, OpenBeneficiary, 0), env.request(t, SingleBeneficiary, 1), env.request(t, MultipleBeneficiaries, 4)}
	reqs[2].Params.Permissions = []Permission{ReadAccountsBasic, ReadBalances}
	for _, req := range reqs {
		if _, err := Onboard(context.Background(), cfg, req, Presentation{Headless: env.web}); err != nil {
			t.Fatal(err)
		}
	}
	if len(rec.piis) != 3 || len(rec.requests) != 3 {
		t.Fatalf("recorded %d PII, %d requests", len(rec.piis), len(rec.requests))
	}
	for i := range rec.requests {
		if err := auth.Validate(schemaConsentPII, rec.piis[i]); err != nil {
			t.Errorf("onboarding %d consent PII: %v", i, err)
		}
		parts := strings.Split(rec.requests[i], ".")
		if len(parts) != 3 {
			t.Fatalf("request object is not a compact JWS")
		}
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		if err := validateClaims(t, auth, payload); err != nil {
			t.Errorf("onboarding %d request object: %v", i, err)
		}
		var claims struct {
			AuthorizationDetails []json.RawMessage `json:"authorization_details"`
		}
		if err := json.Unmarshal(payload, &claims); err != nil || len(claims.AuthorizationDetails) != 1 {
			t.Fatalf("authorization_details: %v", err)
		}
		if err := auth.Validate(schemaRAR, claims.AuthorizationDetails[0]); err != nil {
			t.Errorf("onboarding %d authorization_details: %v", i, err)
		}
	}
}
