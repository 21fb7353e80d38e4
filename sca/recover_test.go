package sca

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func blockWallet(t *testing.T, e *env, a *Authenticator, secret string) {
	t.Helper()
	for range MaxFailures {
		_, _ = a.Authenticate(testIntent(), otherPIN, e.code(secret, 0))
	}
	if !a.Status().Blocked {
		t.Fatal("not blocked after five failures")
	}
}

func TestRecoverLiftsBlockWithRecoveryCodeAndTOTP(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	secret, rc := e.enrol(a)
	binding := a.Status().DeviceBindingID
	blockWallet(t, e, a, secret)

	const newPIN PIN = "864209"
	wrongRC := RecoveryCode(strings.Repeat("A", 32))
	_, err := a.Recover(wrongRC, e.code(secret, 0), newPIN)
	var re *RecoveryError
	if !errors.As(err, &re) || re.Remaining != MaxRecoveryFailures-1 {
		t.Fatalf("wrong recovery code: %v", err)
	}
	_, errOTP := a.Recover(rc, "000000", newPIN)
	if errOTP == nil || strings.ReplaceAll(errOTP.Error(), "3", "4") != err.Error() {
		t.Fatalf("wrong TOTP must fail the same way: %v vs %v", errOTP, err)
	}
	// The code is accepted in any case and with spaces, as people copy it.
	messy := RecoveryCode(strings.ToLower(strings.ReplaceAll(rc.Reveal(), "-", " ")))
	newRC, err := e.open().Recover(messy, e.code(secret, 0), newPIN)
	if err != nil {
		t.Fatal(err)
	}
	if newRC.Reveal() == rc.Reveal() {
		t.Fatal("recovery code not rotated")
	}
	a = e.open()
	st := a.Status()
	if st.Blocked || st.RemainingAttempts != MaxFailures || st.DeviceBindingID != binding {
		t.Fatalf("after recovery %+v (binding must be kept)", st)
	}
	e.clock.Add(30 * time.Second)
	if _, err := a.Authenticate(testIntent(), testPIN, e.code(secret, 0)); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("old PIN still works: %v", err)
	}
	if _, err := a.Authenticate(testIntent(), newPIN, e.code(secret, 0)); err != nil {
		t.Fatalf("new PIN: %v", err)
	}
	e.clock.Add(30 * time.Second)
	if _, err := a.Recover(rc, e.code(secret, 0), "135792"); !errors.Is(err, ErrRecoveryFailed) {
		t.Fatalf("old recovery code still works: %v", err)
	}
}

func TestRecoveryAttemptsAreLimited(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	secret, rc := e.enrol(a)
	for i := range MaxRecoveryFailures {
		_, err := e.open().Recover(RecoveryCode(strings.Repeat("B", 32)), e.code(secret, 0), "864209")
		if !errors.Is(err, ErrRecoveryFailed) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	if _, err := e.open().Recover(rc, e.code(secret, 0), "864209"); !errors.Is(err, ErrRecoveryLocked) {
		t.Fatalf("after %d failures: %v", MaxRecoveryFailures, err)
	}
}

func TestRecoverRepairsTamperedState(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	secret, rc := e.enrol(a)
	if err := os.WriteFile(a.statePath(), []byte(`{"state":{"failures":0},"mac":""}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if !e.open().Status().Tampered {
		t.Fatal("tampering not reported")
	}
	if _, err := e.open().Recover(rc, e.code(secret, 0), "864209"); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(30 * time.Second)
	if _, err := e.open().Authenticate(testIntent(), "864209", e.code(secret, 0)); err != nil {
		t.Fatalf("after repair: %v", err)
	}
}

func TestResetAllowsFreshEnrolmentWithNewBinding(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	e.enrol(a)
	old := a.Status().DeviceBindingID
	if err := a.Reset(); err != nil {
		t.Fatal(err)
	}
	if a.Status().Enrolled {
		t.Fatal("still enrolled after reset")
	}
	e.enrol(a)
	if nb := a.Status().DeviceBindingID; nb == old || nb == "" {
		t.Fatalf("binding id after re-enrolment %q (old %q)", nb, old)
	}
}
