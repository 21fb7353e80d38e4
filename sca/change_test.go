package sca

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func testChange() Change {
	return Change{What: "limits", From: "per_payment=5000.00 per_day=10000.00", To: "per_payment=7500.00 per_day=10000.00"}
}

// TestChangeEvidenceCoversExactlyItsChange: AuthenticateChange yields evidence whose device-key
// assertion names the change, that authorises that change once, within five minutes, and
// nothing else: not another change, not the same change from another starting state, not a
// payment; and a payment's evidence does not authorise a change.
func TestChangeEvidenceCoversExactlyItsChange(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	secret, _ := e.enrol(a)
	c := testChange()
	ev, err := a.AuthenticateChange(c, testPIN, e.code(secret, 0))
	if err != nil {
		t.Fatal(err)
	}
	st := a.Status()
	claims, err := VerifyChangeValue(ev.AuthenticationValue, st.DeviceBindingID)
	if err != nil {
		t.Fatalf("verify change assertion: %v", err)
	}
	if claims.What != c.What || claims.From != c.From || claims.To != c.To || claims.DeviceBindingID != st.DeviceBindingID ||
		strings.Join(claims.Methods, ",") != "pin,otp,swk" {
		t.Fatalf("claims = %+v, want the change %v", claims, c)
	}
	if _, err := VerifyAuthenticationValue(ev.AuthenticationValue, st.DeviceBindingID); err == nil {
		t.Fatal("a change assertion verified as a payment's")
	}
	if got, ok := ev.Change(); !ok || got != c {
		t.Fatalf("Change() = %v, %v", got, ok)
	}
	now := e.clock.Now()
	for _, other := range []Change{
		{What: c.What, From: c.From, To: "per_payment=9000.00 per_day=10000.00"},
		{What: c.What, From: "per_payment=6000.00 per_day=10000.00", To: c.To},
		{What: "other", From: c.From, To: c.To},
	} {
		if err := ev.AuthorisesChange(other, now); !errors.Is(err, ErrChangeMismatch) {
			t.Errorf("evidence for %v authorises %v: %v", c, other, err)
		}
		if err := ev.ConsumeChange(other, now); !errors.Is(err, ErrChangeMismatch) {
			t.Errorf("evidence for %v consumed by %v: %v", c, other, err)
		}
	}
	if err := ev.Authorises(Intent{}, now); !errors.Is(err, ErrEvidenceMismatch) {
		t.Errorf("change evidence authorises the zero payment intent: %v", err)
	}
	if err := ev.Consume(testIntent(), now); !errors.Is(err, ErrEvidenceMismatch) {
		t.Errorf("change evidence consumed by a payment: %v", err)
	}
	if err := ev.AuthorisesChange(c, now.Add(EvidenceLifetime+time.Second)); !errors.Is(err, ErrEvidenceExpired) {
		t.Errorf("stale change evidence: %v", err)
	}
	if err := ev.ConsumeChange(c, now.Add(time.Minute)); err != nil {
		t.Fatalf("consume: %v", err)
	}
	if err := ev.ConsumeChange(c, now.Add(time.Minute)); !errors.Is(err, ErrEvidenceUsed) {
		t.Errorf("second consume: %v", err)
	}

	e.clock.Add(30 * time.Second)
	pay, err := a.Authenticate(testIntent(), testPIN, e.code(secret, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := pay.AuthorisesChange(c, e.clock.Now()); !errors.Is(err, ErrChangeMismatch) {
		t.Errorf("payment evidence authorises a change: %v", err)
	}
	if _, ok := pay.Change(); ok {
		t.Error("payment evidence reports a change")
	}
	if _, err := VerifyChangeValue(pay.AuthenticationValue, st.DeviceBindingID); err == nil {
		t.Error("a payment assertion verified as a change's")
	}
}

// TestChangeAndPaymentShareTheFiveAttempts: wrong codes for a change and for a payment count
// in one persisted counter; the fifth failure blocks both, and the right factors no longer help.
func TestChangeAndPaymentShareTheFiveAttempts(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	secret, _ := e.enrol(a)
	for i := 1; i <= MaxFailures; i++ {
		var err error
		if i%2 == 1 {
			_, err = a.AuthenticateChange(testChange(), testPIN, e.wrongCode(secret))
		} else {
			_, err = a.Authenticate(testIntent(), testPIN, e.wrongCode(secret))
		}
		var ae *AuthError
		if !errors.As(err, &ae) || ae.Remaining != MaxFailures-i {
			t.Fatalf("failure %d: %v, want %d attempts left", i, err, MaxFailures-i)
		}
		if a.Status().RemainingAttempts != MaxFailures-i {
			t.Fatalf("after failure %d Status says %d left", i, a.Status().RemainingAttempts)
		}
	}
	e.clock.Add(30 * time.Second)
	if _, err := a.AuthenticateChange(testChange(), testPIN, e.code(secret, 0)); !errors.Is(err, ErrBlocked) {
		t.Fatalf("change after the block: %v", err)
	}
	if _, err := e.open().Authenticate(testIntent(), testPIN, e.code(secret, 0)); !errors.Is(err, ErrBlocked) {
		t.Fatalf("payment after the block (new process): %v", err)
	}
}

// TestChangeSuccessClearsFailuresAndSpendsTheCode: a successful change SCA resets the
// counter like a payment's, and its code cannot be replayed for a payment.
func TestChangeSuccessClearsFailuresAndSpendsTheCode(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	secret, _ := e.enrol(a)
	if _, err := a.Authenticate(testIntent(), testPIN, e.wrongCode(secret)); !errors.Is(err, ErrAuthFailed) {
		t.Fatal(err)
	}
	code := e.code(secret, 0)
	if _, err := a.AuthenticateChange(testChange(), testPIN, code); err != nil {
		t.Fatal(err)
	}
	if got := a.Status().RemainingAttempts; got != MaxFailures {
		t.Fatalf("remaining after success = %d", got)
	}
	if _, err := a.Authenticate(testIntent(), testPIN, code); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("code replayed from a change to a payment: %v", err)
	}
}

func TestInvalidChangeIsRefusedUncounted(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	secret, _ := e.enrol(a)
	for _, c := range []Change{
		{},
		{What: "Limits", From: "a", To: "b"},
		{What: "limits", From: "", To: "b"},
		{What: "limits", From: "a", To: "a"},
		{What: "limits", From: "a", To: "b\n"},
		{What: "limits", From: "a", To: strings.Repeat("x", 513)},
	} {
		if _, err := a.AuthenticateChange(c, testPIN, e.code(secret, 0)); !errors.Is(err, ErrInvalidChange) {
			t.Errorf("AuthenticateChange(%v) = %v, want ErrInvalidChange", c, err)
		}
	}
	if got := a.Status().RemainingAttempts; got != MaxFailures {
		t.Fatalf("invalid changes cost attempts: %d left", got)
	}
	if !strings.Contains(testChange().String(), "per_payment=7500.00") {
		t.Error("Change.String hides the change")
	}
}
