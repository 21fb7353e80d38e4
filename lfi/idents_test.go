package lfi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/payterm/payterm/internal/safetext"
)

// Terminal injection (issue 11): identifiers and codes from the bank are checked where they
// are decoded. Each case below was accepted before and reached a receipt, the ledger, the
// inspector or an export as it was.

func mutate(base map[string]any, path string, v any) []byte {
	m := deepCopy(base).(map[string]any)
	parts := strings.Split(path, ".")
	cur := m
	for _, p := range parts[:len(parts)-1] {
		cur = cur[p].(map[string]any)
	}
	cur[parts[len(parts)-1]] = v
	b, _ := json.Marshal(m)
	return b
}

func TestDecodePaymentRefusesHostileIdentifiers(t *testing.T) {
	base := paymentMessage("p-1")
	for name, tc := range map[string]struct {
		path string
		v    any
	}{
		"PaymentId with a C1 CSI":      {"Data.PaymentId", "p-1\u009b2J"},
		"PaymentId with an OSC":        {"Data.PaymentId", "p-1\x1b]2;T\x07"},
		"PaymentId with an override":   {"Data.PaymentId", "p-\u202e1"},
		"PaymentId not ASCII":          {"Data.PaymentId", "pé-1"},
		"ConsentId with a C1 OSC":      {"Data.ConsentId", "c-1\u009d0;T\u009c"},
		"ConsentId with an isolate":    {"Data.ConsentId", "c\u2066-1"},
		"Status with a control":        {"Data.Status", "Pending\x1b[2J"},
		"Status with a C1":             {"Data.Status", "Pend\u009bing"},
		"transaction id with a C1":     {"Data.PaymentTransactionId", "tx\u009b1"},
		"reference with an override":   {"Data.DebtorReference", "Inv \u202e00.125"},
		"billing type with an escape":  {"Data.OpenFinanceBilling", map[string]any{"Type": "PushP2P\x1b]2;T\x07"}},
		"Self link with an escape":     {"Links.Self", "https://rs/p/\x1b]2;T\x07"},
		"Related link with a C1":       {"Links.Related", "https://rs/c/\u009b"},
		"reject code with an escape":   {"Data.RejectReasonCode", []any{map[string]any{"Code": "AANI.AM04\x1b[2J", "Message": "m"}}},
		"reject code with a C1":        {"Data.RejectReasonCode", []any{map[string]any{"Code": "AANI.AM04\u009b", "Message": "m"}}},
		"reject code without a bound":  {"Data.RejectReasonCode", []any{map[string]any{"Code": "AANI." + strings.Repeat("A", 100), "Message": "m"}}},
		"reject code of two dots":      {"Data.RejectReasonCode", []any{map[string]any{"Code": "AANI.AM.04", "Message": "m"}}},
		"reject code with an override": {"Data.RejectReasonCode", []any{map[string]any{"Code": "\u202eAANI.AM04", "Message": "m"}}},
	} {
		if _, err := decodePayment(mutate(base, tc.path, tc.v)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !safetext.Clean(err.Error()) {
			t.Errorf("%s: the error quotes the value raw: %q", name, err)
		}
	}
	ok := mutate(mutate2(base, "Data.Status", "Rejected"), "Data.RejectReasonCode", []any{map[string]any{"Code": "AANI.AM04", "Message": "Fonds insuffisants \u2014 تم الرفض"}})
	if p, err := decodePayment(ok); err != nil || p.RejectReasons[0].Code != "AANI.AM04" {
		t.Fatalf("a plain rejection was refused: %v", err)
	}
	if p, err := decodePayment(mutate(base, "Data.DebtorReference", "فاتورة ٧")); err != nil || p.DebtorReference != "فاتورة ٧" {
		t.Fatalf("an Arabic reference was refused: %v", err)
	}
}

func mutate2(base map[string]any, path string, v any) map[string]any {
	var m map[string]any
	_ = json.Unmarshal(mutate(base, path, v), &m)
	return m
}

func TestDecodeConsentRefusesHostileIdentifiers(t *testing.T) {
	base := consentMessage("c-1")
	for name, tc := range map[string]struct {
		path string
		v    any
	}{
		"ConsentId with a C1 CSI":       {"Data.ConsentId", "c-1\u009b2J"},
		"ConsentId with an escape":      {"Data.ConsentId", "c-1\x1b]52;c;QUE=\x07"},
		"ConsentId with an override":    {"Data.ConsentId", "\u202ec-1"},
		"BaseConsentId with a C1":       {"Data.BaseConsentId", "b\u009d"},
		"Status with an override":       {"Data.Status", "Authorized\u202e"},
		"RevokedBy with an escape":      {"Data.RevokedBy", "LFI\x1b[2J"},
		"Permissions with a C1":         {"Data.Permissions", []any{"ReadConsent\u009b"}},
		"Self link with an escape":      {"Links.Self", "https://rs/\x1b"},
		"Related link with an override": {"Links.Related", []any{"https://rs/\u202e"}},
	} {
		if _, err := decodeConsent(mutate(base, tc.path, tc.v)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !safetext.Clean(err.Error()) {
			t.Errorf("%s: the error quotes the value raw: %q", name, err)
		}
	}
	if c, err := decodeConsent(mutate(base, "Data.RevokedBy", "TPP.InitiatedByUser")); err != nil || c.RevokedBy != "TPP.InitiatedByUser" {
		t.Fatalf("RevokedBy TPP.InitiatedByUser refused: %v", err)
	}
}

func TestDecodeErrorsChecksCodes(t *testing.T) {
	body := func(code, path string) []byte {
		b, _ := json.Marshal(map[string]any{"Errors": []any{map[string]any{"Code": code, "Message": "m", "Path": path}}})
		return b
	}
	for _, code := range []string{"GenericError", "GenericRecoverableError", "JWS.InvalidSignature", "Consent.BusinessRuleViolation", "AANI.AM04", "LFI.CreditorMismatch"} {
		if _, err := decodeErrors(body(code, "Data.Initiation")); err != nil {
			t.Errorf("%q refused: %v", code, err)
		}
	}
	for _, code := range []string{"bank.example\x1b]52;c;QUUw\x07\x1b]2;T\x07", "JWS.Invalid\u009bSignature", "JWS.\u202eInvalid", "GenericError\x07",
		"Generic Error", "A.B.C", "JWS.", ".Code", "invalid_request", strings.Repeat("A", 65) + ".B", "AANI.AM04\n"} {
		if _, err := decodeErrors(body(code, "")); err == nil {
			t.Errorf("code %q accepted", code)
		}
	}
	for _, path := range []string{"Data\x1b[2J", "Data\u009b", "Data.\u202eName", strings.Repeat("x", 501)} {
		if _, err := decodeErrors(body("GenericError", path)); err == nil {
			t.Errorf("path %q accepted", path)
		}
	}
}

func TestKIDMustBePrintableASCII(t *testing.T) {
	testKeys(t)
	for _, kid := range []string{"s1\u009b", "s1\x1b]2;T\x07", "\u202es1", "s1\x7f", "sé"} {
		b, _ := json.Marshal(map[string]any{"keys": []any{jwk(t, &bankSig.PublicKey, kid, "sig", "PS256")}})
		if _, err := parseJWKS(b); err == nil {
			t.Errorf("JWKS with kid %q accepted", kid)
		} else if !safetext.Clean(err.Error()) {
			t.Errorf("the JWKS error quotes the kid raw: %q", err)
		}
		jws := signWith(t, bankSig, kid, map[string]any{"exp": testNow.Add(time.Minute).Unix(), "message": map[string]any{}})
		if _, err := VerifyCompact([]byte(jws), &bankSig.PublicKey, VerifyOptions{Now: testNow}); err == nil {
			t.Errorf("JWS with kid %q verified", kid)
		} else if !safetext.Clean(err.Error()) {
			t.Errorf("the JWS error quotes the kid raw: %q", err)
		}
	}
	b, _ := json.Marshal(map[string]any{"keys": []any{jwk(t, &bankSig.PublicKey, "X7bm8z1JUh0BoWS-Y_u0rimdmbZoUINvF4ByjHnXQ-I", "sig", "PS256")}})
	if _, err := parseJWKS(b); err != nil {
		t.Errorf("a thumbprint kid was refused: %v", err)
	}
}

func TestOAuthErrorCodeOutsideRFC6749IsDropped(t *testing.T) {
	for body, want := range map[string]string{
		`{"error":"invalid_grant"}`:                    "invalid_grant",
		`{"error":"invalid_grant\u001b]2;T\u0007"}`:    "",
		`{"error":"invalid\u009bgrant"}`:               "",
		`{"error":"\u202einvalid_grant"}`:              "",
		`{"error":"say \"hi\""}`:                       "",
		`{"error":"` + strings.Repeat("x", 200) + `"}`: "",
	} {
		ex := &Exchange{}
		err := oauthError("token", &response{status: 400, body: []byte(body), header: http.Header{}, ex: ex}, testNow)
		var oe *OAuthError
		if !errors.As(err, &oe) || oe.Code != want || !safetext.Clean(err.Error()) {
			t.Errorf("%s: Code %q (want %q), Error %q", body, oe.Code, want, err)
		}
		for _, it := range ex.BankErrors { // what the inspector and the support bundle show
			if it.Code != want {
				t.Errorf("%s: the exchange records code %q", body, it.Code)
			}
		}
	}
}

// TestHostileIdentifierIsUnverifiable: a signed payment whose ConsentId carries a C1 CSI is not a
// payment: the call fails as unverifiable (the outcome is reconciled, never shown).
func TestHostileIdentifierIsUnverifiable(t *testing.T) {
	b := newStubLFI(t)
	c := newStubClient(t, b, &recorder{}, nil)
	calls := 0
	b.tokenRoute("cc", &calls)
	b.route("GET", "/open-finance/payment/v2.1/payments/p-1", func(w http.ResponseWriter, r *http.Request) {
		m := paymentMessage("p-1")
		m["Data"].(map[string]any)["ConsentId"] = "c-1\u009b2J"
		b.writeJWT(w, 200, m)
	})
	p, err := c.GetPayment(context.Background(), "p-1")
	if !errors.Is(err, ErrUnverifiable) || p != nil {
		t.Fatalf("GetPayment = %+v, %v; want ErrUnverifiable", p, err)
	}
	if !safetext.Clean(err.Error()) {
		t.Errorf("the error quotes the id raw: %q", err)
	}
}

// TestRejectMessageIsKeptBounded: a rejected payment's RejectReasonCode[].Message is the bank's
// free text; like Errors[].Message and error_description it is kept to maxBankText bytes (cut
// at a rune boundary), as SECURITY.md says, not stored in the ledger at whatever length the
// bank sent. A short message is kept exactly.
func TestRejectMessageIsKeptBounded(t *testing.T) {
	long := strings.Repeat("تم الرفض ", 200) // far past 500 bytes, multi-byte runes
	rej := mutate(mutate2(paymentMessage("p-1"), "Data.Status", "Rejected"), "Data.RejectReasonCode",
		[]any{map[string]any{"Code": "AANI.AM04", "Message": long}, map[string]any{"Code": "AANI.AM05", "Message": "short"}})
	p, err := decodePayment(rej)
	if err != nil {
		t.Fatal(err)
	}
	m := p.RejectReasons[0].Message
	if len(m) > maxBankText+len("…") || !strings.HasSuffix(m, "…") || !utf8.ValidString(m) || !strings.HasPrefix(long, strings.TrimSuffix(m, "…")) {
		t.Errorf("long reject message kept as %d bytes: %q", len(m), m)
	}
	if p.RejectReasons[1].Message != "short" {
		t.Errorf("short reject message = %q", p.RejectReasons[1].Message)
	}
}
