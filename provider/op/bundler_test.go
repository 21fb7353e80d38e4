package op

import (
	"context"
	"strings"
	"testing"

	"github.com/payterm/payterm/provider"
)

// bundled builds and sends n payments as the core does for a bundle: BuildBundled (the 2nd…
// joining the first's bundle), the stored bytes, Send.
func (j *journey) bundled(amounts ...string) []provider.Payment {
	j.t.Helper()
	var ps []provider.Payment
	var first *provider.State
	for _, a := range amounts {
		in := jintent(a)
		req, err := j.client.BuildBundled(context.Background(), in, provider.Evidence{}, provider.Facts{}, first)
		if err != nil {
			j.t.Fatal(err)
		}
		p := provider.Payment{Amount: in.Amount, Request: req}
		if p.State, err = j.client.Send(context.Background(), p); err != nil {
			j.t.Fatal(err)
		}
		if first == nil {
			first = &p.State
		}
		ps = append(ps, p)
	}
	return ps
}

func withStates(ps []provider.Payment, sts []provider.State) []provider.Payment {
	out := append([]provider.Payment(nil), ps...)
	for i := range out {
		out[i].State = sts[i]
	}
	return out
}

// TestBundlerOneApprovalForAll: the payments built with BuildBundled share OP's
// authorizationId; ApproveBundle gives one page for all (one state written into every memo),
// a mistyped address is refused with the page again, and the right one submits every payment.
func TestBundlerOneApprovalForAll(t *testing.T) {
	j := newJourney(t, "")
	ctx := context.Background()
	ps := j.bundled("3.00", "4.50", "5.25")
	auth := mustMemo(t, ps[0].State).AuthorizationID
	for i, p := range ps {
		if m := mustMemo(t, p.State); m.AuthorizationID != auth {
			t.Fatalf("payment %d under %q, the first under %q", i+1, m.AuthorizationID, auth)
		}
		if st, _ := decodeStored(p.Request.Bytes); !st.Bundled {
			t.Fatalf("payment %d: the stored request is not marked as a bundle's", i+1)
		}
	}
	sts, act, err := j.client.ApproveBundle(ctx, ps, provider.Input{})
	if err != nil || act == nil || len(sts) != 3 || !strings.Contains(act.Message, "the 3 payments") {
		t.Fatalf("start: %d states, %+v, %v", len(sts), act, err)
	}
	state := mustMemo(t, sts[0]).State
	for i, s := range sts {
		if m := mustMemo(t, s); m.State != state || m.State == "" || s.Status != provider.StatusAwaitingBankSCA {
			t.Fatalf("payment %d: %+v", i+1, m)
		}
	}
	ps = withStates(ps, sts)
	// Asked again (a poll), the page is the same one: its state does not change.
	sts, act, err = j.client.ApproveBundle(ctx, ps, provider.Input{})
	if err != nil || act == nil || mustMemo(t, sts[2]).State != state {
		t.Fatalf("poll: %+v %v", act, err)
	}
	back := j.browse(act, "approve", nil)
	wrong := strings.Replace(back, "state=", "state=x", 1)
	if _, act2, err := j.client.ApproveBundle(ctx, ps, provider.Input{CallbackURL: wrong}); err == nil || act2 == nil {
		t.Fatalf("another approval's address was taken (%v), or the page was not offered again", err)
	}
	if _, _, err := j.client.ApproveBundle(ctx, ps, provider.Input{OTP: "123456"}); err == nil {
		t.Fatal("OP's bundle took a code typed in the wallet")
	}
	sts, act, err = j.client.ApproveBundle(ctx, ps, provider.Input{CallbackURL: back})
	if err != nil || act != nil {
		t.Fatalf("complete: %+v %v", act, err)
	}
	for i, s := range sts {
		if m := mustMemo(t, s); m.SubmissionID == "" || s.Status == provider.StatusAwaitingBankSCA {
			t.Fatalf("payment %d not submitted: %s %s", i+1, s.Status, s.BankStatus)
		}
		if s, err = j.client.Status(ctx, provider.Payment{State: s}); err != nil || s.Status != provider.StatusExecuted || !s.Final || j.bank.PaymentDebits(s.BankRef) != 1 {
			t.Fatalf("payment %d: %s %s %v, debited %d", i+1, s.Status, s.BankStatus, err, j.bank.PaymentDebits(s.BankRef))
		}
	}
	j.allPassed()
}

// TestBundlerRefusesMixedAuthorizations: payments of two bundles are never approved as one.
func TestBundlerRefusesMixedAuthorizations(t *testing.T) {
	j := newJourney(t, "")
	a, b := j.bundled("3.00"), j.bundled("4.00")
	if _, _, err := j.client.ApproveBundle(context.Background(), append(a, b...), provider.Input{}); err == nil {
		t.Fatal("payments of two authorizations were approved as one bundle")
	}
	if _, _, err := j.client.ApproveBundle(context.Background(), nil, provider.Input{}); err == nil {
		t.Fatal("an empty bundle was accepted")
	}
}

// TestBundledPaymentNeverTakesTheExemption: with the exemption flow on and a bank approval
// held, a payment of a bundle below 30 EUR is still created in the default flow, under the
// bundle's authorization (the exemption flow makes one payment per authorization).
func TestBundledPaymentNeverTakesTheExemption(t *testing.T) {
	j := newJourney(t, "")
	ctx := context.Background()
	first := j.bundled("3.00")
	sts, act, err := j.client.ApproveBundle(ctx, first, provider.Input{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := j.client.ApproveBundle(ctx, withStates(first, sts), provider.Input{CallbackURL: j.browse(act, "approve", nil)}); err != nil {
		t.Fatal(err) // a refresh token is held from here on
	}
	j.client.cfg.TryExemption = true
	ps := j.bundled("2.00", "2.50")
	for i, p := range ps {
		if m := mustMemo(t, p.State); m.Exempt || p.State.Status != provider.StatusAwaitingBankSCA {
			t.Fatalf("payment %d went through the exemption flow: %+v", i+1, m)
		}
	}
	j.allPassed()
}
