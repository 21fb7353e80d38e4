package sca

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestPINPolicy(t *testing.T) {
	good := []PIN{"730461", "582913", "1357924", "902847316512", "112358"}
	bad := []PIN{"", "12345", "1234567890123", "12a456", " 73046", "000000", "999999999",
		"123456", "234567890", "654321", "987654", "890123", "121212", "123123", "45454545", "7304673046"}
	for _, p := range good {
		if err := CheckPINPolicy(p); err != nil {
			t.Errorf("good PIN (len %d) refused: %v", len(p), err)
		}
	}
	for _, p := range bad {
		err := CheckPINPolicy(p)
		if !errors.Is(err, ErrWeakPIN) {
			t.Errorf("weak PIN #%d accepted: %v", len(p), err)
			continue
		}
		if len(p) > 0 && strings.Contains(err.Error(), string(p)) {
			t.Errorf("policy error echoes the PIN: %v", err)
		}
	}
}

func TestFactorsMustBeTwoCategories(t *testing.T) {
	if err := CheckFactors(DefaultFactors); err != nil {
		t.Fatal(err)
	}
	for _, fs := range [][]FactorType{
		nil, {FactorPIN}, {FactorOTPApp},
		{FactorOTPApp, FactorTrustedDevice}, // two possession factors: not SCA
		{FactorPIN, FactorPassword},         // two knowledge factors
		{FactorPIN, FactorPIN},
		{FactorPIN, FactorFingerprint}, // two categories but inherence is not implemented
		{FactorPIN, "Telepathy"},
	} {
		if err := CheckFactors(fs); err == nil {
			t.Errorf("factors %v accepted", fs)
		}
	}
	e := newEnv(t)
	if _, err := Open(Config{DataDir: e.dir, Store: e.store(), PINKDF: cheapKDF, AllowWeakKDF: true,
		Factors: []FactorType{FactorOTPApp, FactorTrustedDevice}}); err == nil {
		t.Fatal("Open accepted a possession-only configuration")
	}
}

func TestWeakPINKDFRefusedInProduction(t *testing.T) {
	e := newEnv(t)
	if _, err := Open(Config{DataDir: e.dir, Store: e.store(), PINKDF: cheapKDF}); err == nil {
		t.Fatal("argon2id below the OWASP minimum accepted without AllowWeakKDF")
	}
	a, err := Open(Config{DataDir: e.dir, Store: e.store()})
	if err != nil {
		t.Fatal(err)
	}
	if a.kdf.Check(false) != nil || a.kdf.MemoryKiB < 19*1024 || a.kdf.Time < 2 {
		t.Fatalf("default PIN KDF %+v is below the OWASP minimum", a.kdf)
	}
}

func TestIntentValidation(t *testing.T) {
	if err := testIntent().Validate(); err != nil {
		t.Fatal(err)
	}
	mut := map[string]func(*Intent){
		"amount no decimals":   func(i *Intent) { i.Amount = "10" },
		"amount one decimal":   func(i *Intent) { i.Amount = "10.0" },
		"amount leading zero":  func(i *Intent) { i.Amount = "010.00" },
		"amount zero":          func(i *Intent) { i.Amount = "0.00" },
		"amount negative":      func(i *Intent) { i.Amount = "-1.00" },
		"amount exponent":      func(i *Intent) { i.Amount = "1e3" },
		"amount too long":      func(i *Intent) { i.Amount = "12345678901234567.00" },
		"currency lower":       func(i *Intent) { i.Currency = "aed" },
		"iban check digits":    func(i *Intent) { i.CreditorIBAN = "AE080331234567890123456" },
		"iban spaces":          func(i *Intent) { i.CreditorIBAN = "AE07 0331 2345 6789 0123 456" },
		"bban check digit":     func(i *Intent) { i.CreditorIBAN = "86011117948" },
		"bban spaced":          func(i *Intent) { i.CreditorIBAN = "8601 11 17947" },
		"name empty":           func(i *Intent) { i.CreditorName = " " },
		"name control":         func(i *Intent) { i.CreditorName = "Bob\x1b[2J" },
		"name too long":        func(i *Intent) { i.CreditorName = strings.Repeat("a", 141) },
		"consent empty":        func(i *Intent) { i.ConsentID = "" },
		"idempotency space":    func(i *Intent) { i.IdempotencyKey = "a b" },
		"idempotency too long": func(i *Intent) { i.IdempotencyKey = strings.Repeat("k", 41) },
	}
	for name, f := range mut {
		in := testIntent()
		f(&in)
		err := in.Validate()
		if !errors.Is(err, ErrInvalidIntent) {
			t.Errorf("%s: accepted (%v)", name, err)
			continue
		}
		if strings.Contains(err.Error(), testIBAN) || strings.Contains(err.Error(), testName) {
			t.Errorf("%s: error leaks the payee: %v", name, err)
		}
	}
	if err := (Intent{ConsentID: "c", Amount: "0.01", Currency: "AED", CreditorIBAN: "GB82WEST12345698765432", CreditorName: "Ø", IdempotencyKey: "k"}).Validate(); err != nil {
		t.Fatalf("minimal valid intent refused: %v", err)
	}
	// A Norwegian domestic payment names the payee's account number, not an IBAN.
	if err := (Intent{ConsentID: "c", Amount: "1.00", Currency: "NOK", CreditorIBAN: "86011117947", CreditorName: "Kari", IdempotencyKey: "k"}).Validate(); err != nil {
		t.Fatalf("Norwegian account number refused: %v", err)
	}
}

func TestSecretTypesRedactEverywhere(t *testing.T) {
	in := testIntent()
	var sb strings.Builder
	log := slog.New(slog.NewJSONHandler(&sb, nil))
	log.Info("x", "pin", testPIN, "otp", OTP("492039"), "rc", RecoveryCode("ABCD-EFGH"), "intent", in)
	out := sb.String()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%10s"} {
		out += fmt.Sprintf(verb, testPIN) + fmt.Sprintf(verb, OTP("492039")) + fmt.Sprintf(verb, RecoveryCode("ABCD-EFGH"))
		out += fmt.Sprintf(verb, in) + fmt.Sprintf(verb, struct{ P PIN }{testPIN})
	}
	for _, secret := range []string{string(testPIN), "492039", "ABCD-EFGH", testIBAN, testName,
		fmt.Sprintf("%x", string(testPIN)), fmt.Sprintf("%x", testIBAN)} {
		if strings.Contains(out, secret) {
			t.Errorf("output contains %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, in.Amount) || !strings.Contains(out, in.ConsentID) {
		t.Error("redaction removed non-sensitive fields too")
	}
}

func FuzzIntentValidate(f *testing.F) {
	i := testIntent()
	f.Add(i.ConsentID, i.Amount, i.Currency, i.CreditorIBAN, i.CreditorName, i.IdempotencyKey)
	f.Add("c", "0.00", "AED", "AE07", "", "")
	f.Add("c", "1.00", "NOK", "86011117947", "Kari", "k") // a Norwegian account number (CI's fuzzer found this kind)
	f.Add("c", "1.00", "NOK", "86011117948", "Kari", "k") // its check digit wrong
	f.Add("c", "99999999999999999.99", "US", "ZZ99ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", "\xff", "k k")
	f.Fuzz(func(t *testing.T, consent, amount, cur, iban, name, key string) {
		in := Intent{consent, amount, cur, iban, name, key}
		err := in.Validate()
		if err == nil {
			// The creditor is an IBAN or a Norwegian account number (11 digits, MOD-11 checked).
			creditorOK := validIBAN(iban) || (len(iban) == 11 && strings.Trim(iban, "0123456789") == "" && validNorwegianBBAN(iban))
			if !amountRE.MatchString(amount) || !creditorOK || len(key) > 40 || strings.ContainsAny(key, " \t\n") {
				t.Fatalf("accepted malformed intent %v", in)
			}
			return
		}
		if !errors.Is(err, ErrInvalidIntent) {
			t.Fatalf("error does not wrap ErrInvalidIntent: %v", err)
		}
		// A leak is payee text that is in the error only because it was in the input: the same
		// intent with the payee masked must not contain it too (the fixed hint says "10.00").
		masked := Intent{consent, amount, cur, strings.Repeat("#", len(iban)), strings.Repeat("#", len(name)), key}
		merr := masked.Validate()
		fixed := ""
		if merr != nil {
			fixed = merr.Error()
		}
		leaks := func(v string) bool {
			return len(v) > 3 && strings.Contains(err.Error(), v) && !strings.Contains(fixed, v)
		}
		if leaks(iban) || leaks(name) {
			t.Fatalf("error leaks the payee: %v", err)
		}
	})
}
