package wallet

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payterm/payterm/provider"
)

// waivingBank is the scripted EU bank with an approval forecast, whose approval it waives for
// every payment (as OP's exemption does when OP allows it).
type waivingBank struct {
	*scriptedBank
	fmu     sync.Mutex
	earlier [][]provider.Earlier // what each forecast was given
}

func (b *waivingBank) ForecastApproval(_ context.Context, in provider.Intent, earlier []provider.Earlier, now time.Time) string {
	b.fmu.Lock()
	defer b.fmu.Unlock()
	b.earlier = append(b.earlier, earlier)
	return "the bank may not ask for " + in.Amount.String()
}

func (b *waivingBank) Approve(_ context.Context, p provider.Payment, _ provider.Input) (provider.State, *provider.Action, error) {
	return provider.State{BankRef: p.State.BankRef, Status: provider.StatusAuthorised, BankStatus: "ACTC", Blob: []byte(`{"waived":true}`),
		ApprovalWaived: true}, nil, nil
}

// TestForecastAndWaivedApproval: Prepare hands the bank's forecaster the ledger's earlier
// payments under the link (amount, time, status, the provider's memory) and keeps its words;
// an approval the bank waived is no question to the payer, its progress row says it was not
// asked, and the timeline says so too.
func TestForecastAndWaivedApproval(t *testing.T) {
	e := newWalletEnv(t, newBankEnv(t), Limits{})
	eu := &waivingBank{scriptedBank: newScriptedBank()}
	w, err := New(Config{Ledger: e.ledger, SCA: e.auth, Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() },
		Banks: map[string]provider.Bank{testBankID: uaeBank(t, e.client, e.tokens, nil), euBankID: eu}})
	if err != nil {
		t.Fatal(err)
	}
	e.wallet = w
	ctx := context.Background()
	link, err := w.RecordLink(ctx, euBankID, "DE89 3704 0044 0532 0130 00", "Erika Mustermann", "EUR")
	if err != nil {
		t.Fatal(err)
	}
	draft := Draft{ConsentID: link.ID, Amount: "12.50", NewPayee: &PayeeInput{Name: "Max Muster", IBAN: "FR14 2004 1010 0505 0001 3M02 606"}}
	pp, err := w.Prepare(ctx, draft)
	if err != nil {
		t.Fatal(err)
	}
	if pp.BankApproval != "the bank may not ask for 12.50 EUR" || len(eu.earlier) != 1 || len(eu.earlier[0]) != 0 {
		t.Fatalf("forecast %q given %+v", pp.BankApproval, eu.earlier)
	}
	var notes []string
	p, err := w.Submit(ctx, pp.ID, testPIN, e.scaClock.nextCode(t, e.totp), func(ev Event) {
		if ev.Action != nil {
			t.Errorf("the payer was asked %+v", ev.Action)
		}
		if ev.Step == StepApprove {
			notes = append(notes, ev.Note)
		}
	})
	if err != nil || p.Status.Outcome() != OutcomeSuccessful {
		t.Fatalf("%s %v", p.Status, err)
	}
	if len(notes) == 0 || !strings.HasPrefix(notes[len(notes)-1], "not asked: exemption") {
		t.Fatalf("approval row notes %q", notes)
	}
	tl, _ := e.ledger.Timeline(ctx, p.ID)
	waived := false
	for _, c := range tl {
		waived = waived || strings.Contains(c.Note, "approval not asked")
	}
	if !waived {
		t.Fatalf("the timeline does not say the approval was not asked: %+v", tl)
	}
	if _, err := w.Prepare(ctx, Draft{ConsentID: link.ID, Amount: "3.00", NewPayee: draft.NewPayee}); err != nil {
		t.Fatal(err)
	}
	got := eu.earlier[len(eu.earlier)-1]
	if len(got) != 1 || got[0].Amount.String() != "12.50 EUR" || got[0].Status != provider.StatusExecuted ||
		string(got[0].Blob) != `{"waived":true}` || got[0].Created.IsZero() {
		t.Fatalf("the forecast was given %+v", got)
	}
}
