package sca

import (
	"encoding/base32"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEnrolmentActiveOnlyAfterOneValidCode(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	if _, err := a.BeginEnrolment("123456"); !errors.Is(err, ErrWeakPIN) {
		t.Fatalf("weak PIN: %v", err)
	}
	en, err := a.BeginEnrolment(testPIN)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(en.URI())
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" {
		t.Fatalf("URI %v: %v", u, err)
	}
	q := u.Query()
	if q.Get("algorithm") != "SHA1" || q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("secret") != en.Secret() {
		t.Fatalf("otpauth parameters %v", q)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(en.Secret())
	if err != nil || len(raw) != 20 {
		t.Fatalf("secret is %d bytes (%v), want 20 (160 bits)", len(raw), err)
	}
	if qr := en.QR(); strings.Count(qr, "\n") < 20 || !strings.ContainsAny(qr, "█▀▄") {
		t.Fatalf("QR does not look like a terminal QR code:\n%s", qr)
	}
	for _, s := range []string{en.String(), e.logs.String()} {
		if strings.Contains(s, en.Secret()) {
			t.Fatal("enrolment secret printed")
		}
	}
	// A wrong code leaves nothing behind.
	wrong := OTP("000000")
	if e.code(en.Secret(), 0) == wrong {
		wrong = "000001"
	}
	if _, err := a.ConfirmEnrolment(en, wrong); !errors.Is(err, ErrEnrolmentCode) {
		t.Fatalf("wrong code: %v", err)
	}
	if a.Status().Enrolled {
		t.Fatal("enrolled before a valid code")
	}
	if _, err := a.Authenticate(testIntent(), testPIN, e.code(en.Secret(), 0)); !errors.Is(err, ErrNotEnrolled) {
		t.Fatalf("authenticate before confirmation: %v", err)
	}
	rc, err := a.ConfirmEnrolment(en, e.code(en.Secret(), 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := parseRecoveryCode(RecoveryCode(rc.Reveal())); !ok {
		t.Fatalf("recovery code does not parse back")
	}
	st := a.Status()
	if !st.Enrolled || st.Blocked || st.RemainingAttempts != MaxFailures || st.DeviceBindingID == "" || !st.BoundAt.Equal(e.clock.Now()) {
		t.Fatalf("status after enrolment %+v", st)
	}
	if _, err := a.BeginEnrolment(otherPIN); !errors.Is(err, ErrAlreadyEnrolled) {
		t.Fatalf("second enrolment: %v", err)
	}
	// Deleting the device file does not open the way to a silent re-enrolment.
	if err := os.Remove(a.devicePath()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.BeginEnrolment(otherPIN); !errors.Is(err, ErrAlreadyEnrolled) {
		t.Fatalf("enrolment over leftovers: %v", err)
	}
}

func TestAuthenticateProducesLinkedEvidence(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	secret, _ := e.enrol(a)
	in := testIntent()
	ev, err := a.Authenticate(in, testPIN, e.code(secret, 0))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Outcome != OutcomePass || !ev.ChallengeTime.Equal(e.clock.Now()) || ev.DeviceBindingID != a.Status().DeviceBindingID {
		t.Fatalf("evidence %v", ev)
	}
	if len(ev.Factors) != 2 || ev.Factors[0] != (Factor{Knowledge, FactorPIN}) || ev.Factors[1] != (Factor{Possession, FactorOTPApp}) {
		t.Fatalf("factors %v", ev.Factors)
	}
	c, err := VerifyAuthenticationValue(ev.AuthenticationValue, ev.DeviceBindingID)
	if err != nil {
		t.Fatal(err)
	}
	want := LinkingClaims{ConsentID: in.ConsentID, Amount: "10.00", Currency: "AED", CreditorAccount: testIBAN,
		CreditorName: testName, IdempotencyKey: in.IdempotencyKey, ChallengeTime: "2026-11-22T10:00:30Z",
		IssuedAt: e.clock.Now().Unix(), DeviceBindingID: ev.DeviceBindingID}
	if strings.Join(c.Methods, ",") != "pin,otp,swk" {
		t.Fatalf("amr %v", c.Methods)
	}
	c.Methods = nil
	if !reflect.DeepEqual(*c, want) {
		t.Fatalf("linking claims\n got %+v\nwant %+v", *c, want)
	}
	if _, err := VerifyAuthenticationValue(ev.AuthenticationValue, "another-binding-id"); err == nil {
		t.Fatal("JWS accepted for another device binding id")
	}
	parts := strings.Split(ev.AuthenticationValue, ".")
	forged := parts[0] + "." + b64(`{"amount":"99999.00"}`) + "." + parts[2]
	if _, err := VerifyAuthenticationValue(forged, ev.DeviceBindingID); err == nil {
		t.Fatal("JWS with a changed payload verified")
	}
	if st := a.Status(); st.RemainingAttempts != MaxFailures {
		t.Fatalf("success left %d attempts", st.RemainingAttempts)
	}
}

func TestReplayedCodeIsRefused(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	secret, _ := e.enrol(a)
	code := e.code(secret, 0)
	if _, err := a.Authenticate(testIntent(), testPIN, code); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(5 * time.Second) // same step, well inside the window
	in := testIntent()
	in.IdempotencyKey = "second-payment"
	if _, err := a.Authenticate(in, testPIN, code); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("replayed code: %v", err)
	}
	// The previous step's code is older than the one used: also refused (no going back).
	e.clock.Add(30 * time.Second)
	if _, err := a.Authenticate(in, testPIN, e.code(secret, -2)); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("older code after a newer one: %v", err)
	}
	// Replay survives a restart: the last used step is persisted.
	a2 := e.open()
	if _, err := a2.Authenticate(in, testPIN, code); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("replayed code after restart: %v", err)
	}
	if _, err := a2.Authenticate(in, testPIN, e.code(secret, 0)); err != nil {
		t.Fatalf("fresh code refused: %v", err)
	}
}

func TestSkewIsAtMostOneStep(t *testing.T) {
	for _, tc := range []struct {
		offset int
		ok     bool
	}{{-2, false}, {-1, true}, {0, true}, {1, true}, {2, false}} {
		e := newEnv(t)
		a := e.open()
		secret, _ := e.enrol(a)
		e.clock.Add(10 * time.Minute) // far from the enrolment step
		_, err := a.Authenticate(testIntent(), testPIN, e.code(secret, tc.offset))
		if tc.ok && err != nil {
			t.Errorf("code %+d steps: %v", tc.offset, err)
		}
		if !tc.ok && !errors.Is(err, ErrAuthFailed) {
			t.Errorf("code %+d steps accepted (err %v)", tc.offset, err)
		}
	}
}

func TestFailureNeverSaysWhichFactor(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	secret, _ := e.enrol(a)
	right := e.code(secret, 0)
	wrong := OTP("000000")
	if wrong == right {
		wrong = "000001"
	}
	_, errPIN := a.Authenticate(testIntent(), otherPIN, right)
	_, errCode := a.Authenticate(testIntent(), testPIN, wrong)
	_, errBoth := a.Authenticate(testIntent(), otherPIN, wrong)
	var ae1, ae2, ae3 *AuthError
	if !errors.As(errPIN, &ae1) || !errors.As(errCode, &ae2) || !errors.As(errBoth, &ae3) {
		t.Fatalf("errors %v / %v / %v", errPIN, errCode, errBoth)
	}
	if ae1.Remaining != 4 || ae2.Remaining != 3 || ae3.Remaining != 2 {
		t.Fatalf("remaining %d %d %d, want 4 3 2", ae1.Remaining, ae2.Remaining, ae3.Remaining)
	}
	// Same text apart from the count; neither names a factor.
	norm := func(err error) string { return strings.NewReplacer("4", "N", "3", "N", "2", "N").Replace(err.Error()) }
	if norm(errPIN) != norm(errCode) || norm(errCode) != norm(errBoth) {
		t.Fatalf("errors differ by factor:\n%v\n%v\n%v", errPIN, errCode, errBoth)
	}
	for _, err := range []error{errPIN, errCode} {
		if !strings.Contains(err.Error(), "PIN or the code") {
			t.Fatalf("error should name both factors generically: %v", err)
		}
	}
	// Malformed input is refused without counting an attempt.
	if _, err := a.Authenticate(testIntent(), "12", right); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("short PIN: %v", err)
	}
	if st := a.Status(); st.RemainingAttempts != 2 {
		t.Fatalf("malformed input counted: %d left", st.RemainingAttempts)
	}
	// A success resets the count.
	if _, err := a.Authenticate(testIntent(), testPIN, right); err != nil {
		t.Fatal(err)
	}
	if st := a.Status(); st.RemainingAttempts != MaxFailures {
		t.Fatalf("after success %d left", st.RemainingAttempts)
	}
}

func TestSixthAttemptBlockedAfterRestart(t *testing.T) {
	e := newEnv(t)
	secret, rc := e.enrol(e.open())
	a := e.open()
	for i := 1; i <= 3; i++ {
		if _, err := a.Authenticate(testIntent(), otherPIN, e.code(secret, 0)); !errors.Is(err, ErrAuthFailed) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	a = e.open() // restart: new store instance, new Authenticator, same data dir
	if _, err := a.Authenticate(testIntent(), otherPIN, e.code(secret, 0)); err == nil || errors.Is(err, ErrBlocked) {
		t.Fatalf("attempt 4: %v", err)
	}
	_, err := a.Authenticate(testIntent(), otherPIN, e.code(secret, 0))
	var ae *AuthError
	if !errors.As(err, &ae) || ae.Remaining != 0 || !errors.Is(err, ErrBlocked) {
		t.Fatalf("attempt 5 should block: %v", err)
	}
	a = e.open()
	e.clock.Add(time.Hour)
	_, err = a.Authenticate(testIntent(), testPIN, e.code(secret, 0)) // right PIN and code
	if !errors.Is(err, ErrBlocked) || errors.As(err, &ae) {
		t.Fatalf("6th attempt after restart: %v, want ErrBlocked before any check", err)
	}
	if st := a.Status(); !st.Blocked || st.RemainingAttempts != 0 {
		t.Fatalf("status %+v", st)
	}
	if !strings.Contains(e.logs.String(), "payments blocked") {
		t.Fatal("the block was not logged")
	}
	_ = rc
}

func TestTamperedCounterIsDetected(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	secret, _ := e.enrol(a)
	for range 3 {
		_, _ = a.Authenticate(testIntent(), otherPIN, e.code(secret, 0))
	}
	path := a.statePath()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(raw), `"failures":3`, `"failures":0`, 1)
	if edited == string(raw) {
		t.Fatalf("state file layout changed: %s", raw)
	}
	if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	a = e.open()
	if _, err := a.Authenticate(testIntent(), testPIN, e.code(secret, 0)); !errors.Is(err, ErrTampered) {
		t.Fatalf("edited counter: %v, want ErrTampered", err)
	}
	if st := a.Status(); !st.Tampered || !st.Blocked {
		t.Fatalf("status %+v", st)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := e.open().Authenticate(testIntent(), testPIN, e.code(secret, 0)); !errors.Is(err, ErrTampered) {
		t.Fatalf("deleted counter file: %v, want ErrTampered", err)
	}
}

func TestRolledBackCounterCopyLoses(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	secret, _ := e.enrol(a)
	clean, _ := os.ReadFile(a.statePath())
	store := e.store()
	cleanStore, _ := store.Get(nameState)
	for range 4 {
		_, _ = a.Authenticate(testIntent(), otherPIN, e.code(secret, 0))
	}
	// Roll back the data-dir copy: the keystore copy is newer and wins.
	if err := os.WriteFile(a.statePath(), clean, 0o600); err != nil {
		t.Fatal(err)
	}
	if st := e.open().Status(); st.RemainingAttempts != 1 {
		t.Fatalf("after rolling back the file: %d left, want 1", st.RemainingAttempts)
	}
	// Roll back the keystore copy: the (repaired) data-dir copy wins.
	if err := e.store().Set(nameState, cleanStore); err != nil {
		t.Fatal(err)
	}
	if st := e.open().Status(); st.RemainingAttempts != 1 {
		t.Fatalf("after rolling back the keystore: %d left, want 1", st.RemainingAttempts)
	}
}

func TestEvidenceAuthorisesOnlyItsIntentOnceWithinFiveMinutes(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	secret, _ := e.enrol(a)
	in := testIntent()
	ev, err := a.Authenticate(in, testPIN, e.code(secret, 0))
	if err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	changes := map[string]func(*Intent){
		"amount 10.01":    func(i *Intent) { i.Amount = "10.01" },
		"currency":        func(i *Intent) { i.Currency = "USD" },
		"payee account":   func(i *Intent) { i.CreditorIBAN = "GB82WEST12345698765432" },
		"payee name":      func(i *Intent) { i.CreditorName = "Fatima Al Zahra Tradng" },
		"consent":         func(i *Intent) { i.ConsentID = "consent-other" },
		"idempotency key": func(i *Intent) { i.IdempotencyKey = "other-key" },
	}
	for name, f := range changes {
		other := in
		f(&other)
		if err := ev.Authorises(other, now); !errors.Is(err, ErrEvidenceMismatch) {
			t.Errorf("%s: %v", name, err)
		}
		if err := ev.Consume(other, now); !errors.Is(err, ErrEvidenceMismatch) {
			t.Errorf("%s consume: %v", name, err)
		}
	}
	if err := ev.Authorises(in, now.Add(EvidenceLifetime)); err != nil {
		t.Fatalf("at exactly 5 minutes: %v", err)
	}
	if err := ev.Authorises(in, now.Add(EvidenceLifetime+time.Second)); !errors.Is(err, ErrEvidenceExpired) {
		t.Fatalf("after 5 minutes: %v", err)
	}
	if err := ev.Authorises(in, now.Add(-time.Second)); !errors.Is(err, ErrEvidenceExpired) {
		t.Fatalf("clock before the challenge: %v", err)
	}
	if !ev.ExpiresAt().Equal(now.Add(EvidenceLifetime)) {
		t.Fatalf("ExpiresAt %v", ev.ExpiresAt())
	}
	ev.ChallengeTime = now.Add(time.Hour) // editing the exported copy extends nothing
	if err := ev.Authorises(in, now.Add(EvidenceLifetime+time.Second)); !errors.Is(err, ErrEvidenceExpired) {
		t.Fatalf("edited ChallengeTime extended the evidence: %v", err)
	}
	ev.ChallengeTime = now
	if err := ev.Consume(in, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := ev.Consume(in, now.Add(time.Minute)); !errors.Is(err, ErrEvidenceUsed) {
		t.Fatalf("second use: %v", err)
	}
	if err := ev.Authorises(in, now.Add(time.Minute)); !errors.Is(err, ErrEvidenceUsed) {
		t.Fatalf("authorises after use: %v", err)
	}
}

func TestDeviceKeyNeedsPINAndKeystoreSecret(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	secret, _ := e.enrol(a)
	d, err := a.loadDevice()
	if err != nil {
		t.Fatal(err)
	}
	ws, err := e.store().Get(nameWrapSecret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.unwrapWithPIN(testPIN, ws); err != nil {
		t.Fatalf("PIN + wrap secret: %v", err)
	}
	if _, err := d.unwrapWithPIN(otherPIN, ws); err == nil {
		t.Fatal("wrong PIN unwrapped the device key")
	}
	other := append([]byte{}, ws...)
	other[0] ^= 1
	if _, err := d.unwrapWithPIN(testPIN, other); err == nil {
		t.Fatal("PIN without the keystore secret unwrapped the device key")
	}
	// A copy of the data dir next to an empty keystore (another machine): refused.
	copyDir := t.TempDir()
	if err := os.CopyFS(copyDir, os.DirFS(e.dir)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(copyDir + "/secrets.enc"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"/sca/device.json", "/sca/state.json"} {
		if err := os.Chmod(copyDir+f, 0o600); err != nil { // CopyFS drops the 0600
			t.Fatal(err)
		}
	}
	e2 := &env{t: t, dir: copyDir, clock: e.clock, logs: e.logs}
	if _, err := e2.open().Authenticate(testIntent(), testPIN, e.code(secret, 0)); !errors.Is(err, ErrTampered) {
		t.Fatal("copied data dir without the keystore authenticated")
	}
	// The keystore holds no device key material that works without the data dir's file.
	for _, name := range []string{nameWrapSecret, nameTOTPSeed, nameMACKey, nameState} {
		v, _ := e.store().Get(name)
		if strings.Contains(string(v), "PRIVATE") || len(v) > 4096 {
			t.Fatalf("keystore entry %s looks like key material", name)
		}
	}
}

func b64(s string) string {
	return strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(base64Std(s)), "=")
}

// TestCodeTypedAgainSaysSoAndCostsNothing: the code just accepted, typed again within its
// window, is refused with ErrCodeUsed (still ErrAuthFailed) and costs no attempt, with the
// right PIN or a wrong one (the PIN is not read: nothing about it is said); the next code
// passes; an older code than the one used is a counted failure as before.
func TestCodeTypedAgainSaysSoAndCostsNothing(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	secret, _ := e.enrol(a)
	code := e.code(secret, 0)
	if _, err := a.Authenticate(testIntent(), testPIN, code); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(5 * time.Second)
	in := testIntent()
	in.IdempotencyKey = "second-payment"
	for _, pin := range []PIN{testPIN, "918273"} {
		_, err := a.Authenticate(in, pin, code)
		var used *CodeUsedError
		if !errors.Is(err, ErrCodeUsed) || !errors.Is(err, ErrAuthFailed) || !errors.As(err, &used) {
			t.Fatalf("code typed again (PIN %s): %v", pin, err)
		}
		if !strings.Contains(err.Error(), "already used; wait for the next one") {
			t.Fatalf("the refusal does not say why: %q", err)
		}
	}
	if got := a.Status().RemainingAttempts; got != MaxFailures {
		t.Fatalf("a code typed again cost attempts: %d left", got)
	}
	if _, err := a.Authenticate(in, testPIN, e.code(secret, 1)); err != nil {
		t.Fatalf("the next code: %v", err)
	}
	e.clock.Add(30 * time.Second)
	_, err := a.Authenticate(in, testPIN, e.code(secret, -1)) // older than the one used, not it
	if errors.Is(err, ErrCodeUsed) || !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("an older code: %v", err)
	}
	if got := a.Status().RemainingAttempts; got != MaxFailures-1 {
		t.Fatalf("an older code is a counted failure: %d left", got)
	}
}

// TestEnrolmentOverAnUnreadableDeviceFileSaysWhy: a device file payterm cannot read (here, one
// others can read) refuses a new enrolment with the reason, not as "already enrolled"; a
// damaged one is an enrolment.
func TestEnrolmentOverAnUnreadableDeviceFileSaysWhy(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	if err := os.MkdirAll(filepath.Dir(a.devicePath()), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(a.devicePath(), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(a.devicePath(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := a.BeginEnrolment(testPIN)
	if err == nil || errors.Is(err, ErrAlreadyEnrolled) || !strings.Contains(err.Error(), "want 0600") {
		t.Fatalf("enrolment over a 0644 device file: %v", err)
	}
	if err := os.Chmod(a.devicePath(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := a.BeginEnrolment(testPIN); !errors.Is(err, ErrAlreadyEnrolled) {
		t.Fatalf("enrolment over a damaged device file: %v", err)
	}
}
