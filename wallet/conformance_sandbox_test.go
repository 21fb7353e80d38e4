package wallet

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"github.com/payterm/payterm/provider/uae"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/payterm/payterm/consent"
	"github.com/payterm/payterm/internal/specs"
)

// Component names in the official OpenAPI files (shared/specs/uae-v2.1/README.md).
const (
	// uae-bank-initiation-openapi.yaml
	schemaPaymentSigned  = "AEPaymentRequestSigned" // allOf[AEJwt, {message: AEPaymentRequest}]
	schemaPaymentRequest = "AEPaymentRequest"
	schemaPaymentPII     = "AEBankServiceInitiation.AEDomesticPaymentPIIProperties" // flat Initiation + Risk
	schemaPaymentRisk    = "AERisk"
	// uae-authorization-endpoints-openapi.yaml
	schemaConsentPII  = "AEBankServiceInitiationRichAuthorizationRequests.AEDomesticPaymentPII"
	schemaConsentRisk = "AEBankServiceInitiationRichAuthorizationRequests.AERisk" // nested objects closed
)

// wireLog records every request body the real lfi client puts on the wire, so the test
// validates what the bank received rather than what the code meant to send.
type wireLog struct {
	mu       sync.Mutex
	payments [][]byte // bodies of POST …/payments
	pars     []string // the request objects of POST …/par
}

func (l *wireLog) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if req.Method != http.MethodPost || req.Body == nil {
			return next.RoundTrip(req)
		}
		body, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		clone := req.Clone(req.Context())
		clone.Body = io.NopCloser(bytes.NewReader(body))
		clone.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		l.mu.Lock()
		switch {
		case strings.HasSuffix(req.URL.Path, "/payments"):
			l.payments = append(l.payments, body)
		case strings.HasSuffix(req.URL.Path, "/par"):
			if form, err := url.ParseQuery(string(body)); err == nil {
				l.pars = append(l.pars, form.Get("request"))
			}
		}
		l.mu.Unlock()
		return next.RoundTrip(clone)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// bankEncKey reads the sandbox's use=enc private key from its data directory and returns it
// with its kid (the RFC 7638 thumbprint the bank publishes).
func bankEncKey(t *testing.T, dataDir string) (*rsa.PrivateKey, string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dataDir, "enc-key.pem"))
	if err != nil {
		t.Fatalf("sandbox enc key: %v", err)
	}
	blk, _ := pem.Decode(raw)
	if blk == nil {
		t.Fatal("sandbox enc key: no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatalf("sandbox enc key: %v", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		t.Fatalf("sandbox enc key is %T", k)
	}
	tp, err := (&jose.JSONWebKey{Key: &rk.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return rk, base64.RawURLEncoding.EncodeToString(tp)
}

// verifiedPayload checks a compact JWS with go-jose directly (not with the lfi code under
// test): PS256 only, our kid, our public key. Only then is its payload returned.
func verifiedPayload(compact string, pub *rsa.PublicKey) ([]byte, error) {
	obj, err := jose.ParseSigned(compact, []jose.SignatureAlgorithm{jose.PS256})
	if err != nil {
		return nil, err
	}
	if len(obj.Signatures) != 1 || obj.Signatures[0].Header.KeyID != "tpp-sig" {
		return nil, errors.New("want exactly one signature with kid tpp-sig")
	}
	return obj.Verify(pub)
}

// openPII decrypts a PII JWE with the bank's enc key (RSA-OAEP-256 + A256GCM, the bank's kid
// in the header) and verifies the JWS inside with the TPP's public key.
func openPII(t *testing.T, jwe string, encKey *rsa.PrivateKey, encKID string, sigPub *rsa.PublicKey) []byte {
	t.Helper()
	obj, err := jose.ParseEncrypted(jwe, []jose.KeyAlgorithm{jose.RSA_OAEP_256}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		t.Fatalf("PII is not a compact JWE with RSA-OAEP-256/A256GCM: %v", err)
	}
	if obj.Header.KeyID != encKID {
		t.Fatalf("PII JWE kid is not the bank's enc key")
	}
	inner, err := obj.Decrypt(encKey)
	if err != nil {
		t.Fatalf("decrypt PII with the bank's enc key: %v", err)
	}
	pii, err := verifiedPayload(string(inner), sigPub)
	if err != nil {
		t.Fatalf("PII JWS does not verify with the TPP key: %v", err)
	}
	return pii
}

// decodeObject decodes a JSON object keeping numbers exact (for mutation and re-encoding).
func decodeObject(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode JSON object: %v", err)
	}
	return m
}

// obj walks nested objects by key; it fails the test when a member is missing.
func obj(t *testing.T, m map[string]any, keys ...string) map[string]any {
	t.Helper()
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			t.Fatalf("member %q is missing or not an object", k)
		}
		m = next
	}
	return m
}

// mutated re-encodes a copy of raw after fn changed it.
func mutated(t *testing.T, raw []byte, fn func(m map[string]any)) []byte {
	t.Helper()
	m := decodeObject(t, raw)
	fn(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustReject proves the schema check bites: the mutated value must fail with a schema
// problem at or under path.
func mustReject(t *testing.T, doc *specs.Doc, schema string, raw []byte, path, what string) {
	t.Helper()
	err := doc.Validate(schema, raw)
	var ve *specs.ValidationError
	if !errors.As(err, &ve) {
		t.Errorf("negative control %q: %s accepted it (err %v)", what, schema, err)
		return
	}
	for _, p := range ve.Problems {
		// Under allOf, kin-openapi reports the inner location in the reason.
		if strings.HasPrefix(p.Path, path) || strings.Contains(p.Reason, `Error at "`+path) {
			return
		}
	}
	t.Errorf("negative control %q: rejected, but not at %s: %v", what, path, err)
}

func compact(t *testing.T, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestSandboxPaymentConformsToOfficialSchemas runs a real onboarding and a real payment
// through the wallet against the embedded sandbox, for each beneficiary model, takes the
// signed request the ledger persisted (and proves it is the byte string that went on the
// wire), verifies it with the TPP's public key, decrypts the PII with the bank's enc key, and
// validates every layer against the official v2.1 schemas: the claims and `message`, the
// payment PII with its Risk, and the consent-time PII with its Risk as the onboarding sent it.
func TestSandboxPaymentConformsToOfficialSchemas(t *testing.T) {
	bankInit := specs.Require(t, specs.BankInitiation)
	authEP := specs.Require(t, specs.AuthorizationEndpoints)
	sigKey, _ := tppKeys(t)

	for _, tc := range []struct {
		name      string
		creditors int
		model     BeneficiaryModel
	}{
		{"single", 1, BeneficiaryOne},
		{"list", 3, BeneficiaryList},
		{"open, payee typed at payment time", 0, BeneficiaryOpen},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dataDir := filepath.Join(t.TempDir(), "bank")
			b := newBankEnvIn(t, dataDir)
			encKey, encKID := bankEncKey(t, dataDir)
			wire := &wireLog{}
			e := newWalletEnv(t, b, Limits{})
			// Everything the wallet and the onboarding send goes through the recording transport.
			e.client = b.client(t, wire.wrap)
			e.tokens = uae.NewConsentTokens(e.store, uae.OneBank(consent.NewLFIBank(e.client).Refresh), nil)
			e.wallet = e.newWallet(t, e.client, e.tokens, Limits{}, nil)

			c := e.onboard(t, tc.creditors, "")
			if c.Model != tc.model {
				t.Fatalf("consent model = %s, want %s", c.Model, tc.model)
			}
			p, err := e.pay(t, "1,250.5", nil)
			if err != nil {
				t.Fatalf("pay: %v\n%s", err, verdicts(b))
			}
			if p.Status.Outcome() != OutcomeSuccessful {
				t.Fatalf("payment status = %s\n%s", p.Status, verdicts(b))
			}
			stored, err := e.ledger.Payment(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			wire.mu.Lock()
			sent, pars := wire.payments, wire.pars
			wire.mu.Unlock()
			if len(sent) != 1 || !bytes.Equal(sent[0], stored.Request) {
				t.Fatalf("%d POST /payments; the one sent must be the ledger's exact bytes", len(sent))
			}
			if len(pars) != 1 {
				t.Fatalf("%d PAR requests, want 1", len(pars))
			}

			// The signed request: verified before anything in it is read.
			claims, err := verifiedPayload(string(stored.Request), &sigKey.PublicKey)
			if err != nil {
				t.Fatalf("the persisted request does not verify with the TPP key: %v", err)
			}
			checkPaymentClaims(t, claims, b)
			if err := bankInit.Validate(schemaPaymentSigned, claims); err != nil {
				t.Errorf("signed payment request: %v", err)
			}
			top := decodeObject(t, claims)
			message, err := json.Marshal(top["message"])
			if err != nil {
				t.Fatal(err)
			}
			if err := bankInit.Validate(schemaPaymentRequest, message); err != nil {
				t.Errorf("payment message: %v", err)
			}
			data := obj(t, decodeObject(t, message), "Data")
			if data["ConsentId"] != c.ID || obj(t, data, "Instruction", "Amount")["Amount"] != "1250.50" ||
				obj(t, data, "Instruction", "Amount")["Currency"] != "AED" {
				t.Errorf("message Data does not carry this payment's consent and amount")
			}
			jwe, ok := data["PersonalIdentifiableInformation"].(string)
			if !ok {
				t.Fatal("PersonalIdentifiableInformation is not the encrypted string form")
			}

			// The payment PII as the bank decrypts it.
			pii := openPII(t, jwe, encKey, encKID, &sigKey.PublicKey)
			if err := bankInit.Validate(schemaPaymentPII, pii); err != nil {
				t.Errorf("payment PII: %v", err)
			}
			piiObj := decodeObject(t, pii)
			if _, ok := obj(t, piiObj, "Initiation")["DebtorAccount"]; ok {
				t.Error("payment PII Initiation carries a DebtorAccount (consent-time shape)")
			}
			riskRaw, err := json.Marshal(piiObj["Risk"])
			if err != nil {
				t.Fatal(err)
			}
			if err := bankInit.Validate(schemaPaymentRisk, riskRaw); err != nil {
				t.Errorf("payment Risk: %v", err)
			}
			// A strict bank also closes the nested objects the payment-time file leaves open
			// (uae-spec §11 rule 20): the consent-time schema is that closed shape, its
			// AccountType enum (a different one) apart.
			closed := mutated(t, riskRaw, func(m map[string]any) { delete(obj(t, m, "CreditorIndicators"), "AccountType") })
			if err := authEP.Validate(schemaConsentRisk, closed); err != nil {
				t.Errorf("payment Risk with nested objects closed: %v", err)
			}
			checkPaymentRisk(t, piiObj, e, tc.model != BeneficiaryOpen)

			// The consent-time PII the onboarding sealed into the PAR request object.
			parClaims, err := verifiedPayload(pars[0], &sigKey.PublicKey)
			if err != nil {
				t.Fatalf("the PAR request object does not verify with the TPP key: %v", err)
			}
			var ro struct {
				AuthorizationDetails []struct {
					Consent struct {
						PII string `json:"PersonalIdentifiableInformation"`
					} `json:"consent"`
				} `json:"authorization_details"`
			}
			if err := json.Unmarshal(parClaims, &ro); err != nil || len(ro.AuthorizationDetails) != 1 {
				t.Fatalf("request object authorization_details: %v", err)
			}
			consentPII := openPII(t, ro.AuthorizationDetails[0].Consent.PII, encKey, encKID, &sigKey.PublicKey)
			if err := authEP.Validate(schemaConsentPII, consentPII); err != nil {
				t.Errorf("consent PII: %v", err)
			}
			cpObj := decodeObject(t, consentPII)
			consentRisk, err := json.Marshal(cpObj["Risk"])
			if err != nil {
				t.Fatal(err)
			}
			if err := authEP.Validate(schemaConsentRisk, consentRisk); err != nil {
				t.Errorf("consent Risk: %v", err)
			}
			bound := e.auth.Status().DeviceBindingID
			if got := obj(t, cpObj, "Risk", "DebtorIndicators", "DeviceInformation")["DeviceBindingId"]; bound == "" || got != bound {
				t.Error("consent Risk does not name the enrolled device key's binding")
			}
			checkCreditorCopied(t, cpObj, piiObj, tc.creditors)
			// Both Risk blocks date the onboarding from the one documented source: the SCA
			// enrolment (the device binding), not the ledger's first-consent time.
			enrolled := e.auth.Status().BoundAt.UTC().Format(time.RFC3339)
			for what, m := range map[string]map[string]any{"consent": cpObj, "payment": piiObj} {
				if got := obj(t, m, "Risk", "DebtorIndicators", "AccountRiskIndicators")["UserOnboardingDateTime"]; got != enrolled {
					t.Errorf("%s Risk UserOnboardingDateTime = %v, want the enrolment time %s", what, got, enrolled)
				}
			}

			negativeControls(t, bankInit, authEP, stored.Request, claims, message, pii, consentPII)
		})
	}
}

// checkPaymentClaims: the AEJwt claims a strict bank checks beyond the schema (iss, aud,
// a lifetime of at most 5 minutes, nbf not after iat).
func checkPaymentClaims(t *testing.T, claims []byte, b *bankEnv) {
	t.Helper()
	var c struct {
		Iss           string   `json:"iss"`
		Aud           []string `json:"aud"`
		Iat, Nbf, Exp int64
	}
	if err := json.Unmarshal(claims, &c); err != nil {
		t.Fatal(err)
	}
	if c.Iss != b.clientID || len(c.Aud) != 1 || c.Aud[0] != b.bank.Issuer() {
		t.Errorf("iss/aud = %q/%q, want our client id and the bank's issuer", c.Iss, c.Aud)
	}
	if c.Iat == 0 || c.Nbf > c.Iat || c.Exp <= c.Iat || c.Exp-c.Iat > 300 {
		t.Errorf("iat %d nbf %d exp %d: want nbf ≤ iat < exp ≤ iat+300", c.Iat, c.Nbf, c.Exp)
	}
}

// checkPaymentRisk: the Risk is the one of this SCA on this device, not a placeholder.
func checkPaymentRisk(t *testing.T, pii map[string]any, e *walletEnv, savedPayee bool) {
	t.Helper()
	debtor := obj(t, pii, "Risk", "DebtorIndicators")
	auth := obj(t, debtor, "Authentication")
	if auth["ChallengeOutcome"] != "Pass" || auth["ChallengeDateTime"] == nil || auth["AuthenticationValue"] == nil {
		t.Error("payment Risk Authentication does not record a passed challenge with its evidence")
	}
	if got := obj(t, debtor, "DeviceInformation")["DeviceBindingId"]; got != e.auth.Status().DeviceBindingID {
		t.Error("payment Risk does not name the enrolled device key's binding")
	}
	if got := obj(t, pii, "Risk", "CreditorIndicators")["IsCreditorPrePopulated"]; got != savedPayee {
		t.Errorf("IsCreditorPrePopulated = %v, want %v", got, savedPayee)
	}
}

// checkCreditorCopied: for a single or list consent the payment names one of the consent's
// creditors exactly (a strict bank compares them, rule 32); an open consent has none.
func checkCreditorCopied(t *testing.T, consentPII, paymentPII map[string]any, creditors int) {
	t.Helper()
	var list []any
	if init, ok := consentPII["Initiation"].(map[string]any); ok { // an open consent may omit it
		list, _ = init["Creditor"].([]any)
	}
	if len(list) != creditors {
		t.Fatalf("consent PII names %d creditors, want %d", len(list), creditors)
	}
	if creditors == 0 {
		return
	}
	paid, err := json.Marshal(paymentPII["Initiation"])
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(compact(t, b), compact(t, paid)) {
			return
		}
	}
	t.Error("the payment's Initiation is not one of the consent's creditors")
}

// negativeControls mutate the real values just validated, one rule at a time, and require
// the same validation to reject each: the checks above cannot pass vacuously.
func negativeControls(t *testing.T, bankInit, authEP *specs.Doc, request, claims, message, pii, consentPII []byte) {
	t.Helper()
	mustReject(t, bankInit, schemaPaymentSigned, mutated(t, claims, func(m map[string]any) {
		obj(t, m, "message", "Data")["Bogus"] = "x"
	}), "/message/Data", "unknown member in message.Data")
	mustReject(t, bankInit, schemaPaymentSigned, mutated(t, claims, func(m map[string]any) {
		delete(m, "nbf")
	}), "/", "claims without nbf")
	mustReject(t, bankInit, schemaPaymentRequest, mutated(t, message, func(m map[string]any) {
		obj(t, m, "Data", "Instruction", "Amount")["Amount"] = "1250.5"
	}), "/Data/Instruction/Amount/Amount", "amount without two decimals")
	mustReject(t, bankInit, schemaPaymentRequest, mutated(t, message, func(m map[string]any) {
		delete(obj(t, m, "Data"), "OpenFinanceBilling")
	}), "/Data", "message without OpenFinanceBilling")

	mustReject(t, bankInit, schemaPaymentPII, mutated(t, pii, func(m map[string]any) {
		m["Bogus"] = "x"
	}), "/", "unknown member in the payment PII")
	mustReject(t, bankInit, schemaPaymentPII, mutated(t, pii, func(m map[string]any) {
		obj(t, m, "Initiation")["DebtorAccount"] = map[string]any{"SchemeName": "IBAN", "Identification": "AE070331234567890123456"}
	}), "/Initiation", "consent-time DebtorAccount in the payment Initiation")
	mustReject(t, bankInit, schemaPaymentPII, mutated(t, pii, func(m map[string]any) {
		obj(t, m, "Risk", "CreditorIndicators")["AccountType"] = "CurrentAccount"
	}), "/Risk/CreditorIndicators/AccountType", "consent-time AccountType enum at payment time")
	mustReject(t, bankInit, schemaPaymentPII, mutated(t, pii, func(m map[string]any) {
		obj(t, m, "Risk")["Bogus"] = map[string]any{}
	}), "/Risk", "unknown member in the payment Risk")

	mustReject(t, authEP, schemaConsentPII, mutated(t, consentPII, func(m map[string]any) {
		obj(t, m, "Risk", "DebtorIndicators")["Bogus"] = "x"
	}), "/Risk/DebtorIndicators", "unknown member in the closed consent-time Risk")
	mustReject(t, authEP, schemaConsentPII, mutated(t, consentPII, func(m map[string]any) {
		m["Bogus"] = "x"
	}), "/", "unknown member in the consent PII")
	if _, ok := decodeObject(t, consentPII)["Initiation"]; ok {
		mustReject(t, authEP, schemaConsentPII, mutated(t, consentPII, func(m map[string]any) {
			obj(t, m, "Initiation")["Bogus"] = "x"
		}), "/Initiation", "unknown member in the consent Initiation")
	}

	// The signature check is not vacuous either: another key, or a changed payload, fails.
	sigKey, _ := tppKeys(t)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifiedPayload(string(request), &other.PublicKey); err == nil {
		t.Error("the signed request verified with a key that did not sign it")
	}
	parts := strings.Split(string(request), ".")
	parts[1] = base64.RawURLEncoding.EncodeToString(mutated(t, claims, func(m map[string]any) {
		obj(t, m, "message", "Data", "Instruction", "Amount")["Amount"] = "9999.00"
	}))
	if _, err := verifiedPayload(strings.Join(parts, "."), &sigKey.PublicKey); err == nil {
		t.Error("the signed request verified after its amount was changed")
	}
}
