package wallet

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/payterm/payterm/sca"
)

// TestWalletLimitsNeedSCAToRaiseNotToLower drives Wallet.SetLimits with the real authenticator:
// lowering needs nothing; raising or removing without the PIN and code is refused before any
// attempt is counted; a wrong code costs one of the five attempts payments use and saves
// nothing; the right factors save the change; contradictions are refused before the SCA.
func TestWalletLimitsNeedSCAToRaiseNotToLower(t *testing.T) {
	ctx := context.Background()
	defaults := mustLimits(t, "5000.00", "10000.00", "50000.00", 20, "")
	e := newWalletEnv(t, newBankEnv(t), defaults)
	inForce := func() Limits {
		t.Helper()
		h, err := e.wallet.Headroom(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		return h.Limits
	}
	remaining := func() int { t.Helper(); return e.auth.Status().RemainingAttempts }

	lowered := mustLimits(t, "1000.00", "10000.00", "50000.00", 20, "20000.00")
	if plan, err := e.wallet.PlanLimits(ctx, lowered); err != nil || plan.NeedsSCA() {
		t.Fatalf("plan lowering = %+v, %v; want no SCA", plan, err)
	}
	if err := e.wallet.SetLimits(ctx, lowered, "", ""); err != nil {
		t.Fatalf("lowering: %v", err)
	}
	if inForce() != lowered {
		t.Fatalf("limits = %+v, want %+v", inForce(), lowered)
	}

	removed := mustLimits(t, "1000.00", "10000.00", "", 20, "20000.00") // no monthly limit
	plan, err := e.wallet.PlanLimits(ctx, removed)
	if err != nil || !plan.NeedsSCA() || len(plan.Raised) != 1 || plan.Raised[0] != "per_month" || plan.From != lowered {
		t.Fatalf("plan removal = %+v, %v; want per_month raised from the limits in force", plan, err)
	}
	if err := e.wallet.SetLimits(ctx, removed, "", ""); !errors.Is(err, ErrLimitsNeedSCA) {
		t.Fatalf("removal without SCA: %v", err)
	}
	if inForce() != lowered || remaining() != sca.MaxFailures {
		t.Fatalf("refused removal changed limits %+v or cost an attempt (%d left)", inForce(), remaining())
	}
	var ae *sca.AuthError
	if err := e.wallet.SetLimits(ctx, removed, testPIN, wrongCode(t, e)); !errors.As(err, &ae) || ae.Remaining != sca.MaxFailures-1 {
		t.Fatalf("removal with a wrong code: %v", err)
	}
	if inForce() != lowered || remaining() != sca.MaxFailures-1 {
		t.Fatalf("after a wrong code: limits %+v, %d attempts left", inForce(), remaining())
	}
	if err := e.wallet.SetLimits(ctx, removed, testPIN, e.scaClock.nextCode(t, e.totp)); err != nil {
		t.Fatalf("removal with the right PIN and code: %v", err)
	}
	if inForce() != removed || remaining() != sca.MaxFailures {
		t.Fatalf("after SCA: limits %+v, %d attempts left", inForce(), remaining())
	}

	contradictory := mustLimitsNoCheck(t, "20000.00", "10000.00", "", 20, "")
	if _, err := e.wallet.PlanLimits(ctx, contradictory); !errors.Is(err, ErrContradictoryLimits) {
		t.Fatalf("plan of contradictory limits: %v", err)
	}
	if err := e.wallet.SetLimits(ctx, contradictory, testPIN, e.scaClock.nextCode(t, e.totp)); !errors.Is(err, ErrContradictoryLimits) {
		t.Fatalf("contradictory limits: %v", err)
	}
	if inForce() != removed || remaining() != sca.MaxFailures {
		t.Fatal("contradictory limits were saved or cost an attempt")
	}
}

// TestWrongCodesForLimitsBlockPayments: the limits' SCA counts in the payments' five attempts,
// so five wrong codes while raising a limit block payments too.
func TestWrongCodesForLimitsBlockPayments(t *testing.T) {
	ctx := context.Background()
	e := newWalletEnv(t, newBankEnv(t), mustLimits(t, "5000.00", "10000.00", "50000.00", 20, ""))
	e.onboard(t, 1, "")
	raised := mustLimits(t, "9000.00", "10000.00", "50000.00", 20, "")
	for i := 1; i <= sca.MaxFailures; i++ {
		if err := e.wallet.SetLimits(ctx, raised, testPIN, wrongCode(t, e)); !errors.Is(err, sca.ErrAuthFailed) {
			t.Fatalf("wrong code %d: %v", i, err)
		}
	}
	if err := e.wallet.SetLimits(ctx, raised, testPIN, e.scaClock.nextCode(t, e.totp)); !errors.Is(err, sca.ErrBlocked) {
		t.Fatalf("raise after five failures: %v", err)
	}
	if _, err := e.pay(t, "10.00", nil); !errors.Is(err, sca.ErrBlocked) {
		t.Fatalf("payment after five failed limit changes: %v", err)
	}
}

// wrongCode is a well-formed code that matches none of the steps the next SCA accepts.
func wrongCode(t *testing.T, e *walletEnv) sca.OTP {
	t.Helper()
	e.scaClock.offset.Add(int64(30 * time.Second)) // a fresh step, as nextCode would
	near := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		c, err := totp.GenerateCode(e.totp, e.scaClock.Now().Add(d))
		if err != nil {
			t.Fatal(err)
		}
		near[c] = true
	}
	for _, c := range []string{"000000", "000001", "000002", "000003"} {
		if !near[c] {
			return sca.OTP(c)
		}
	}
	t.Fatal("no wrong code found")
	return ""
}
