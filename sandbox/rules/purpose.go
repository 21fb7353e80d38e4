package rules

import (
	_ "embed"
	"encoding/json"
	"regexp"
	"sync"
)

// aaniPurposeJSON is a verbatim copy of shared/specs/uae-v2.1/aani-purpose-codes.json
// (purpose_test.go compares the two when the shared folder is present).
//
//go:embed aani-purpose-codes.json
var aaniPurposeJSON []byte

var purposePattern = regexp.MustCompile(`^[A-Z]{3}$`)

// purposeCodes parses the embedded list once; it is immutable afterwards.
var purposeCodes = sync.OnceValue(func() map[string]string {
	var doc struct {
		Codes map[string]string `json:"codes"`
	}
	if err := json.Unmarshal(aaniPurposeJSON, &doc); err != nil {
		return map[string]string{} // every code is then unknown: fail closed
	}
	return doc.Codes
})

// IsPurposeCode reports whether code is one of the AANI purpose codes.
func IsPurposeCode(code string) bool {
	if !purposePattern.MatchString(code) {
		return false
	}
	_, ok := purposeCodes()[code]
	return ok
}

// PurposeCodeCount is the number of AANI codes the bank knows.
func PurposeCodeCount() int { return len(purposeCodes()) }

func checkPurpose(ck *checker, code, path string) {
	switch {
	case code == "":
		ck.fail(path, "PaymentPurposeCode is required")
	case !purposePattern.MatchString(code):
		ck.fail(path, "PaymentPurposeCode must be three uppercase letters")
	case !IsPurposeCode(code):
		ck.fail(path, "PaymentPurposeCode is not an AANI purpose code")
	}
}
