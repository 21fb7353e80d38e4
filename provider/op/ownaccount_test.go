package op

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/provider"
)

const (
	ownA     = "FI2112345600000785"
	ownB     = "FI8679600000000012"
	notOwned = "FI1011112222333344"
)

func TestPredictExemptionTo(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	sca := now.Add(-24 * time.Hour)
	own := []string{"FI21 1234 5600 0007 85", ownB}
	big := provider.Money{Amount: eur("500.00"), Currency: "EUR"}
	five := []money.Amount{eur("1.00"), eur("1.00"), eur("1.00"), eur("1.00"), eur("1.00")}
	p := PredictExemptionTo(big, ownA, ownB, own, five, sca, now)
	if !p.Likely || !p.OwnAccount || !strings.Contains(p.Words, "between your own accounts") || !strings.Contains(p.Words, "OP decides") {
		t.Fatalf("own transfer: %+v", p)
	}
	for name, c := range map[string]struct {
		payer, payee string
		sca          time.Time
		cur          string
	}{
		"payee not own":  {ownA, notOwned, sca, "EUR"},
		"payer not own":  {notOwned, ownB, sca, "EUR"},
		"no payer":       {"", ownB, sca, "EUR"},
		"same account":   {ownA, ownA, sca, "EUR"},
		"no approval":    {ownA, ownB, time.Time{}, "EUR"},
		"approval stale": {ownA, ownB, now.Add(-RefreshLife), "EUR"},
		"not euros":      {ownA, ownB, sca, "USD"},
	} {
		p := PredictExemptionTo(provider.Money{Amount: big.Amount, Currency: c.cur}, c.payer, c.payee, own, nil, c.sca, now)
		if p.Likely || p.OwnAccount || !strings.HasPrefix(p.Words, "OP will ask you to approve") {
			t.Errorf("%s: %+v", name, p)
		}
	}
	// Not own, small: the limits' prediction, unchanged.
	small := provider.Money{Amount: eur("5.00"), Currency: "EUR"}
	if p, q := PredictExemptionTo(small, ownA, notOwned, own, nil, sca, now), PredictExemption(small, nil, sca, now); p != q {
		t.Fatalf("%+v != %+v", p, q)
	}
}

// ownIntent is a SEPA transfer from one account to another.
func ownIntent(amount, payer, payee string) provider.Intent {
	a, _ := money.ParseWire(amount)
	return provider.Intent{Product: ProductID, Amount: provider.Money{Amount: a, Currency: "EUR"},
		Creditor: provider.Party{Name: "Me", Account: payee, Scheme: provider.SchemeIBAN}, Debtor: &provider.Party{Account: payer},
		Reference: "Savings", IdempotencyKey: uuid.NewString()}
}

func (j *journey) send(in provider.Intent) provider.Payment {
	j.t.Helper()
	req, err := j.client.Build(context.Background(), in, provider.Evidence{}, provider.Facts{})
	if err != nil {
		j.t.Fatal(err)
	}
	p := provider.Payment{Amount: in.Amount, Request: req}
	if p.State, err = j.client.Send(context.Background(), p); err != nil {
		j.t.Fatal(err)
	}
	return p
}

// A transfer of 500.00 between the payer's own accounts goes through the exemption flow (no
// browser) when the wallet knows both accounts as the payer's and so does OP; a transfer to an
// account the wallet lists as own but OP does not is refused by OP and falls back to OP's page.
func TestJourneyOwnAccountTransferWithoutBrowser(t *testing.T) {
	j := newJourney(t, "")
	ctx := context.Background()
	j.bank.SetPayerAccounts("sandbox-user", ownA, ownB)
	j.client.cfg.TryExemption = true
	j.client.cfg.OwnAccounts = []string{ownA, ownB, notOwned} // the wallet is wrong about the last
	j.sca()
	// The review's forecast knows the transfer is between the payer's own accounts.
	if got := j.client.ForecastApproval(context.Background(), ownIntent("500.00", ownA, ownB), nil, j.clk.Now()); !strings.HasPrefix(got, "OP may not ask: a transfer between your own accounts") {
		t.Fatalf("forecast of an own transfer: %q", got)
	}
	if got := j.client.ForecastApproval(context.Background(), ownIntent("500.00", ownA, "FI89 3939 0000 1234 56"), nil, j.clk.Now()); !strings.HasPrefix(got, "OP will ask you to approve: 500.00 EUR is not below 30.00") {
		t.Fatalf("forecast of a transfer to someone else: %q", got)
	}
	p := j.send(ownIntent("500.00", ownA, ownB))
	if p.State.Status != provider.StatusAwaitingBankSCA || !mustMemo(t, p.State).Exempt {
		t.Fatalf("own transfer: %+v", p.State)
	}
	// Send created it with the payer's token; Approve asks OP to waive its approval: no page.
	waived, act, err := j.client.Approve(ctx, p, provider.Input{})
	if err != nil || act != nil || waived.BankStatus != "Accepted" || !waived.ApprovalWaived {
		t.Fatalf("own transfer: %+v %+v %v", waived, act, err)
	}
	p.State = waived
	st, err := j.client.Status(ctx, p)
	if err != nil || st.Status != provider.StatusExecuted || j.bank.PaymentDebits(st.BankRef) != 1 {
		t.Fatalf("%+v %v", st, err)
	}
	// OP does not hold notOwned as the payer's: the claim is refused, the payment waits for
	// OP's page (the same payment, paid once through the default flow).
	wrong := j.send(ownIntent("500.00", ownA, notOwned))
	if wrong.State.Status != provider.StatusAwaitingBankSCA || !mustMemo(t, wrong.State).Exempt {
		t.Fatalf("wrong claim: %+v", wrong.State)
	}
	st, act, err = j.client.Approve(ctx, wrong, provider.Input{})
	if err != nil || act == nil || st.ApprovalWaived || !mustMemo(t, st).ExemptRefused {
		t.Fatalf("%v %+v %+v", err, act, st)
	}
	wrong.State = st
	if st, _, err = j.client.Approve(ctx, wrong, provider.Input{CallbackURL: j.browse(act, "approve", nil)}); err != nil || st.BankStatus != "Accepted" {
		t.Fatalf("%+v %v", st, err)
	}
	// Without OwnAccounts, 500.00 is not tried at all.
	j.client.cfg.OwnAccounts = nil
	plain := j.send(ownIntent("500.00", ownA, ownB))
	if plain.State.Status != provider.StatusAwaitingBankSCA || mustMemo(t, plain.State).Exempt {
		t.Fatalf("not tried: %+v", plain.State)
	}
}
