package op

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/payterm/payterm/internal/safetext"
	"github.com/payterm/payterm/provider"
)

// TestObserverSeesEveryExchangeWithoutSecrets: the default flow with an Observer. Every call is
// reported in order, named; the payment's detached JWS with its protected header, alg and kid;
// every signed answer verified against OP's keys; the bank's verdict can be found by the
// x-fapi-interaction-id (token calls too). No secret reaches an exchange: the client secret,
// the API key, the bearer tokens, the code, the payer's access and refresh tokens.
func TestObserverSeesEveryExchangeWithoutSecrets(t *testing.T) {
	j := newJourney(t, "")
	var mu sync.Mutex
	var seen []Exchange
	j.client.cfg.Observer = func(ex Exchange) { mu.Lock(); seen = append(seen, ex); mu.Unlock() }
	ctx := context.Background()
	p := j.created("12.50")
	st, act, _ := j.client.Approve(ctx, p, provider.Input{})
	p.State = st
	back := j.browse(act, "approve", nil)
	st, _, err := j.client.Approve(ctx, p, provider.Input{CallbackURL: back})
	if err != nil {
		t.Fatal(err)
	}
	p.State = st
	if _, err := j.client.Status(ctx, p); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, ex := range seen {
		ops = append(ops, string(ex.Op))
	}
	if got := strings.Join(ops, " "); got != "token create payment code payment submit submission" {
		t.Fatalf("exchanges %q", got)
	}
	create := seen[1]
	if create.Method != "POST" || create.Target != pisPath+"/sepa-payments" || create.Alg != "ES256" || create.KeyID != "tpp-qseal" ||
		!strings.Contains(create.JWSHeader, `"kid":"tpp-qseal"`) || !strings.Contains(create.JWS, "..") || create.Status != 201 {
		t.Fatalf("the create exchange %+v", create)
	}
	if create.RequestHeaders.Get("x-idempotency-key") == "" || create.RequestHeaders.Get("x-jws-signature") != create.JWS {
		t.Fatalf("the create's headers %v", create.RequestHeaders)
	}
	if m, ok := create.RequestBody.(map[string]any); !ok || m["amountEUR"] != "12.50" {
		t.Fatalf("the create's body %v", create.RequestBody)
	}
	if masked := fmt.Sprint(create.WithoutPII().RequestBody); strings.Contains(masked, "FI4950009420028730") || strings.Contains(masked, "Meikäläinen") {
		t.Fatalf("WithoutPII left personal data: %s", masked)
	}
	verdicts := j.bank.Verdicts()
	for _, ex := range seen {
		signed := ex.Op != OpToken && ex.Op != OpCode
		if signed && (ex.AnswerVerdict != "verified against OP's keys over the answer's bytes" || ex.AnswerAlg != "ES256" || ex.AnswerKeyID == "") {
			t.Errorf("%s: the answer's signature %q %q %q", ex.Op, ex.AnswerVerdict, ex.AnswerAlg, ex.AnswerKeyID)
		}
		if ex.InteractionID == "" {
			t.Errorf("%s has no x-fapi-interaction-id", ex.Op)
		}
		found := false
		for _, v := range verdicts {
			found = found || v.InteractionID == ex.InteractionID
		}
		if !found {
			t.Errorf("%s: the bank has no verdict under its x-fapi-interaction-id", ex.Op)
		}
	}
	if code := seen[3]; code.Method != "POST" || code.Target != "/oauth/token" || fmt.Sprint(code.RequestBody) == "" {
		t.Fatalf("the code exchange %+v", code)
	}
	dump := fmt.Sprintf("%+v", seen)
	secrets := []string{"journey-secret", "journey-key"}
	j.client.mu.Lock()
	for _, u := range j.client.users {
		secrets = append(secrets, u.access, u.refresh)
	}
	secrets = append(secrets, j.client.token)
	j.client.mu.Unlock()
	if i := strings.Index(back, "code="); i > 0 {
		secrets = append(secrets, strings.SplitN(back[i+5:], "&", 2)[0])
	}
	if len(secrets) < 6 {
		t.Fatalf("only %d secrets to look for", len(secrets))
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(dump, s) {
			t.Errorf("an exchange holds a secret (%d bytes long)", len(s))
		}
	}
}

// FuzzJWSHeader: the answer's x-jws-signature comes from outside; what the inspector shows of
// its protected header is one clean line, bounded, whatever the header holds.
func FuzzJWSHeader(f *testing.F) {
	f.Add("eyJhbGciOiJFUzI1NiIsImtpZCI6Im9wLTEifQ..c2ln")
	f.Add("eyJhbGciOiJcdTAwMWJbMkoifQ..x") // alg holding an escape sequence
	f.Add("")
	f.Add("....")
	f.Fuzz(func(t *testing.T, sig string) {
		h, alg, kid := jwsHeader(sig)
		for _, s := range []string{h, alg, kid} {
			if !safetext.Clean(s) || strings.ContainsAny(s, "\n\r") {
				t.Fatalf("%q gave an unclean %q", sig, s)
			}
		}
		if len([]rune(h)) > 400 || len([]rune(alg)) > 40 || len([]rune(kid)) > 200 {
			t.Fatalf("%q gave an unbounded part", sig)
		}
	})
}

// TestObserverMasksAForeignPayee: a foreign payment's create goes to /foreign-payments and its
// payee's account, name, address and the message are masked by WithoutPII (the account is under
// bankAccount.id, not iban).
func TestObserverMasksAForeignPayee(t *testing.T) {
	j := newJourney(t, "")
	var seen []Exchange
	j.client.cfg.Observer = func(ex Exchange) { seen = append(seen, ex) }
	ctx := context.Background()
	in := foreignIntent(t, j.client, "40.00", "USD")
	req, err := j.client.Build(ctx, in, provider.Evidence{}, provider.Facts{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.client.Send(ctx, provider.Payment{Amount: in.Amount, Request: req}); err != nil {
		t.Fatal(err)
	}
	create := seen[len(seen)-1]
	if create.Op != OpCreate || create.Target != pisPath+"/foreign-payments" || create.Status != 201 {
		t.Fatalf("the create exchange %+v", create)
	}
	shown := fmt.Sprint(create.RequestBody, create.ResponseBody)
	if !strings.Contains(shown, "GB29NWBK60161331926819") {
		t.Fatalf("the unmasked body lacks the account: %s", shown)
	}
	masked := fmt.Sprint(create.WithoutPII().RequestBody, create.WithoutPII().ResponseBody)
	for _, pii := range []string{"GB29NWBK60161331926819", "Acme", "Main Street", "Springfield", "Invoice 42"} {
		if strings.Contains(masked, pii) {
			t.Fatalf("WithoutPII left %q: %s", pii, masked)
		}
	}
	if !strings.Contains(masked, "CHASUS33") || !strings.Contains(masked, "USD") {
		t.Fatalf("WithoutPII masked more than personal data: %s", masked)
	}
}
