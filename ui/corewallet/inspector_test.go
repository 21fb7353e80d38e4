package corewallet

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/ui"
)

func paymentExchange() lfi.Exchange {
	return lfi.Exchange{Op: "create payment", Attempt: 1, Method: "POST", URL: "https://rs.bank.example/open-finance/payment/v2.1/payments?x=1",
		Status: 201, InteractionID: "iid-1", Started: time.Unix(100, 0), Duration: 12 * time.Millisecond,
		RequestHeaders: http.Header{"Authorization": {"Bearer [REDACTED]"}, "X-Fapi-Customer-Ip-Address": {"203.0.113.7"}},
		PIIHeaders:     []string{"X-Fapi-Customer-Ip-Address"},
		Sent: []lfi.JOSEPart{
			{Label: "payment request", Header: map[string]any{"alg": "PS256", "kid": "k1"},
				Claims:   map[string]any{"iss": "client", "message": map[string]any{"Data": map[string]any{"Instruction": map[string]any{"Amount": "12.50"}, "DebtorReference": "Test Payee One"}}},
				PIIPaths: []string{"message.Data.DebtorReference"}},
			{Label: "PII (JWE)", Header: map[string]any{"alg": "RSA-OAEP-256", "enc": "A256GCM"}},
		},
		Verification: &lfi.Verification{Alg: "PS256", KeyID: "bank-1", OK: true, Verified: []string{"signature"}}}
}

func TestInspectorMasksPIIOffSandbox(t *testing.T) {
	insp := NewInspector(InspectorConfig{})
	insp.Observe(lfi.Exchange{Op: "discovery", Method: "GET", URL: "https://bank.example/.well-known/openid-configuration", Status: 200})
	insp.Observe(paymentExchange())
	in, err := insp.Inspect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if in.ShowPII {
		t.Fatal("PII shown off-sandbox")
	}
	var cur *ui.SequenceStep
	for k := range in.Steps {
		if in.Steps[k].State == ui.SeqCurrent {
			cur = &in.Steps[k]
		}
	}
	if cur == nil || cur.Name != "POST /payments" || cur.Exchange == nil {
		t.Fatalf("current step = %+v", cur)
	}
	if in.Steps[0].State != ui.SeqDone || in.Steps[len(in.Steps)-1].State != ui.SeqPending {
		t.Errorf("states = %+v", in.Steps)
	}
	x := cur.Exchange
	if x.Request != "POST /open-finance/payment/v2.1/payments" {
		t.Errorf("request line = %q", x.Request)
	}
	all := ""
	for _, f := range append(append(x.Headers, x.JWTClaims...), x.JWEHeader...) {
		all += f.Name + "=" + f.Value + ";"
		if f.Name == "message.Data.DebtorReference" && !f.PII {
			t.Error("a PII path is not marked")
		}
		if f.Name == "Authorization" && !f.Secret {
			t.Error("Authorization not marked secret")
		}
	}
	for _, leak := range []string{"Test Payee One", "203.0.113.7"} {
		if strings.Contains(all, leak) {
			t.Errorf("PII %q reaches the inspector off-sandbox: %s", leak, all)
		}
	}
	if !strings.Contains(all, "enc=\"A256GCM\"") {
		t.Errorf("JWE header missing: %s", all)
	}
}

func TestSupportBundleHasNoPII(t *testing.T) {
	dir := t.TempDir() + "/support"
	insp := NewInspector(InspectorConfig{BundleDir: dir, Clock: func() time.Time { return time.Unix(1000, 0) },
		ConsentID: func(context.Context) string { return "consent-1" }})
	insp.Observe(paymentExchange())
	path, err := insp.ExportSupportBundle(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("bundle mode = %v, %v", st.Mode(), err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"Test Payee One", "203.0.113.7", "Bearer"} {
		if strings.Contains(string(raw), leak) {
			t.Errorf("bundle contains %q", leak)
		}
	}
	for _, want := range []string{"consent-1", "iid-1", "create payment"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("bundle lacks %q", want)
		}
	}
	if _, err := NewInspector(InspectorConfig{}).ExportSupportBundle(context.Background()); err == nil {
		t.Error("export without a folder must fail")
	}
}

func TestStripIndexes(t *testing.T) {
	if got := stripIndexes("a.b[2].c[10]"); got != "a.b.c" {
		t.Fatalf("stripIndexes = %q", got)
	}
	if !underPII("Initiation.Creditor[1].CreditorAccount.Name", []string{"Initiation.Creditor"}) {
		t.Fatal("array element under a PII path not matched")
	}
}
