package rules

import (
	"math"
	"time"
)

// numericDate converts a JWT NumericDate; ok is false for values no real
// token carries (negative, or past year 9999), so arithmetic cannot overflow.
func numericDate(f float64) (time.Time, bool) {
	if math.IsNaN(f) || f < 0 || f > 253402300799 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

// requiredDate checks a required NumericDate claim and returns it (zero
// when missing or invalid, with the violation recorded).
func (c *checker) requiredDate(name string, v *float64) time.Time {
	if v == nil {
		c.fail(name, "is required")
		return time.Time{}
	}
	t, ok := numericDate(*v)
	if !ok {
		c.fail(name, "is not a valid NumericDate")
	}
	return t
}

// audContains reports whether aud (a string or an array of strings) names
// want; stringOK says whether a single string is acceptable.
func audContains(aud any, want string, stringOK, arrayOK bool) bool {
	switch t := aud.(type) {
	case string:
		return stringOK && t == want
	case []any:
		if !arrayOK {
			return false
		}
		for _, e := range t {
			if s, ok := e.(string); ok && s == want {
				return true
			}
		}
	}
	return false
}
