package xs2aprov

import (
	"testing"
	"time"

	"github.com/payterm/payterm/provider"
	bank "github.com/payterm/payterm/sandbox/xs2a"
	"github.com/payterm/payterm/xs2a"
)

func gel(minor int64) provider.Intent {
	return intent("domestic", "GEL", minor, "GE29NB0000000101904917", "GE60NB0000000123456789", provider.SchemeIBAN)
}

// TestBOGOAuth: Bank of Georgia's OAuth SCA: Approve shows the authorization request
// (NeedsCallback); the payer approves; the address the browser lands on is passed back; the
// code is swapped for a token (never in a Blob, an error or the inspector) which rides on the
// payment's calls; the status goes to ACSC. A token the bank refuses (401 TOKEN_INVALID) is
// dropped and the call goes again without it. A redirect of another flow is refused; a denial
// rejects the payment.
func TestBOGOAuth(t *testing.T) {
	e := start(t, bank.ProfileBOG(), xs2a.BankOfGeorgia(), nil)
	p := e.pay(gel(123_50))
	act := e.mustApprove(&p, provider.Input{})
	if act == nil || act.Kind != provider.ActionRedirect || !act.NeedsCallback || act.URL == "" {
		t.Fatalf("action %+v", act)
	}
	if again := e.mustApprove(&p, provider.Input{}); again == nil || again.URL != act.URL {
		t.Fatal("a poll started another OAuth flow")
	}
	back := e.Decide(act.URL, true, nil)
	if _, err := e.approve(&p, provider.Input{CallbackURL: "https://evil.example/cb?" + back.RawQuery}); err == nil {
		t.Fatal("a foreign callback address was taken")
	}
	if act := e.mustApprove(&p, provider.Input{CallbackURL: back.String()}); act != nil || p.State.Status != provider.StatusAuthorised {
		t.Fatalf("after the callback: %+v %+v", act, p.State)
	}
	e.b.mu.Lock()
	tok, ok := e.b.tokens[p.State.BankRef]
	e.b.mu.Unlock()
	if !ok || tok.value.IsZero() {
		t.Fatal("no token kept for the payment")
	}
	// The bank's token is refused (as after a restart of the bank's token store): dropped, and
	// the status is read without it.
	e.b.mu.Lock()
	e.b.tokens[p.State.BankRef] = token{value: "not-a-token-the-bank-issued", expires: e.Clock.Now().Add(time.Hour)}
	e.b.mu.Unlock()
	st, err := e.b.Status(ctx, p)
	if err != nil || st.BankStatus != "ACTC" {
		t.Fatalf("status with a refused token: %+v %v", st, err)
	}
	e.b.mu.Lock()
	_, still := e.b.tokens[p.State.BankRef]
	e.b.mu.Unlock()
	if still {
		t.Fatal("the refused token was kept")
	}
	var refused string
	for _, v := range e.Bank.RecentVerdicts(0) {
		if v.FailedRule() == bank.RuleBearerToken {
			refused = v.RequestID
		}
	}
	if refused == "" {
		t.Fatal("the bank never saw the refused token")
	}
	if seen := e.track(&p); seen[len(seen)-1] != "ACSC" {
		t.Fatalf("statuses %v", seen)
	}
	e.verdictsPass(map[string]int{refused: bank.RuleBearerToken})
	e.noSecrets(tok.value.Reveal())

	denied := e.pay(gel(10_00))
	act = e.mustApprove(&denied, provider.Input{})
	back = e.Decide(act.URL, false, nil)
	if act, err := e.approve(&denied, provider.Input{CallbackURL: back.String()}); err != nil || act != nil || denied.State.Status != provider.StatusRejected || !denied.State.Final {
		t.Fatalf("denied: %+v %+v %v", act, denied.State, err)
	}
}
