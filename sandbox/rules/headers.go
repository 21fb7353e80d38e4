package rules

import (
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"time"
)

// Header names checked by rule 28 (the Path of their violations).
const (
	HeaderIdempotencyKey    = "x-idempotency-key"
	HeaderInteractionID     = "x-fapi-interaction-id"
	HeaderAuthDate          = "x-fapi-auth-date"
	HeaderCustomerIP        = "x-fapi-customer-ip-address"
	HeaderCustomerUserAgent = "x-customer-user-agent"
)

// MaxIdempotencyKeyLength is the OpenAPI maxLength of x-idempotency-key.
const MaxIdempotencyKeyLength = 40

var authDatePattern = regexp.MustCompile(`^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} (GMT|UTC)$`)

// PaymentHeaders applies rule 28 to a POST /payments request (DSCA makes
// the PSU headers mandatory, §10 C12): x-idempotency-key present, 1–40
// characters, no whitespace; x-fapi-interaction-id an RFC 4122 UUID;
// x-fapi-auth-date in RFC 7231 form and not in the future; a parseable
// x-fapi-customer-ip-address. Each header must appear once. A missing
// x-customer-user-agent only yields a warning. Code Body.InvalidFormat,
// Path = header name.
func PaymentHeaders(h http.Header, now time.Time, opts Options) (warnings []string, err error) {
	ck := newChecker(28, CodeBodyInvalidFormat)
	checkIdempotencyKey(ck, h)
	if id, ok := singleHeader(ck, h, HeaderInteractionID); ok && !uuidPattern.MatchString(id) {
		ck.fail(HeaderInteractionID, "must be an RFC 4122 UUID")
	}
	if d, ok := singleHeader(ck, h, HeaderAuthDate); ok {
		t, perr := time.Parse(time.RFC1123, strings.Replace(d, " UTC", " GMT", 1))
		switch {
		case !authDatePattern.MatchString(d) || perr != nil || t.Weekday().String()[:3] != d[:3]:
			ck.fail(HeaderAuthDate, "must be an RFC 7231 date such as Tue, 11 Sep 2012 19:43:31 GMT")
		case t.After(now.Add(opts.leeway())):
			ck.fail(HeaderAuthDate, "must not be in the future")
		}
	}
	if ip, ok := singleHeader(ck, h, HeaderCustomerIP); ok {
		if _, perr := netip.ParseAddr(ip); perr != nil {
			ck.fail(HeaderCustomerIP, "must be an IPv4 or IPv6 address")
		}
	}
	if vals := h.Values(HeaderCustomerUserAgent); len(vals) == 0 || vals[0] == "" {
		warnings = append(warnings, "x-customer-user-agent is missing")
	}
	return warnings, ck.result()
}

// IdempotencyKey applies rule 28's idempotency-key check alone (GET
// /payments lookup).
func IdempotencyKey(h http.Header) (string, error) {
	ck := newChecker(28, CodeBodyInvalidFormat)
	key := checkIdempotencyKey(ck, h)
	return key, ck.result()
}

// checkIdempotencyKey checks that the x-idempotency-key header appears once
// and is 1–40 characters without whitespace, and returns it.
func checkIdempotencyKey(ck *checker, h http.Header) string {
	key, ok := singleHeader(ck, h, HeaderIdempotencyKey)
	if !ok {
		return key
	}
	switch {
	case key == "":
		ck.fail(HeaderIdempotencyKey, "must not be empty")
	case len(key) > MaxIdempotencyKeyLength:
		ck.fail(HeaderIdempotencyKey, "must be at most %d characters", MaxIdempotencyKeyLength)
	case strings.IndexFunc(key, isSpaceRune) >= 0:
		ck.fail(HeaderIdempotencyKey, "must not contain whitespace")
	}
	return key
}

func singleHeader(ck *checker, h http.Header, name string) (string, bool) {
	vals := h.Values(name)
	switch len(vals) {
	case 0:
		ck.fail(name, "is required")
		return "", false
	case 1:
		return vals[0], true
	}
	ck.fail(name, "must appear only once")
	return "", false
}

func isSpaceRune(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == 0x85 || r == 0xA0 ||
		(r >= 0x2000 && r <= 0x200A) || r == 0x1680 || r == 0x2028 || r == 0x2029 || r == 0x202F || r == 0x205F || r == 0x3000
}
