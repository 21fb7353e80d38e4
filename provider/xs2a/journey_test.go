package xs2aprov

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/provider"
	bank "github.com/payterm/payterm/sandbox/xs2a"
	"github.com/payterm/payterm/xs2a"
)

// TestBGRedirect: Build then Send a SEPA payment at the generic Berlin Group bank; the 201's
// scaRedirect is the Action; the payer approves at the bank's page; Approve (a poll) reads
// scaStatus finalised and the payment's status; Status goes to ACSC, which is final at BG.
func TestBGRedirect(t *testing.T) {
	e := start(t, bank.ProfileBG(), xs2a.Generic(), nil)
	p := e.pay(sepa(123_50))
	if p.State.Status != provider.StatusAwaitingBankSCA || p.State.BankStatus != "RCVD" || p.State.BankRef == "" || p.State.Final {
		t.Fatalf("created %+v", p.State)
	}
	act := e.mustApprove(&p, provider.Input{})
	if act == nil || act.Kind != provider.ActionRedirect || act.URL == "" || act.NeedsCallback || act.PollAfter == 0 {
		t.Fatalf("action %+v", act)
	}
	e.Decide(act.URL, true, nil)
	if act := e.mustApprove(&p, provider.Input{}); act != nil {
		t.Fatalf("after approval: %+v", act)
	}
	if p.State.Status != provider.StatusAuthorised || p.State.BankStatus != "ACTC" {
		t.Fatalf("after approval %+v", p.State)
	}
	seen := e.track(&p)
	if got := seen[len(seen)-1]; got != "ACSC" || p.State.Status != provider.StatusExecuted || !p.State.Final {
		t.Fatalf("statuses %v, final %+v", seen, p.State)
	}
	e.verdictsPass(nil)
}

// TestBGDecoupled: TPP-Decoupled-Preferred with the payer's PSU-ID: Approve starts the
// authorisation and identifies the payer; the Action is "approve in your bank's app", polled;
// the bank's app (the admin API) approves; the next poll reads finalised and ACTC.
func TestBGDecoupled(t *testing.T) {
	e := start(t, bank.ProfileBG(), xs2a.Generic(), func(c *Config) { c.Approach = xs2a.Decoupled; c.PSUID = "PSU-1234" },
		func(c *bank.Config) { c.DecoupledManual = true })
	p := e.pay(sepa(50_00))
	if strings.Contains(string(p.Request.Bytes), "PSU-1234") {
		t.Fatal("the stored request holds the PSU-ID")
	}
	act := e.mustApprove(&p, provider.Input{})
	if act == nil || act.Kind != provider.ActionDecoupled || act.Message == "" || act.PollAfter == 0 || act.URL != "" {
		t.Fatalf("action %+v", act)
	}
	m := e.memo(p)
	if m.Auth == nil || m.Auth.ID == "" || m.Approach != string(xs2a.Decoupled) {
		t.Fatalf("memo %+v", m)
	}
	// Polls while the payer has not answered in the app: still waiting, nothing started twice.
	e.Clock.Add(10 * time.Second)
	if act := e.mustApprove(&p, provider.Input{}); act == nil || act.Kind != provider.ActionDecoupled {
		t.Fatalf("poll: %+v", act)
	}
	if s, _ := e.Bank.AuthorisationStatus(m.Auth.ID); s != "psuIdentified" {
		t.Fatalf("the bank's authorisation is %s", s)
	}
	if code, body := e.Admin(http.MethodPost, "/admin/authorisations/"+url.PathEscape(m.Auth.ID)+"/approve"); code != 200 {
		t.Fatalf("admin approve: %d %s", code, body)
	}
	if act := e.mustApprove(&p, provider.Input{}); act != nil || p.State.Status != provider.StatusAuthorised {
		t.Fatalf("after the app: %+v %+v", act, p.State)
	}
	if seen := e.track(&p); seen[len(seen)-1] != "ACSC" {
		t.Fatalf("statuses %v", seen)
	}
	e.verdictsPass(nil)
	e.noPII("PSU-1234")
}

// TestBGEmbedded: the password, the SCA method and the TAN typed into the wallet, one Approve
// each; a wrong TAN is an OTP Action again with one attempt fewer, never an error, and neither
// password nor TAN reaches a Blob, an error, an Action, a stored request or the inspector. A
// second payment's five wrong TANs fail the authorisation: Rejected, final.
func TestBGEmbedded(t *testing.T) {
	const password, tan, wrongTAN = "embedded-pw-7731", "482913", "000917"
	e := start(t, bank.ProfileBG(), xs2a.Generic(), func(c *Config) { c.Approach = xs2a.Embedded; c.PSUID = "PSU-1234" },
		func(c *bank.Config) { c.EmbeddedPassword = password; c.EmbeddedTAN = tan })
	toOTP := func(p *provider.Payment) {
		t.Helper()
		act := e.mustApprove(p, provider.Input{})
		if act == nil || act.Kind != provider.ActionPassword || act.AttemptsLeft != 5 {
			t.Fatalf("first action %+v", act)
		}
		act = e.mustApprove(p, provider.Input{Password: password})
		if act == nil || act.Kind != provider.ActionChooseMethod || len(act.Methods) < 2 {
			t.Fatalf("after the password %+v", act)
		}
		clean(t, "method label", act.Methods[0].Label, act.Methods[1].Label)
		act = e.mustApprove(p, provider.Input{MethodID: act.Methods[0].ID})
		if act == nil || act.Kind != provider.ActionOTP || act.Challenge == "" || act.AttemptsLeft != 5 {
			t.Fatalf("after the method %+v", act)
		}
	}
	p := e.pay(sepa(75_00))
	toOTP(&p)
	act := e.mustApprove(&p, provider.Input{OTP: wrongTAN})
	if act == nil || act.Kind != provider.ActionOTP || act.AttemptsLeft != 4 || !strings.Contains(act.Message, "did not accept") {
		t.Fatalf("after a wrong TAN %+v", act)
	}
	if act := e.mustApprove(&p, provider.Input{OTP: tan}); act != nil || p.State.Status != provider.StatusAuthorised {
		t.Fatalf("after the TAN %+v %+v", act, p.State)
	}
	if seen := e.track(&p); seen[len(seen)-1] != "ACSC" {
		t.Fatalf("statuses %v", seen)
	}

	p2 := e.pay(sepa(76_00))
	toOTP(&p2)
	for i := 1; i <= 5; i++ {
		act, err := e.approve(&p2, provider.Input{OTP: wrongTAN})
		if err != nil {
			t.Fatalf("wrong TAN %d: %v", i, err)
		}
		if i < 5 && (act == nil || act.Kind != provider.ActionOTP || act.AttemptsLeft != 5-i) {
			t.Fatalf("wrong TAN %d: %+v", i, act)
		}
		if i == 5 && (act != nil || p2.State.Status != provider.StatusRejected || !p2.State.Final || p2.State.RejectMessage == "") {
			t.Fatalf("fifth wrong TAN: %+v %+v", act, p2.State)
		}
	}
	if s, _ := e.Bank.PaymentStatus(p2.State.BankRef); s != "RJCT" {
		t.Fatalf("the bank's payment is %s", s)
	}
	e.noSecrets(password, tan, wrongTAN)
	e.noPII("PSU-1234")
}

// sb1Session logs the payer in at SpareBank 1's page (the PSU session).
func (e *env) sb1Session() {
	e.t.Helper()
	if err := e.b.Ready(ctx, provider.Payment{}); !errors.Is(err, provider.ErrGrantInactive) || !errors.Is(err, provider.ErrNotProcessed) {
		e.t.Fatalf("ready without a session: %v", err)
	}
	act, err := e.b.BeginSession(ctx)
	if err != nil || act.Kind != provider.ActionRedirect || !act.NeedsCallback {
		e.t.Fatalf("begin session: %+v %v", act, err)
	}
	back := e.Decide(act.URL, true, url.Values{"psu": {sb1PSU}})
	s, err := e.b.FinishSession(ctx, back.String())
	if err != nil || s.PSUID != sb1PSU {
		e.t.Fatalf("finish session: %v", err)
	}
	e.record(fmt.Sprintf("%v %+v %#v", s, s, s))
	if err := e.b.Ready(ctx, provider.Payment{}); err != nil {
		e.t.Fatalf("ready: %v", err)
	}
}

const sb1PSU = "01017012345"

func nok(minor int64) provider.Intent {
	return intent("norwegian-domestic-credit-transfers", "NOK", minor, "86011117947", "12345678903", provider.SchemeNorwayBBAN)
}

// TestSB1Redirect: SpareBank 1: without a PSU session nothing is built; the payer logs in;
// a domestic NOK payment between kontonummer is built and sent (the stored bytes hold no
// TPP-Session-ID); Approve starts the explicit authorisation and shows its scaRedirect; the
// payer approves; ACSC is final (UPPER_SNAKE scaStatus read).
func TestSB1Redirect(t *testing.T) {
	e := start(t, bank.ProfileSB1(), xs2a.SpareBank1(), nil)
	if _, err := e.b.Build(ctx, nok(250_00), provider.Evidence{}, provider.Facts{}); !errors.Is(err, provider.ErrNotProcessed) {
		t.Fatalf("build without a session: %v", err)
	}
	e.sb1Session()
	p := e.pay(nok(250_00))
	if p.State.Status != provider.StatusAwaitingBankSCA {
		t.Fatalf("created %+v", p.State)
	}
	// The ledger's copy holds neither the session id nor the payer's national identity number.
	if strings.Contains(string(p.Request.Bytes), sb1PSU) || strings.Contains(string(p.Request.Bytes), e.sessionIDs()[0]) {
		t.Fatal("the stored request holds the PSU-ID or the TPP-Session-ID")
	}
	act := e.mustApprove(&p, provider.Input{})
	if act == nil || act.Kind != provider.ActionRedirect || act.URL == "" {
		t.Fatalf("action %+v", act)
	}
	if m := e.memo(p); m.Auth == nil || m.Auth.ID == "" {
		t.Fatalf("memo %+v", m)
	}
	e.Decide(act.URL, true, nil)
	if act := e.mustApprove(&p, provider.Input{}); act != nil || p.State.Status != provider.StatusAuthorised {
		t.Fatalf("after approval %+v %+v", act, p.State)
	}
	if seen := e.track(&p); seen[len(seen)-1] != "ACSC" || p.State.Status != provider.StatusExecuted {
		t.Fatalf("statuses %v", seen)
	}
	e.verdictsPass(e.sessionProbes())
	e.noSecrets(e.sessionIDs()...)
	e.noPII(sb1PSU)
}

// TestSB1SessionChanged: a stored create built in one payer's session is not sent in another's
// (its signed PSU-ID, left out of the ledger, no longer verifies): Send returns a Rebuild for
// the live session, which the bank takes. A session the bank ended is ErrGrantInactive and
// ErrNotProcessed, and the provider forgets it.
func TestSB1SessionChanged(t *testing.T) {
	e := start(t, bank.ProfileSB1(), xs2a.SpareBank1(), nil)
	e.sb1Session()
	req := e.build(nok(12_00))
	act, err := e.b.BeginSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	back := e.Decide(act.URL, true, url.Values{"psu": {"02029012345"}})
	if _, err := e.b.FinishSession(ctx, back.String()); err != nil {
		t.Fatal(err)
	}
	n := e.drop.requests()
	_, err = e.b.Send(ctx, payment(req))
	var rb *provider.Rebuild
	if !errors.As(err, &rb) || e.drop.requests() != n {
		t.Fatalf("send in another session: %v", err)
	}
	if p := e.send(payment(rb.Request)); p.State.BankRef == "" {
		t.Fatal("not created")
	}
	e.verdictsPass(e.sessionProbes())

	e.b.UseSession(Session{PSUID: "02029012345", ID: "ended-session-id-0000"})
	_, err = e.b.Send(ctx, payment(e.build(nok(13_00))))
	if !errors.Is(err, provider.ErrGrantInactive) || !errors.Is(err, provider.ErrNotProcessed) || e.b.HasSession() {
		t.Fatalf("send in an ended session: %v (session kept: %v)", err, e.b.HasSession())
	}
}
