package xs2aprov

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/provider"
	bank "github.com/payterm/payterm/sandbox/xs2a"
	"github.com/payterm/payterm/xs2a"
)

// TestCancel: a payment not yet approved is cancelled at once (204: Cancelled, final); an
// approved one not yet executed needs the payer's approval of the cancellation (202): Cancel
// shows the bank's page, the payer approves, Cancel again reads it finalised and CANC; an
// executed one is refused (RESOURCE_BLOCKED) with its current state.
func TestCancel(t *testing.T) {
	e := start(t, bank.ProfileBG(), xs2a.Generic(), nil, func(c *bank.Config) { c.ProcessAfter = time.Minute })
	p := e.pay(sepa(20_00))
	st, act, err := e.b.Cancel(ctx, p)
	if err != nil || act != nil || st.Status != provider.StatusCancelled || st.BankStatus != "CANC" || !st.Final {
		t.Fatalf("cancel of a pending payment: %+v %+v %v", st, act, err)
	}
	if s, _ := e.Bank.PaymentStatus(p.State.BankRef); s != "CANC" {
		t.Fatalf("the bank's payment is %s", s)
	}

	p = e.pay(sepa(21_00))
	e.Decide(e.mustApprove(&p, provider.Input{}).URL, true, nil)
	e.mustApprove(&p, provider.Input{})
	if p.State.Status != provider.StatusAuthorised {
		t.Fatalf("approved %+v", p.State)
	}
	st, act, err = e.b.Cancel(ctx, p)
	e.recordOut(st, act, err)
	if err != nil || act == nil || act.Kind != provider.ActionRedirect || act.URL == "" || st.Final || st.Status == provider.StatusCancelled {
		t.Fatalf("cancel of an approved payment: %+v %+v %v", st, act, err)
	}
	p.State = st
	if m := e.memo(p); m.Cancel == nil || m.CancelLinks == nil || m.Auth == nil {
		t.Fatalf("memo %+v", m)
	}
	deletes := 0
	e.Decide(act.URL, true, nil)
	st, act, err = e.b.Cancel(ctx, p)
	if err != nil || act != nil || st.Status != provider.StatusCancelled || !st.Final {
		t.Fatalf("after the payer approved the cancellation: %+v %+v %v", st, act, err)
	}
	for _, v := range e.Bank.RecentVerdicts(0) {
		if v.Method == "DELETE" {
			deletes++
		}
	}
	if deletes != 2 {
		t.Fatalf("%d DELETEs, want 2 (one per payment)", deletes)
	}
	if bal := e.Bank.Balance("EUR"); bal != 25_000_00 {
		t.Fatalf("debited %d", 25_000_00-bal)
	}

	p = e.pay(sepa(22_00))
	e.Decide(e.mustApprove(&p, provider.Input{}).URL, true, nil)
	e.mustApprove(&p, provider.Input{})
	e.Clock.Add(time.Minute + time.Second)
	st, err = e.b.Status(ctx, p)
	if err != nil || st.BankStatus != "ACSP" {
		t.Fatalf("executing: %+v %v", st, err)
	}
	p.State = st
	st, act, err = e.b.Cancel(ctx, p)
	if err == nil || act != nil || st.BankStatus != "ACSP" || st.Status != provider.StatusProcessing || !strings.Contains(err.Error(), "can no longer cancel") {
		t.Fatalf("cancel of an executing payment: %+v %+v %v", st, act, err)
	}
	var blocked string
	for _, v := range e.Bank.RecentVerdicts(0) {
		if v.Method == "DELETE" && v.FailedRule() == bank.RuleCancellation {
			blocked = v.RequestID
		}
	}
	e.verdictsPass(map[string]int{blocked: bank.RuleCancellation})
	if _, _, err := e.b.Cancel(ctx, provider.Payment{State: provider.State{Blob: []byte(`{}`)}}); err == nil || errors.Is(err, provider.ErrOutcomeUnknown) {
		t.Fatalf("cancel with an unreadable memo: %v", err)
	}
}

// TestSB1Cancel: SpareBank 1 cancels an approved payment at once (204).
func TestSB1Cancel(t *testing.T) {
	e := start(t, bank.ProfileSB1(), xs2a.SpareBank1(), nil, func(c *bank.Config) { c.ProcessAfter = time.Minute })
	e.sb1Session()
	p := e.pay(nok(30_00))
	e.Decide(e.mustApprove(&p, provider.Input{}).URL, true, nil)
	e.mustApprove(&p, provider.Input{})
	st, act, err := e.b.Cancel(ctx, p)
	if err != nil || act != nil || st.Status != provider.StatusCancelled || !st.Final {
		t.Fatalf("cancel: %+v %+v %v", st, act, err)
	}
	e.verdictsPass(e.sessionProbes())
}

// TestStatusNormalised: the bank's word is kept beside the normalised status at each step;
// a denial at the bank's page is Rejected and final; a payment without funds goes ACCP
// (Authorised, not final) then RJCT with FUNDS_NOT_AVAILABLE.
func TestStatusNormalised(t *testing.T) {
	e := start(t, bank.ProfileBG(), xs2a.Generic(), nil, func(c *bank.Config) { c.FundsWait = 10 * time.Second })
	p := e.pay(sepa(10_00))
	e.Decide(e.mustApprove(&p, provider.Input{}).URL, true, nil)
	e.mustApprove(&p, provider.Input{})
	want := map[string]provider.Status{"ACTC": provider.StatusAuthorised, "ACSP": provider.StatusProcessing, "ACSC": provider.StatusExecuted}
	for {
		st, err := e.b.Status(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if want[st.BankStatus] != st.Status || st.Final != (st.BankStatus == "ACSC") || st.BankRef != p.State.BankRef || st.InteractionID == "" {
			t.Fatalf("state %+v", st)
		}
		p.State = st
		if st.Final {
			break
		}
		e.Clock.Add(time.Second)
	}

	denied := e.pay(sepa(11_00))
	back := e.Decide(e.mustApprove(&denied, provider.Input{}).URL, false, nil)
	if act, err := e.approve(&denied, provider.Input{CallbackURL: back.String()}); err != nil || act != nil {
		t.Fatalf("after the denial: %+v %v", act, err)
	}
	if denied.State.Status != provider.StatusRejected || denied.State.BankStatus != "RJCT" || !denied.State.Final || denied.State.RejectMessage == "" {
		t.Fatalf("denied %+v", denied.State)
	}

	e.fault(bank.Fault{Kind: bank.FaultNoFunds, Count: 1})
	poor := e.pay(sepa(12_00))
	e.Decide(e.mustApprove(&poor, provider.Input{}).URL, true, nil)
	e.mustApprove(&poor, provider.Input{})
	e.Clock.Add(time.Second)
	st, err := e.b.Status(ctx, poor)
	if err != nil || st.BankStatus != "ACCP" || st.Final {
		t.Fatalf("without funds: %+v %v", st, err)
	}
	e.Clock.Add(11 * time.Second)
	st, err = e.b.Status(ctx, poor)
	if err != nil || st.BankStatus != "RJCT" || st.Status != provider.StatusRejected || !st.Final || st.RejectCode != "FUNDS_NOT_AVAILABLE" {
		t.Fatalf("rejected for funds: %+v %v", st, err)
	}
	e.verdictsPass(map[string]int{poor.Request.Key: 0})
}
