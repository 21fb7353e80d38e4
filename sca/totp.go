package sca

import (
	"crypto/subtle"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters: RFC 6238 defaults that every authenticator app understands.
const (
	totpPeriod     = 30
	totpDigits     = otp.DigitsSix
	totpSecretSize = 20 // 160 bits (RFC 4226 R6)
	totpSkew       = 1  // at most one step either side (RFC 6238 §5.2)
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Skew: 0, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}

// checkOTPFormat: exactly six ASCII digits.
func checkOTPFormat(code OTP) bool {
	if len(code) != 6 {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// matchStep checks code against the steps now-1, now and now+1 and returns the matching step
// if it is later than lastUsed. pquerna/otp's Validate has no replay memory and does not say
// which step matched, so each step's code is generated and compared here; all three are
// compared every time so timing does not reveal which one matched.
func matchStep(secret string, code OTP, now time.Time, lastUsed uint64) (uint64, bool) {
	current := uint64(now.Unix()) / totpPeriod
	var matched uint64
	found := 0
	for d := -totpSkew; d <= totpSkew; d++ {
		if d < 0 && current < uint64(-d) {
			continue // clock at the epoch: no earlier step
		}
		step := uint64(int64(current) + int64(d))
		want, err := totp.GenerateCodeCustom(secret, time.Unix(int64(step*totpPeriod), 0).UTC(), totpOpts)
		if err != nil {
			continue
		}
		eq := subtle.ConstantTimeCompare([]byte(want), []byte(code))
		if eq == 1 && step > lastUsed {
			matched, found = step, 1
		}
	}
	return matched, found == 1
}
