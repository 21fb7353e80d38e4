package sca

import (
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSeededSecretsNeverReachFilesLogsOrErrors runs a whole life — enrolment, failures, PIN-only
// checks, a block, recovery, payments — on the encrypted-file keystore (so everything lands in the
// data dir), then greps every file written, the captured slog output and every error string
// for the PINs, the TOTP seed, every code typed, the recovery codes, a refresh token and the
// payee.
func TestSeededSecretsNeverReachFilesLogsOrErrors(t *testing.T) {
	e := newEnv(t)
	a := e.open()
	var errs []string
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err.Error(), fmt.Sprintf("%+v", err))
		}
	}
	var codes []string
	code := func(offset int, secret string) OTP {
		c := e.code(secret, offset)
		codes = append(codes, string(c))
		return c
	}
	en, err := a.BeginEnrolment(testPIN)
	keep(err)
	secret := en.Secret()
	_, err = a.ConfirmEnrolment(en, "000000")
	keep(err)
	rc, err := a.ConfirmEnrolment(en, code(0, secret))
	keep(err)
	e.clock.Add(30 * time.Second)

	const token = "rt-5d1c0a9e7b3f4e2a8c6b"
	keep(e.store().Set("token.refresh", []byte(token)))

	ev, err := a.Authenticate(testIntent(), testPIN, code(0, secret))
	keep(err)
	logf := fmt.Sprintf("%v %+v %#v %s", ev, ev, ev, ev)
	// The idle lock's PIN-only check: wrong, then right.
	keep(e.open().VerifyPIN(otherPIN))
	keep(a.VerifyPIN(testPIN))
	for range MaxFailures + 1 {
		_, err = e.open().Authenticate(testIntent(), otherPIN, code(1, secret))
		keep(err)
	}
	keep(a.VerifyPIN(testPIN)) // blocked
	const newPIN PIN = "864209"
	_, err = a.Recover("WRONG", code(1, secret), newPIN)
	keep(err)
	newRC, err := a.Recover(rc, code(1, secret), newPIN)
	keep(err)
	e.clock.Add(time.Minute)
	_, err = a.Authenticate(testIntent(), newPIN, code(0, secret))
	keep(err)
	keep(a.VerifyPIN(testPIN)) // the old PIN
	keep(a.VerifyPIN(newPIN))
	keep(ev.Consume(testIntent(), e.clock.Now()))
	keep(ev.Consume(testIntent(), e.clock.Now()))
	other := testIntent()
	other.Amount = "10.01"
	keep(ev.Authorises(other, e.clock.Now()))

	seedRaw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	needles := map[string]string{
		"PIN": string(testPIN), "wrong PIN": string(otherPIN), "new PIN": string(newPIN),
		"TOTP seed": secret, "TOTP seed (b64)": base64.StdEncoding.EncodeToString(seedRaw),
		"TOTP seed (hex)": hex.EncodeToString(seedRaw), "token": token,
		"recovery code": rc.Reveal(), "recovery code (bare)": strings.ReplaceAll(rc.Reveal(), "-", ""),
		"new recovery code": newRC.Reveal(), "IBAN": testIBAN, "payee name": testName,
	}
	for i, c := range codes {
		needles[fmt.Sprintf("TOTP code #%d", i)] = c
	}

	haystacks := map[string]string{"slog output": e.logs.String(), "error strings": strings.Join(errs, "\n"), "Evidence formatting": logf}
	files := 0
	err = filepath.WalkDir(e.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		st, _ := d.Info()
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %o", p, st.Mode().Perm())
		}
		haystacks["file "+strings.TrimPrefix(p, e.dir)] = string(b)
		files++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 3 || len(errs) < 12 || !strings.Contains(e.logs.String(), "authentication failed") || !strings.Contains(e.logs.String(), "PIN check failed") {
		t.Fatalf("the scenario did not run as intended: %d files, %d errors, logs:\n%s", files, len(errs), e.logs.String())
	}
	for hname, h := range haystacks {
		for nname, n := range needles {
			if strings.Contains(h, n) {
				t.Errorf("%s contains the %s", hname, nname)
			}
		}
	}
}
