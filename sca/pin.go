package sca

import (
	"errors"
	"fmt"
)

// PIN length bounds. Six digits is the floor the brief and common bank practice set; twelve
// keeps typing sane and bounds the KDF input.
const (
	MinPINLength = 6
	MaxPINLength = 12
)

// ErrWeakPIN is wrapped by every PIN policy refusal.
var ErrWeakPIN = errors.New("sca: PIN refused")

// CheckPINPolicy enforces the enrolment policy: 6-12 digits, not all the same digit, not a
// run of consecutive digits up or down (123456, 987654), not a repeated pair or triple
// (121212, 123123). The error says which rule, never echoes the PIN.
func CheckPINPolicy(p PIN) error {
	if err := checkPINFormat(p); err != nil {
		return err
	}
	s := string(p)
	if allSame(s) {
		return fmt.Errorf("%w: all digits are the same", ErrWeakPIN)
	}
	if sequential(s, 1) || sequential(s, -1) {
		return fmt.Errorf("%w: the digits run in sequence", ErrWeakPIN)
	}
	for period := 2; period <= len(s)/2; period++ {
		if len(s)%period == 0 && repeats(s, period) {
			return fmt.Errorf("%w: it repeats a short pattern", ErrWeakPIN)
		}
	}
	return nil
}

// checkPINFormat is the shape check used at authentication too (not counted as an attempt).
func checkPINFormat(p PIN) error {
	if len(p) < MinPINLength || len(p) > MaxPINLength {
		return fmt.Errorf("%w: it must be %d to %d digits", ErrWeakPIN, MinPINLength, MaxPINLength)
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return fmt.Errorf("%w: it must contain digits only", ErrWeakPIN)
		}
	}
	return nil
}

func allSame(s string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] != s[0] {
			return false
		}
	}
	return true
}

// sequential reports digits each step apart (mod 10, so 890123 counts as well).
func sequential(s string, step int) bool {
	for i := 1; i < len(s); i++ {
		if (int(s[i]-'0')-int(s[i-1]-'0')+10)%10 != (step+10)%10 {
			return false
		}
	}
	return true
}

func repeats(s string, period int) bool {
	for i := period; i < len(s); i++ {
		if s[i] != s[i-period] {
			return false
		}
	}
	return true
}
