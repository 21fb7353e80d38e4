package sca

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// FuzzVerifyAuthenticationValue: arbitrary JWS-ish input never panics and never verifies
// unless it is the genuine, unmodified token.
func FuzzVerifyAuthenticationValue(f *testing.F) {
	e := newEnv(f)
	a := e.open()
	secret, _ := e.enrol(a)
	ev, err := a.Authenticate(testIntent(), testPIN, e.code(secret, 0))
	if err != nil {
		f.Fatal(err)
	}
	genuine, binding := ev.AuthenticationValue, ev.DeviceBindingID
	f.Add(genuine)
	f.Add(strings.Replace(genuine, ".", "..", 1))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add(strings.Repeat(".", 1000))
	f.Fuzz(func(t *testing.T, s string) {
		c, err := VerifyAuthenticationValue(s, binding)
		if err == nil && (c == nil || c.DeviceBindingID != binding || c.Amount != "10.00") {
			t.Fatalf("verified a token with claims %v", c)
		}
	})
}

func FuzzParseRecoveryCode(f *testing.F) {
	f.Add("ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567")
	f.Add("abcd efgh ijkl mnop qrst uvwx yz23 4567")
	f.Add("0000-0000")
	f.Fuzz(func(t *testing.T, s string) {
		raw, ok := parseRecoveryCode(RecoveryCode(s))
		if ok && len(raw) != recoveryBytes {
			t.Fatalf("parsed to %d bytes", len(raw))
		}
	})
}

// FuzzMatchStep: any typed code is either refused or equal to the real code of a step within
// one step of now that is later than the last used one.
func FuzzMatchStep(f *testing.F) {
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	f.Add("123456", int64(1_795_000_000), uint64(0))
	f.Add("000000", int64(0), uint64(0))
	f.Add("99999", int64(-5), uint64(1<<63))
	f.Fuzz(func(t *testing.T, code string, unix int64, last uint64) {
		if unix < 0 {
			unix = -unix
		}
		now := time.Unix(unix%(1<<40), 0)
		step, ok := matchStep(secret, OTP(code), now, last)
		if !ok {
			return
		}
		cur := uint64(now.Unix()) / totpPeriod
		if step <= last || step+1 < cur || step > cur+1 {
			t.Fatalf("accepted step %d at current %d, last %d", step, cur, last)
		}
	})
}

// FuzzStoredState: the counters and the device file are read from disk and keyring, so they
// are untrusted input: parsing never panics, and a forged counter copy never authenticates.
func FuzzStoredState(f *testing.F) {
	key := []byte("0123456789abcdef0123456789abcdef")
	good, _ := sealCounters(key, counters{Seq: 3, Failures: 2, LastStep: 99, BindingID: "b"})
	f.Add(good, []byte(`{"v":1}`))
	withPIN, _ := sealCounters(key, counters{Seq: 4, Failures: 3, PINFailures: 2, LastStep: 99, BindingID: "b"})
	f.Add(withPIN, []byte(`{}`))
	f.Add([]byte(`{"state":{"failures":-1},"mac":""}`), []byte(`{"v":1,"kdf":{"t":1,"m":64,"p":1},"salt":"AAAAAAAAAAAAAAAAAAAAAA==","jwk":{"kty":"EC"}}`))
	f.Fuzz(func(t *testing.T, state, device []byte) {
		if c, err := openCounters(key, state, "b"); err == nil {
			var sc sealedCounters
			_ = json.Unmarshal(state, &sc)
			mac, _ := macCounters(key, c)
			if c.Failures < 0 || c.RecoveryFailures < 0 || c.PINFailures < 0 || c.PINFailures > c.Failures ||
				c.BindingID != "b" || !bytes.Equal(mac, sc.MAC) {
				t.Fatalf("accepted counters that are not ours: %+v", c)
			}
		}
		var d deviceFile
		if json.Unmarshal(device, &d) == nil {
			_ = d.check(true)
		}
	})
}
