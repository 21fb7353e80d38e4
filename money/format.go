package money

import (
	"fmt"
	"strconv"
)

// String returns the wire form, e.g. "1234.50": digits, a point, exactly two decimals.
func (a Amount) String() string {
	units := strconv.FormatInt(a.minor/minorPerUnit, 10)
	frac := a.minor % minorPerUnit
	return units + "." + string(rune('0'+frac/10)) + string(rune('0'+frac%10))
}

// Wire is String under the name the call sites mean: the value for `Amount.Amount`.
func (a Amount) Wire() string { return a.String() }

// Display returns the amount with thousands commas for people, e.g. "1,234.50".
func (a Amount) Display() string {
	wire := a.String()
	intPart, frac := wire[:len(wire)-3], wire[len(wire)-3:]
	if len(intPart) <= 3 {
		return wire
	}
	out := make([]byte, 0, len(intPart)+len(intPart)/3+3)
	lead := len(intPart) % 3
	if lead > 0 {
		out = append(out, intPart[:lead]...)
	}
	for i := lead; i < len(intPart); i += 3 {
		if len(out) > 0 {
			out = append(out, ',')
		}
		out = append(out, intPart[i:i+3]...)
	}
	return string(append(out, frac...))
}

// MarshalText encodes the wire form, so JSON, TOML and CSV carry "1234.50" as a string,
// never a float.
func (a Amount) MarshalText() ([]byte, error) {
	return []byte(a.String()), nil
}

// UnmarshalText decodes the strict wire form (ParseWire). Text typed by a person goes
// through ParseInput instead.
func (a *Amount) UnmarshalText(b []byte) error {
	v, err := ParseWire(string(b))
	if err != nil {
		return fmt.Errorf("decode amount: %w", err)
	}
	*a = v
	return nil
}
