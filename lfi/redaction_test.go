package lfi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// TestSecretsNeverReachExchangesOrErrors seeds known secrets through every path that carries
// one and greps everything an observer, a log or an error string could show.
func TestSecretsNeverReachExchangesOrErrors(t *testing.T) {
	b := newStubLFI(t)
	rec := &recorder{}
	c := newStubClient(t, b, rec, nil)
	const (
		code     = "SEKRET-CODE-1"
		verifier = "SEKRET-VERIFIER-0123456789012345678901234567"
		at       = "SEKRET-ACCESS-2"
		rt       = "SEKRET-REFRESH-3"
		idt      = "SEKRET-IDTOKEN-4"
	)
	var assertions []string
	b.route("POST", "/as/token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		assertions = append(assertions, r.PostForm.Get("client_assertion"))
		if r.PostForm.Get("grant_type") == "refresh_token" {
			w.WriteHeader(400)
			_, _ = fmt.Fprintf(w, `{"error":"invalid_grant","error_description":"bad %s"}`, rt)
			return
		}
		_, _ = fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":600,"refresh_token":%q,"id_token":%q}`, at, rt, idt)
	})
	b.route("POST", "/open-finance/payment/v2.1/payments", func(w http.ResponseWriter, r *http.Request) {
		b.writeJWT(w, 400, map[string]any{"Errors": []any{map[string]any{"Code": "Consent.Invalid", "Message": "token " + at + " refused"}}})
	})
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))

	tr, err := c.TokenAuthorizationCode(context.Background(), code, "https://tpp/cb", verifier)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("token", "resp", tr, "at", tr.AccessToken)
	var errs []error
	_, err = c.TokenRefresh(context.Background(), Secret(rt))
	errs = append(errs, err)
	body, _ := c.SignPayment([]byte(`{"Data":{}}`))
	_, err = c.CreatePayment(context.Background(), tr.AccessToken, SignedPayment{IdempotencyKey: "k", Body: body, AuthDate: testNow, CustomerIP: "10.1.2.3"})
	errs = append(errs, err)

	var dump strings.Builder
	for _, e := range rec.exchanges {
		fmt.Fprintf(&dump, "%+v\n%#v\n", e, e)
		j, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		dump.Write(j)
	}
	for _, e := range errs {
		if e == nil {
			t.Fatal("expected an error")
		}
		fmt.Fprintf(&dump, "%v\n%+v\n", e, e)
	}
	fmt.Fprintf(&dump, "%v %+v %#v %s\n", tr, *tr, tr, tr.RefreshToken)
	j, _ := json.Marshal(tr)
	dump.Write(j)
	dump.WriteString(logs.String())

	out := dump.String()
	if strings.Contains(out, "SEKRET") {
		i := strings.Index(out, "SEKRET")
		t.Fatalf("a secret leaked: …%s…", out[max(0, i-80):min(len(out), i+40)])
	}
	for _, a := range assertions {
		sig := a[strings.LastIndex(a, ".")+1:]
		if a == "" || strings.Contains(out, sig) {
			t.Fatal("a client assertion leaked (or none was sent)")
		}
	}
	// A bank echoing our credential in its error text is scrubbed too.
	var be *BankError
	if !errors.As(errs[1], &be) || be.Errors[0].Message != "token "+redacted+" refused" {
		t.Errorf("bank message not scrubbed: %+v", be)
	}
	// The redacted views still say what was sent, for the inspector.
	var first Exchange
	for _, e := range rec.exchanges {
		if e.Op == "token authorization_code" {
			first = e
		}
	}
	if first.Form.Get("code") != redacted || first.Form.Get("grant_type") != "authorization_code" || first.ResponseJSON["token_type"] != "Bearer" {
		t.Errorf("token exchange view = form %v, json %v", first.Form, first.ResponseJSON)
	}
	var sawAssertion bool
	for _, p := range first.Sent {
		if p.Label == "client assertion" && p.Claims["sub"] == "client-1" {
			sawAssertion = true
		}
	}
	if !sawAssertion {
		t.Errorf("client assertion claims not shown: %+v", first.Sent)
	}
	if tr.AccessToken.Reveal() != at {
		t.Error("Reveal lost the token")
	}
}

func TestExchangeShowsVerificationAndMarksPII(t *testing.T) {
	b := newStubLFI(t)
	rec := &recorder{}
	c := newStubClient(t, b, rec, nil)
	b.route("POST", "/open-finance/payment/v2.1/payments", func(w http.ResponseWriter, r *http.Request) {
		b.writeJWT(w, 201, paymentMessage("p-1"))
	})
	jwe, err := c.SealPII(context.Background(), []byte(`{"Initiation":{"CreditorAccount":{"Name":{"en":"Ivan England"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := c.SignPayment([]byte(fmt.Sprintf(`{"Data":{"ConsentId":"c-1","PersonalIdentifiableInformation":%q,"DebtorReference":"Rent for Ivan"}}`, jwe)))
	if _, err := c.CreatePayment(context.Background(), "tok", SignedPayment{IdempotencyKey: "k", Body: body, AuthDate: testNow, CustomerIP: "10.1.2.3", UserAgent: "ua"}); err != nil {
		t.Fatal(err)
	}
	e := rec.exchanges[len(rec.exchanges)-1]
	if e.Verification == nil || !e.Verification.OK || e.Verification.KeyID != "bank-sig-1" {
		t.Errorf("verification = %+v", e.Verification)
	}
	labels := map[string]JOSEPart{}
	for _, p := range append(e.Sent, e.Received...) {
		labels[p.Label] = p
	}
	req, ok := labels["payment request"]
	if !ok || req.Header["kid"] != "tpp-kid" {
		t.Fatalf("sent parts = %+v", e.Sent)
	}
	if h := labels["PII (JWE header)"].Header; h["alg"] != "RSA-OAEP-256" || h["kid"] != "bank-enc-1" {
		t.Errorf("JWE header part = %v", h)
	}
	if _, ok := labels["response"]; !ok {
		t.Error("response claims not shown")
	}
	hidden := e.WithoutPII()
	dump := fmt.Sprintf("%+v", hidden)
	for _, pii := range []string{"Rent for Ivan", jwe, "10.1.2.3"} {
		if strings.Contains(dump, pii) {
			t.Errorf("WithoutPII still shows %q", pii[:min(len(pii), 20)])
		}
	}
	if !strings.Contains(fmt.Sprintf("%+v", e), "Rent for Ivan") {
		t.Error("the unmasked exchange should keep personal data for the sandbox view")
	}
}

// TestWithoutPIIMasksTheRawRequestObject: the PAR form's request member is the signed
// request object whose claims Sent shows decoded and marked; masking the decoded claims but
// leaving the base64 would still show the personal data.
func TestWithoutPIIMasksTheRawRequestObject(t *testing.T) {
	b := newStubLFI(t)
	rec := &recorder{}
	c := newStubClient(t, b, rec, nil)
	b.route("POST", "/as/par", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"request_uri":"urn:ietf:params:oauth:request_uri:abc","expires_in":90}`)
	})
	ro, err := c.cfg.Signer.SignClaims(map[string]any{"client_id": "client-1", "login_hint": "Ivan England"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PAR(context.Background(), ro); err != nil {
		t.Fatal(err)
	}
	e := rec.exchanges[len(rec.exchanges)-1]
	if e.Form.Get("request") != ro {
		t.Fatalf("the unmasked exchange should keep the request object for the sandbox view, form = %v", e.Form)
	}
	hidden := e.WithoutPII()
	if got := hidden.Form.Get("request"); got != "[PII]" {
		t.Errorf("WithoutPII form request = %.40q, want [PII]", got)
	}
	if dump := fmt.Sprintf("%+v", hidden); strings.Contains(dump, ro) || strings.Contains(dump, "Ivan England") {
		t.Error("WithoutPII still shows the request object or its login_hint")
	}
	if hidden.Form.Get("grant_type") != e.Form.Get("grant_type") || hidden.Form.Get("client_id") != "client-1" {
		t.Errorf("WithoutPII changed other form members: %v", hidden.Form)
	}
	if e.Form.Get("request") != ro {
		t.Error("WithoutPII modified the original exchange's form")
	}
}
