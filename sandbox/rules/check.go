package rules

import (
	"regexp"
	"slices"
	"time"
	"unicode/utf8"
)

// checker records the first violation of a validation pass; later checks
// become no-ops, so validators read as a flat list of rules.
type checker struct {
	rule int
	code string
	err  *Violation
}

func newChecker(rule int, code string) *checker { return &checker{rule: rule, code: code} }

func (c *checker) ok() bool { return c.err == nil }

// result returns the first violation as an error (nil when none).
func (c *checker) result() error {
	if c.err == nil {
		return nil
	}
	return c.err
}

func (c *checker) fail(path, format string, args ...any) {
	if c.err == nil {
		c.err = violation(c.rule, c.code, path, format, args...)
	}
}

// failAs records a violation under another rule/code (first one wins).
func (c *checker) failAs(rule int, code, path, format string, args ...any) {
	if c.err == nil {
		c.err = violation(rule, code, path, format, args...)
	}
}

func (c *checker) require(path string, present bool) {
	if !present {
		c.fail(path, "is required")
	}
}

// length checks a string's length in characters; max < 0 means unbounded.
func (c *checker) length(path, s string, minLen, maxLen int) {
	n := utf8.RuneCountInString(s)
	if n < minLen || (maxLen >= 0 && n > maxLen) {
		if maxLen < 0 {
			c.fail(path, "must have at least %d characters", minLen)
			return
		}
		c.fail(path, "must have %d to %d characters", minLen, maxLen)
	}
}

// optLength checks an optional string (empty means absent).
func (c *checker) optLength(path string, s *string, minLen, maxLen int) {
	if s != nil {
		c.length(path, *s, minLen, maxLen)
	}
}

func (c *checker) enum(path, v string, allowed ...string) {
	if !slices.Contains(allowed, v) {
		c.fail(path, "is not one of the allowed values")
	}
}

func (c *checker) optEnum(path string, v *string, allowed ...string) {
	if v != nil {
		c.enum(path, *v, allowed...)
	}
}

func (c *checker) pattern(path, v string, re *regexp.Regexp, what string) {
	if !re.MatchString(v) {
		c.fail(path, "must match %s", what)
	}
}

// dateTime parses an RFC 3339 date-time that carries an offset (Z or ±hh:mm).
func (c *checker) dateTime(path, v string) time.Time {
	t, err := parseDateTime(v)
	if err != nil {
		c.fail(path, "must be an RFC 3339 date-time with an offset")
	}
	return t
}

func (c *checker) optDateTime(path string, v *string) {
	if v != nil {
		c.dateTime(path, *v)
	}
}

func (c *checker) optDate(path string, v *string) {
	if v == nil {
		return
	}
	if _, err := time.Parse(time.DateOnly, *v); err != nil {
		c.fail(path, "must be a date YYYY-MM-DD")
	}
}

func (c *checker) minInt(path string, v *int64, minVal int64) {
	if v != nil && *v < minVal {
		c.fail(path, "must be at least %d", minVal)
	}
}

var dateTimePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`)

func parseDateTime(v string) (time.Time, error) {
	if !dateTimePattern.MatchString(v) {
		return time.Time{}, errNotDateTime
	}
	return time.Parse(time.RFC3339Nano, v)
}

type constError string

func (e constError) Error() string { return string(e) }

const errNotDateTime = constError("not an RFC 3339 date-time with offset")
