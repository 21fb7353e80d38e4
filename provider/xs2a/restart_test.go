package xs2aprov

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/provider"
	bank "github.com/payterm/payterm/sandbox/xs2a"
	"github.com/payterm/payterm/xs2a"
)

// TestSendRebuildsUnderANewCertificate: a create stored under an earlier TPP-Signature-Certificate
// (the QSealC was renewed, or issued again at a restart, between the write-ahead record and the
// send) is not sent — the bank would refuse it as CERTIFICATE_INVALID — but returned as a
// *provider.Rebuild with the same body under the current certificate, which the bank then takes.
func TestSendRebuildsUnderANewCertificate(t *testing.T) {
	e := start(t, bank.ProfileBG(), xs2a.Generic(), nil)
	req := e.build(sepa(12_34))
	var st map[string]json.RawMessage
	if err := json.Unmarshal(req.Bytes, &st); err != nil {
		t.Fatal(err)
	}
	var h map[string][]string
	if err := json.Unmarshal(st["header"], &h); err != nil {
		t.Fatal(err)
	}
	const key = "Tpp-Signature-Certificate" // canonical, as http.Header stores it
	if len(h[key]) != 1 {
		t.Fatalf("no TPP-Signature-Certificate in the stored request: %v", h)
	}
	h[key] = []string{base64.StdEncoding.EncodeToString([]byte("an earlier QSealC"))}
	raw, _ := json.Marshal(h)
	st["header"] = raw
	old, _ := json.Marshal(st)

	sent := e.drop.requests()
	_, err := e.b.Send(ctx, payment(provider.Request{Bytes: old, SendBy: req.SendBy}))
	var rb *provider.Rebuild
	if !errors.As(err, &rb) || e.drop.requests() != sent {
		t.Fatalf("send of a create under an earlier certificate: %v (%d requests left)", err, e.drop.requests()-sent)
	}
	again, _, err := decodeStored(rb.Request.Bytes)
	if err != nil || !e.b.cl.SignedByUs(again) {
		t.Fatalf("the rebuilt create is not under the current certificate: %v", err)
	}
	p := e.send(payment(rb.Request))
	if p.State.BankRef == "" || e.Bank.PaymentCount() != 1 {
		t.Fatalf("the rebuilt create: %+v, %d payments at the bank", p.State, e.Bank.PaymentCount())
	}
}

// TestApproveAfterCancellation: the payer cancelled a payment whose decoupled authorisation was
// running; the bank ends that authorisation as failed. Asking for the approval again reports
// the bank's final status, Cancelled (CANC) — not Rejected.
func TestApproveAfterCancellation(t *testing.T) {
	e := start(t, bank.ProfileBG(), xs2a.Generic(), func(c *Config) { c.Approach = xs2a.Decoupled; c.PSUID = "PSU-1234" })
	p := e.pay(sepa(20_00))
	if act := e.mustApprove(&p, provider.Input{}); act == nil || act.Kind != provider.ActionDecoupled {
		t.Fatalf("the bank asked %+v, want decoupled", act)
	}
	st, _, err := e.b.Cancel(ctx, p)
	if err != nil || st.Status != provider.StatusCancelled {
		t.Fatalf("cancel: %+v %v", st, err)
	}
	e.Clock.Add(time.Minute) // long past the bank app's decision
	act, err := e.approve(&p, provider.Input{})
	if err != nil || act != nil || p.State.Status != provider.StatusCancelled || p.State.BankStatus != "CANC" || !p.State.Final {
		t.Fatalf("approve after the cancellation: %s (%s, final %v) %+v %v", p.State.Status, p.State.BankStatus, p.State.Final, act, err)
	}
}

// TestMethodsLostWithThePasswordAnswer: the bank lists the ways to send the one-time code only
// in its answer to the password. With that answer lost (the memo from before it), asking again
// finds the bank waiting for a method it did not name here: an error that says what the payer
// can do, never a choice with nothing to choose; the payment still waits at the bank.
func TestMethodsLostWithThePasswordAnswer(t *testing.T) {
	e := start(t, bank.ProfileBG(), xs2a.Generic(), func(c *Config) { c.Approach = xs2a.Embedded; c.PSUID = "PSU-1234" })
	p := e.pay(sepa(30_00))
	if act := e.mustApprove(&p, provider.Input{}); act == nil || act.Kind != provider.ActionPassword {
		t.Fatalf("first action %+v", act)
	}
	before := p // the memo as stored before the password went
	if act := e.mustApprove(&p, provider.Input{Password: "12345"}); act == nil || act.Kind != provider.ActionChooseMethod || len(act.Methods) == 0 {
		t.Fatalf("after the password %+v", act)
	}
	act, err := e.approve(&before, provider.Input{})
	if act != nil || err == nil || !strings.Contains(err.Error(), "approve the payment in your online banking, or cancel it") {
		t.Fatalf("asked again with the answer lost: %+v %v", act, err)
	}
	if before.State.Status != provider.StatusAwaitingBankSCA {
		t.Fatalf("the payment is %s", before.State.Status)
	}
}
