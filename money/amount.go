// Package money holds amounts of a two-decimal currency (AED) as integer minor units (fils).
//
// There is no floating point anywhere: amounts are parsed digit by digit into an int64 and
// formatted back the same way, so "0.10" + "0.20" is exactly "0.30". The wire format of the
// UAE Open Finance standard is `^\d{1,16}\.\d{2}$`, which bounds every amount to
// 9999999999999999.99 (about 1e18 fils, below the int64 limit of about 9.2e18); sums are
// checked against the same bound, so no arithmetic here can overflow.
package money

import (
	"errors"
	"fmt"
)

// MaxMinor is the largest amount in minor units the wire format can express:
// sixteen integer digits and two decimals.
const MaxMinor int64 = 999_999_999_999_999_999

// minorPerUnit is the number of fils in one dirham.
const minorPerUnit = 100

// Max is the largest representable amount (9999999999999999.99).
var Max = Amount{minor: MaxMinor}

// Zero is the zero amount; it is valid as a sum or a total, never as a payment amount.
var Zero = Amount{}

// ErrOutOfRange reports an amount, sum or difference outside 0 … Max.
var ErrOutOfRange = errors.New("amount out of range")

// Amount is a non-negative number of minor units (fils), at most Max. The zero value is 0.00.
// It is a struct so that code outside this package cannot use + or - on it and bypass the
// range checks.
type Amount struct {
	minor int64
}

// FromMinor returns the amount of the given number of minor units, or an error when it is
// negative or above Max (a value read back from storage is still untrusted).
func FromMinor(minor int64) (Amount, error) {
	if minor < 0 || minor > MaxMinor {
		return Amount{}, fmt.Errorf("%w: %d minor units is not between 0 and %d", ErrOutOfRange, minor, MaxMinor)
	}
	return Amount{minor: minor}, nil
}

// Minor returns the amount in minor units (fils).
func (a Amount) Minor() int64 { return a.minor }

// IsZero reports whether the amount is 0.00.
func (a Amount) IsZero() bool { return a.minor == 0 }

// IsPositive reports whether the amount is above 0.00, as every payment amount must be.
func (a Amount) IsPositive() bool { return a.minor > 0 }

// Cmp returns -1, 0 or +1 as a is less than, equal to, or greater than b.
func (a Amount) Cmp(b Amount) int {
	switch {
	case a.minor < b.minor:
		return -1
	case a.minor > b.minor:
		return 1
	default:
		return 0
	}
}

// Add returns a+b, or ErrOutOfRange when the sum exceeds Max. Both operands are at most Max
// (about 1e18), so the int64 addition itself cannot overflow before the check.
func (a Amount) Add(b Amount) (Amount, error) {
	sum := a.minor + b.minor
	if sum > MaxMinor || sum < 0 {
		return Amount{}, fmt.Errorf("%w: sum exceeds %s", ErrOutOfRange, Max)
	}
	return Amount{minor: sum}, nil
}

// Sub returns a-b, or ErrOutOfRange when b is larger than a (amounts are never negative).
func (a Amount) Sub(b Amount) (Amount, error) {
	if b.minor > a.minor {
		return Amount{}, fmt.Errorf("%w: difference would be negative", ErrOutOfRange)
	}
	return Amount{minor: a.minor - b.minor}, nil
}

// SubFloor returns a-b, or Zero when b is larger than a. It suits "what is left" figures
// such as limit headroom, where an overdrawn limit has nothing left rather than a negative.
func (a Amount) SubFloor(b Amount) Amount {
	if b.minor >= a.minor {
		return Zero
	}
	return Amount{minor: a.minor - b.minor}
}

// Min returns the smaller of a and b.
func Min(a, b Amount) Amount {
	if a.minor <= b.minor {
		return a
	}
	return b
}
