package uae

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/provider"
	"github.com/payterm/payterm/risk"
)

// fakeClient records the PII it is asked to seal and answers CoP as told. It is a unit-test
// double of the bank client; the real exchange is tested against the sandbox (wallet, app).
type fakeClient struct {
	Client
	sealed []byte
	cop    func(iban string, name lfi.CoPName) (*lfi.CoPResult, error)
	asked  []lfi.CoPName
}

func (f *fakeClient) SealPII(_ context.Context, pii []byte) (string, error) {
	f.sealed = append([]byte(nil), pii...)
	return "h.k.iv.ct.tag", nil
}

func (f *fakeClient) SignPayment(msg []byte) ([]byte, error) {
	claims, _ := json.Marshal(map[string]any{"exp": time.Now().Add(5 * time.Minute).Unix(), "message": json.RawMessage(msg)})
	return []byte("e30." + base64.RawURLEncoding.EncodeToString(claims) + ".sig"), nil
}

func (f *fakeClient) ConfirmationOfPayee(_ context.Context, iban string, name lfi.CoPName) (*lfi.CoPResult, error) {
	f.asked = append(f.asked, name)
	return f.cop(iban, name)
}

type noTokens struct{ Tokens }

const testIBAN = "AE070331234567890123456"

func testBank(t *testing.T, c *fakeClient) *Bank {
	t.Helper()
	b, err := New(Config{Name: "Test", Client: c, Tokens: noTokens{}, Device: risk.Device{Type: risk.DeviceDesktop, OS: "Linux"},
		CustomerIP: "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckPayeeNameMapsEveryAnswer(t *testing.T) {
	for _, tc := range []struct {
		res    *lfi.CoPResult
		err    error
		want   provider.PayeeAnswer
		name   string
		hasErr bool
	}{
		{res: &lfi.CoPResult{Match: lfi.CoPMatchYes, JWS: "a.b.c"}, want: provider.PayeeMatch},
		{res: &lfi.CoPResult{Match: lfi.CoPMatchPartial, MaskedName: "Fatima Al Mansouri", JWS: "a.b.c"}, want: provider.PayeeCloseMatch, name: "Fatima Al Mansouri"},
		{res: &lfi.CoPResult{Match: lfi.CoPMatchNo, JWS: "a.b.c"}, want: provider.PayeeNoMatch},
		{res: &lfi.CoPResult{OptedOut: true}, want: provider.PayeeOptedOut},
		{err: fmt.Errorf("x: %w", lfi.ErrNotFound), want: provider.PayeeNotFound},
		{err: &lfi.BankError{Op: "confirmation of payee", HTTPStatus: 503}, want: provider.PayeeUnavailable, hasErr: true},
	} {
		c := &fakeClient{cop: func(string, lfi.CoPName) (*lfi.CoPResult, error) { return tc.res, tc.err }}
		got, err := testBank(t, c).CheckPayeeName(context.Background(), provider.Party{Name: "Fatima Al Mansoori", Account: "ae07 0331 2345 6789 0123 456"})
		if got.Answer != tc.want || got.BankName != tc.name || (err != nil) != tc.hasErr {
			t.Errorf("%+v/%v → %+v, %v; want %s", tc.res, tc.err, got, err, tc.want)
		}
		if tc.res != nil && got.Evidence != tc.res.JWS {
			t.Errorf("evidence %q, want the JWS", got.Evidence)
		}
		if len(c.asked) != 1 || c.asked[0].FullName != "Fatima Al Mansoori" {
			t.Errorf("asked %+v", c.asked)
		}
	}
	c := &fakeClient{cop: func(iban string, n lfi.CoPName) (*lfi.CoPResult, error) {
		if iban != testIBAN || n.BusinessName != "Falcon Trading LLC" || n.FullName != "" {
			return nil, errors.New("wrong request")
		}
		return &lfi.CoPResult{Match: lfi.CoPMatchYes, JWS: "a.b.c"}, nil
	}}
	if got, err := testBank(t, c).CheckPayeeName(context.Background(), provider.Party{Name: "Falcon Trading LLC", Account: testIBAN, Kind: "corporate"}); err != nil || got.Answer != provider.PayeeMatch {
		t.Errorf("business: %+v %v", got, err)
	}
}

func buildWith(t *testing.T, check provider.PayeeCheck) (map[string]any, string) {
	t.Helper()
	c := &fakeClient{}
	b := testBank(t, c)
	party, err := b.CheckPayee(provider.Party{Name: "Fatima Al Mansoori", Account: testIBAN}, "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	amt, err := money.ParseWire("10.00")
	if err != nil {
		t.Fatal(err)
	}
	in := provider.Intent{GrantID: "c-1", Amount: provider.Money{Amount: amt, Currency: "AED"}, Creditor: party,
		Purpose: "ACM", IdempotencyKey: "k-1"}
	ev := provider.Evidence{ChallengeTime: now.Add(-time.Second), Outcome: "Pass", AuthenticationValue: "a.b.c",
		DeviceBindingID: "d-1", DeviceBoundAt: now.Add(-time.Hour),
		Factors: []provider.Factor{{Category: "Knowledge", Type: "PIN"}, {Category: "Possession", Type: "OTPApp"}}}
	if _, err := b.Build(context.Background(), in, ev, provider.Facts{SessionAttempts: 1, Last24hAttempts: 1, Started: now.Add(-time.Minute), PayeeCheck: check}); err != nil {
		t.Fatal(err)
	}
	var pii map[string]any
	if err := json.Unmarshal(c.sealed, &pii); err != nil {
		t.Fatal(err)
	}
	return pii, string(party.Wire)
}

func TestBuildCarriesTheCoPAnswerAndSaysConfirmed(t *testing.T) {
	const jws = "eyJhbGciOiJQUzI1NiJ9.eyJtZXNzYWdlIjp7fX0.c2ln"
	pii, wire := buildWith(t, provider.PayeeCheck{Answer: provider.PayeeMatch, Evidence: jws})
	init := pii["Initiation"].(map[string]any)
	if init["ConfirmationOfPayeeResponse"] != jws {
		t.Errorf("Initiation.ConfirmationOfPayeeResponse = %v", init["ConfirmationOfPayeeResponse"])
	}
	ci := pii["Risk"].(map[string]any)["CreditorIndicators"].(map[string]any)
	if ci["IsCreditorConfirmed"] != true {
		t.Errorf("IsCreditorConfirmed = %v, want true", ci["IsCreditorConfirmed"])
	}
	// The consent-time creditor bytes are kept as they were: the member is appended.
	if !strings.HasPrefix(string(mustCreditorBytes(t, wire, jws)), strings.TrimSuffix(wire, "}")) {
		t.Error("the creditor's consent-time bytes changed")
	}

	// A close match the payer accepted goes with the payment but is not "confirmed".
	pii, _ = buildWith(t, provider.PayeeCheck{Answer: provider.PayeeCloseMatch, BankName: "F. Al Mansoori", Evidence: jws})
	if pii["Initiation"].(map[string]any)["ConfirmationOfPayeeResponse"] != jws ||
		pii["Risk"].(map[string]any)["CreditorIndicators"].(map[string]any)["IsCreditorConfirmed"] != false {
		t.Errorf("close match: %v", pii)
	}
	// No check: no member, not confirmed.
	pii, _ = buildWith(t, provider.PayeeCheck{})
	if _, ok := pii["Initiation"].(map[string]any)["ConfirmationOfPayeeResponse"]; ok {
		t.Error("a payment without a check carries a CoP answer")
	}
	if pii["Risk"].(map[string]any)["CreditorIndicators"].(map[string]any)["IsCreditorConfirmed"] != false {
		t.Error("a payment without a check says the creditor was confirmed")
	}
}

func mustCreditorBytes(t *testing.T, wire, jws string) []byte {
	t.Helper()
	b, err := withCoP(json.RawMessage(wire), jws)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWithCoPRefusesBadInput(t *testing.T) {
	for name, tc := range map[string]struct{ wire, jws string }{
		"not a JWS":     {`{"CreditorAccount":{}}`, "matched"},
		"injection":     {`{"CreditorAccount":{}}`, `a.b.c","X":"y`},
		"already there": {`{"ConfirmationOfPayeeResponse":"a.b.c"}`, "d.e.f"},
		"not an object": {`[]`, "a.b.c"},
	} {
		if out, err := withCoP(json.RawMessage(tc.wire), tc.jws); err == nil {
			t.Errorf("%s: accepted → %s", name, out)
		}
	}
	out, err := withCoP(json.RawMessage(`{}`), "a.b.c")
	if err != nil || string(out) != `{"ConfirmationOfPayeeResponse":"a.b.c"}` {
		t.Errorf("empty object: %s %v", out, err)
	}
}
