package lfi

import (
	"fmt"
	"regexp"
	"unicode/utf8"

	"github.com/payterm/payterm/internal/safetext"
)

// Identifiers and codes a bank sends are checked where they are decoded, before anything can
// store, print, export or send them back: one outside its pattern makes the answer
// unverifiable, like any other malformed answer, so a hostile bank cannot put an escape sequence,
// a C1 control or a right-to-left override into a receipt, the ledger or an export by way of an
// id or a code. Free text (Errors[].Message, RejectReasonCode[].Message, error_description) is
// not an identifier: it is kept and cleaned where it is shown (internal/safetext).

var (
	// bankErrorCodeRe is AEError400Code and its siblings: a prescribed code without a
	// namespace, or Namespace.Code (uae-bank-initiation-openapi.yaml).
	bankErrorCodeRe = regexp.MustCompile(`^(?:GenericError|GenericRecoverableError|[A-Za-z]{1,64}\.[A-Za-z0-9]{1,64})$`)
	// statusRe is every status enum of the standard (AEPaymentStatus, AEConsentStatusCodes):
	// letters only. Values the OpenAPI lacks are still kept (PaymentStatus.Known), in this shape.
	statusRe = regexp.MustCompile(`^[A-Za-z]{1,64}$`)
	// enumTokenRe is the shape of the other enum members the wallet keeps (RevokedBy such as
	// "TPP.InitiatedByUser", Permissions, OpenFinanceBilling.Type).
	enumTokenRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	// oauthCodeRe is RFC 6749 §5.2's "error": NQSCHAR (%x20-21 / %x23-5B / %x5D-7E).
	oauthCodeRe = regexp.MustCompile(`^[\x20\x21\x23-\x5B\x5D-\x7E]{1,128}$`)
)

// Bounds of what is kept from a bank's identifiers.
const (
	maxKIDLen  = 256  // a JWK kid (thumbprints and UUIDs are far shorter)
	maxLinkLen = 2048 // Links.Self / Links.Related
	maxPathLen = 500  // Errors[].Path (AEError400.Path maxLength)
)

// checkID: an id of the standard (PaymentId 1–40, ConsentId 1–128, …) is printable ASCII without
// space, '/', '?' or '#': it is put into request paths and printed on receipts, so no control
// character (C0 or C1), no bidi control and nothing non-ASCII.
func checkID(name, v string, maxLen int) error {
	if v == "" || len(v) > maxLen {
		return fmt.Errorf("%s missing or longer than %d", name, maxLen)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= 0x20 || c >= 0x7f || c == '/' || c == '?' || c == '#' {
			return fmt.Errorf("%s contains a character that is not printable ASCII, or / ? #", name)
		}
	}
	return nil
}

// checkOptionalID is checkID for an id the bank may leave out.
func checkOptionalID(name, v string, maxLen int) error {
	if v == "" {
		return nil
	}
	return checkID(name, v, maxLen)
}

// checkKID: a JWK kid is printable ASCII (RFC 7517 leaves it a free string, but every kid a bank
// or the Trust Framework issues is a thumbprint or a UUID); the inspector prints it.
func checkKID(kid string) error {
	if kid == "" || len(kid) > maxKIDLen {
		return fmt.Errorf("kid missing or longer than %d", maxKIDLen)
	}
	for i := 0; i < len(kid); i++ {
		if c := kid[i]; c < 0x20 || c >= 0x7f {
			return fmt.Errorf("kid %q is not printable ASCII", safetext.Short(kid, 40))
		}
	}
	return nil
}

// checkToken: an optional value that is not put into a path (PaymentTransactionId, a link as
// the bank sends it, already percent-encoded) is printable ASCII without space.
func checkToken(name, v string, maxLen int) error {
	if len(v) > maxLen {
		return fmt.Errorf("%s is longer than %d", name, maxLen)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= 0x20 || c >= 0x7f {
			return fmt.Errorf("%s is not printable ASCII", name)
		}
	}
	return nil
}

// checkLink is checkToken for Links.Self and Links.Related.
func checkLink(name, v string) error { return checkToken(name, v, maxLinkLen) }

// checkEnum: a status or other enum member has the shape re (values the OpenAPI does not list
// are allowed, in that shape).
func checkEnum(name, v string, re *regexp.Regexp) error {
	if !re.MatchString(v) {
		return fmt.Errorf("%s is not a code of letters and digits", name)
	}
	return nil
}

// checkBankText: text the bank echoes (DebtorReference, Errors[].Path) has no control
// character or bidi control and at most maxRunes characters.
func checkBankText(name, v string, maxRunes int) error {
	if !safetext.Clean(v) {
		return fmt.Errorf("%s contains a control character or a bidi override", name)
	}
	if utf8.RuneCountInString(v) > maxRunes {
		return fmt.Errorf("%s is longer than %d characters", name, maxRunes)
	}
	return nil
}

// checkErrorItem checks one Errors[] entry of a signed error body: Code is a code of the
// standard, Path (optional) a short clean text, Url (optional) a link. Message is free text.
func checkErrorItem(i int, it ErrorItem) error {
	if it.Code == "" {
		return fmt.Errorf("error body: Errors[%d].Code missing", i)
	}
	if !bankErrorCodeRe.MatchString(it.Code) {
		return fmt.Errorf("error body: Errors[%d].Code is not a code of the standard (Namespace.Code)", i)
	}
	if err := checkBankText(fmt.Sprintf("error body: Errors[%d].Path", i), it.Path, maxPathLen); err != nil {
		return err
	}
	return checkLink(fmt.Sprintf("error body: Errors[%d].Url", i), it.URL)
}
