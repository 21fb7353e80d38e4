package ui

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseCount(t *testing.T) {
	good := map[string]int{"1": 1, "20": 20, "010": 10, "10000": 10000, "٢٠": 20, "۲۰": 20}
	for in, want := range good {
		if n, why := parseCount(in); why != "" || n != want {
			t.Errorf("parseCount(%q) = %d, %q; want %d", in, n, why, want)
		}
	}
	bad := map[string]string{
		"": "empty", "0": "refuse every payment", "٠": "refuse every payment", "10001": "at most 10000",
		"99999999999999999999": "too long", "-1": "whole number", "1.5": "whole number", "1e3": "whole number",
		"2٠": "mixes", "abc": "whole number", "1 0": "whole number",
	}
	for in, want := range bad {
		if n, why := parseCount(in); !strings.Contains(why, want) || n != 0 {
			t.Errorf("parseCount(%q) = %d, %q; want a refusal saying %q", in, n, why, want)
		}
	}
}

// FuzzParseCount: a count is refused with a reason, or is 1 to 10000 and the number the
// digits typed spell.
func FuzzParseCount(f *testing.F) {
	for _, s := range []string{"1", "0", "10000", "10001", "٢٠", "2٠", "-3", "1e3", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, why := parseCount(s)
		if why != "" {
			if n != 0 {
				t.Fatalf("parseCount(%q) = %d with refusal %q", s, n, why)
			}
			return
		}
		if n < 1 || n > maxDayCount {
			t.Fatalf("parseCount(%q) = %d, out of range", s, n)
		}
		var digits strings.Builder
		for _, r := range s {
			switch {
			case r >= '0' && r <= '9':
				digits.WriteRune(r)
			case r >= '٠' && r <= '٩':
				digits.WriteRune('0' + r - '٠')
			case r >= '۰' && r <= '۹':
				digits.WriteRune('0' + r - '۰')
			default:
				t.Fatalf("parseCount(%q) accepted %q", s, r)
			}
		}
		if want, err := strconv.Atoi(digits.String()); err != nil || want != n {
			t.Fatalf("parseCount(%q) = %d, digits typed spell %d", s, n, want)
		}
	})
}
