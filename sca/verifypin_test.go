package sca

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/payterm/payterm/keystore"
)

// wrongCode is a well-formed TOTP code that is not the current one.
func (e *env) wrongCode(secret string) OTP {
	if e.code(secret, 0) == "000000" || e.code(secret, 1) == "000000" || e.code(secret, -1) == "000000" {
		return "000001"
	}
	return "000000"
}

func remaining(t *testing.T, a *Authenticator) int {
	t.Helper()
	st := a.Status()
	if st.Err != nil {
		t.Fatalf("status: %v", st.Err)
	}
	return st.RemainingAttempts
}

func TestVerifyPINWrongCountsAndSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	e.enrol(e.open())
	a := e.open()
	err := a.VerifyPIN(otherPIN)
	var ae *AuthError
	if !errors.As(err, &ae) || ae.Remaining != MaxFailures-1 || !errors.Is(err, ErrAuthFailed) || errors.Is(err, ErrBlocked) {
		t.Fatalf("wrong PIN: %v", err)
	}
	if !strings.Contains(err.Error(), "the PIN is not correct") || strings.Contains(err.Error(), "code") {
		t.Fatalf("a PIN-only failure should speak of the PIN alone: %v", err)
	}
	a = e.open() // restart: the failure is in the persisted counters, not in this process
	if got := remaining(t, a); got != MaxFailures-1 {
		t.Fatalf("after restart %d left, want %d", got, MaxFailures-1)
	}
	if err := a.VerifyPIN(otherPIN); !errors.As(err, &ae) || ae.Remaining != MaxFailures-2 {
		t.Fatalf("second wrong PIN after restart: %v", err)
	}
	if err := e.open().VerifyPIN(testPIN); err != nil {
		t.Fatalf("right PIN: %v", err)
	}
	if got := remaining(t, e.open()); got != MaxFailures {
		t.Fatalf("a right PIN left %d attempts, want the wrong PINs forgiven (%d)", got, MaxFailures)
	}
	// A malformed PIN is refused without counting.
	for _, p := range []PIN{"", "12345", "12345a", "1234567890123"} {
		if err := a.VerifyPIN(p); !errors.Is(err, ErrInvalidInput) {
			t.Fatalf("malformed PIN: %v", err)
		}
	}
	if got := remaining(t, a); got != MaxFailures {
		t.Fatalf("malformed input counted: %d left", got)
	}
	if !strings.Contains(e.logs.String(), "PIN check failed") || !strings.Contains(e.logs.String(), "PIN verified") {
		t.Fatalf("PIN checks are not logged:\n%s", e.logs.String())
	}
}

// TestRightPINDoesNotForgiveCodeFailures: someone who knows the PIN but not the phone cannot
// keep guessing codes by typing the right PIN at the idle lock between guesses.
func TestRightPINDoesNotForgiveCodeFailures(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	secret, _ := e.enrol(a)
	for range 2 {
		if _, err := a.Authenticate(testIntent(), testPIN, e.wrongCode(secret)); !errors.Is(err, ErrAuthFailed) {
			t.Fatalf("wrong code: %v", err)
		}
	}
	if err := a.VerifyPIN(testPIN); err != nil {
		t.Fatal(err)
	}
	if got := remaining(t, a); got != MaxFailures-2 {
		t.Fatalf("the right PIN cleared failed SCA attempts: %d left, want %d", got, MaxFailures-2)
	}
	// Wrong PINs typed in between are forgiven by the right PIN; the SCA failures are not.
	_ = a.VerifyPIN(otherPIN)
	_ = a.VerifyPIN(otherPIN)
	if got := remaining(t, a); got != MaxFailures-4 {
		t.Fatalf("%d left, want %d", got, MaxFailures-4)
	}
	if err := e.open().VerifyPIN(testPIN); err != nil {
		t.Fatal(err)
	}
	if got := remaining(t, a); got != MaxFailures-2 {
		t.Fatalf("after the right PIN %d left, want %d", got, MaxFailures-2)
	}
	// The attacker's loop: code guess, right PIN, code guess… still blocks at five in all.
	for i := 3; i <= MaxFailures; i++ {
		_, err := a.Authenticate(testIntent(), testPIN, e.wrongCode(secret))
		var ae *AuthError
		if !errors.As(err, &ae) || ae.Remaining != MaxFailures-i {
			t.Fatalf("code guess %d: %v", i, err)
		}
		if i < MaxFailures {
			if err := a.VerifyPIN(testPIN); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := a.VerifyPIN(testPIN); !errors.Is(err, ErrBlocked) || errors.As(err, new(*AuthError)) {
		t.Fatalf("blocked wallet, right PIN: %v, want ErrBlocked before any check", err)
	}
	// A full SCA success clears everything, wrong PINs included.
	e2 := newEnv(t)
	b := e2.open()
	secret2, _ := e2.enrol(b)
	_ = b.VerifyPIN(otherPIN)
	_, _ = b.Authenticate(testIntent(), testPIN, e2.wrongCode(secret2))
	if _, err := b.Authenticate(testIntent(), testPIN, e2.code(secret2, 0)); err != nil {
		t.Fatal(err)
	}
	if got := remaining(t, b); got != MaxFailures {
		t.Fatalf("after a full SCA %d left, want %d", got, MaxFailures)
	}
	// …and a PIN-only failure after it is again the only thing the right PIN forgives.
	_ = b.VerifyPIN(otherPIN)
	if err := b.VerifyPIN(testPIN); err != nil || remaining(t, b) != MaxFailures {
		t.Fatalf("after SCA success, wrong then right PIN: %v, %d left", err, remaining(t, b))
	}
}

func TestBlockAfterFiveMixedFailures(t *testing.T) {
	for _, order := range []string{"PPPSS", "SSSPP", "PSPSP", "SPSPS"} {
		t.Run(order, func(t *testing.T) {
			e := newEnv(t)
			secret, rc := e.enrol(e.open())
			var last error
			for i, kind := range order {
				a := e.open() // every attempt in a fresh process
				if kind == 'P' {
					last = a.VerifyPIN(otherPIN)
				} else {
					_, last = a.Authenticate(testIntent(), otherPIN, e.code(secret, 0))
				}
				var ae *AuthError
				if !errors.As(last, &ae) || ae.Remaining != MaxFailures-1-i {
					t.Fatalf("failure %d (%c): %v", i+1, kind, last)
				}
			}
			if !errors.Is(last, ErrBlocked) {
				t.Fatalf("fifth failure does not block: %v", last)
			}
			a := e.open()
			e.clock.Add(time.Hour)
			if err := a.VerifyPIN(testPIN); !errors.Is(err, ErrBlocked) || errors.As(err, new(*AuthError)) {
				t.Fatalf("blocked wallet, right PIN: %v", err)
			}
			if _, err := a.Authenticate(testIntent(), testPIN, e.code(secret, 0)); !errors.Is(err, ErrBlocked) {
				t.Fatalf("blocked wallet, full SCA: %v", err)
			}
			if st := a.Status(); !st.Blocked || st.RemainingAttempts != 0 {
				t.Fatalf("status %+v", st)
			}
			// Recover lifts it; the new PIN verifies, the old one does not.
			const newPIN PIN = "864209"
			if _, err := a.Recover(rc, e.code(secret, 0), newPIN); err != nil {
				t.Fatal(err)
			}
			if err := a.VerifyPIN(newPIN); err != nil {
				t.Fatalf("new PIN after recovery: %v", err)
			}
			if err := a.VerifyPIN(testPIN); !errors.Is(err, ErrAuthFailed) {
				t.Fatalf("old PIN after recovery: %v", err)
			}
		})
	}
}

// spyStore lets a test look at the persisted counters at the moment the PIN is checked.
type spyStore struct {
	keystore.Store
	onGet func(name string)
}

func (s *spyStore) Get(name string) ([]byte, error) {
	if s.onGet != nil {
		s.onGet(name)
	}
	return s.Store.Get(name)
}

// TestVerifyPINRecordsBeforeChecking: when the wrap secret is fetched for the (slow) unwrap,
// the attempt is already persisted as a failure, even for the right PIN; and when it cannot
// be persisted, the PIN is not checked at all.
func TestVerifyPINRecordsBeforeChecking(t *testing.T) {
	e := newEnv(t)
	inner := e.store()
	spy := &spyStore{Store: inner}
	a, err := Open(Config{DataDir: e.dir, Store: spy, Clock: e.clock.Now, PINKDF: cheapKDF, AllowWeakKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	e.enrol(a)
	binding := a.Status().DeviceBindingID
	seen := -1
	spy.onGet = func(name string) {
		if name != nameWrapSecret {
			return
		}
		raw, err := os.ReadFile(a.statePath())
		if err != nil {
			t.Error(err)
			return
		}
		key, err := inner.Get(nameMACKey)
		if err != nil {
			t.Error(err)
			return
		}
		c, err := openCounters(key, raw, binding)
		if err != nil {
			t.Error(err)
			return
		}
		seen = c.Failures
	}
	if err := a.VerifyPIN(testPIN); err != nil {
		t.Fatal(err)
	}
	if seen != 1 {
		t.Fatalf("persisted failures during the check = %d, want 1", seen)
	}
	spy.onGet = nil

	fs := &failingStore{Store: inner}
	b, err := Open(Config{DataDir: e.dir, Store: fs, Clock: e.clock.Now, PINKDF: cheapKDF, AllowWeakKDF: true})
	if err != nil {
		t.Fatal(err)
	}
	fs.fail.Store(true)
	if err := b.VerifyPIN(testPIN); err == nil || !errors.Is(err, keystore.ErrUnavailable) {
		t.Fatalf("unrecordable attempt: %v, want the save error", err)
	}
}

func TestVerifyPINRefusesTamperedOrMissing(t *testing.T) {
	e := newEnv(t)
	if err := e.open().VerifyPIN(testPIN); !errors.Is(err, ErrNotEnrolled) {
		t.Fatalf("not enrolled: %v", err)
	}
	a := e.open()
	e.enrol(a)
	_ = a.VerifyPIN(otherPIN)
	raw, err := os.ReadFile(a.statePath())
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(raw), `"pinFailures":1`, `"pinFailures":0`, 1)
	if edited == string(raw) {
		t.Fatalf("state file layout changed: %s", raw)
	}
	if err := os.WriteFile(a.statePath(), []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.open().VerifyPIN(testPIN); !errors.Is(err, ErrTampered) {
		t.Fatalf("edited counters: %v, want ErrTampered", err)
	}
	// Without the wrap secret the right PIN unwraps nothing: refused as tampering, and counted.
	e2 := newEnv(t)
	b := e2.open()
	e2.enrol(b)
	if err := e2.store().Delete(nameWrapSecret); err != nil {
		t.Fatal(err)
	}
	if err := e2.open().VerifyPIN(testPIN); !errors.Is(err, ErrTampered) {
		t.Fatalf("missing wrap secret: %v", err)
	}
}

// TestStateSealedBeforePINFailuresStillOpens: counters written by a version without the
// pinFailures field keep their MAC (the field is omitted when zero).
func TestStateSealedBeforePINFailuresStillOpens(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	old := []byte(`{"seq":7,"failures":2,"lastStep":99,"recoveryFailures":1,"bindingId":"b"}`)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(stateMACTag))
	m.Write(old)
	raw, err := json.Marshal(map[string]any{"state": json.RawMessage(old), "mac": m.Sum(nil)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := openCounters(key, raw, "b")
	if err != nil || c.Failures != 2 || c.PINFailures != 0 || c.Seq != 7 {
		t.Fatalf("old state: %+v, %v", c, err)
	}
	// A forged split (more PIN failures than failures) is refused even with a valid MAC.
	bad, _ := sealCounters(key, counters{Seq: 1, Failures: 1, PINFailures: 2, BindingID: "b"})
	if _, err := openCounters(key, bad, "b"); !errors.Is(err, ErrTampered) {
		t.Fatalf("inconsistent counters: %v", err)
	}
}
