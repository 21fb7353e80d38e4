package consent

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sync"
)

// aaniPurposeCodesJSON is our own copy of the AANI purpose-code list (shared/specs/uae-v2.1/
// aani-purpose-codes.json); a test keeps it identical to the shared one.
//
//go:embed aani-purpose-codes.json
var aaniPurposeCodesJSON []byte

var purposeCodePattern = regexp.MustCompile(`^[A-Z]{3}$`)

var loadPurposeCodes = sync.OnceValues(func() (map[string]string, error) {
	var doc struct {
		Count int               `json:"count"`
		Codes map[string]string `json:"codes"`
	}
	if err := json.Unmarshal(aaniPurposeCodesJSON, &doc); err != nil {
		return nil, fmt.Errorf("decode embedded AANI purpose codes: %w", err)
	}
	if len(doc.Codes) != doc.Count || doc.Count == 0 {
		return nil, fmt.Errorf("embedded AANI purpose codes: count %d, have %d", doc.Count, len(doc.Codes))
	}
	return doc.Codes, nil
})

// PurposeCodes returns a copy of the AANI purpose codes (code → description), for pickers.
func PurposeCodes() (map[string]string, error) {
	codes, err := loadPurposeCodes()
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(codes))
	for k, v := range codes {
		out[k] = v
	}
	return out, nil
}

// validatePurposeCode checks ^[A-Z]{3}$ and membership of the AANI list.
func validatePurposeCode(field, code string) error {
	if code == "" {
		return fieldErr(field, "is required (an AANI purpose code such as MWP)")
	}
	if !purposeCodePattern.MatchString(code) {
		return fieldErr(field, "must be three upper-case letters")
	}
	codes, err := loadPurposeCodes()
	if err != nil {
		return err
	}
	if _, ok := codes[code]; !ok {
		// Purpose codes are not PII, so naming the rejected code helps the user.
		return fieldErr(field, "%q is not in the AANI purpose code list", code)
	}
	return nil
}
